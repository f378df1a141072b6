"""`ipcluster list` from pid files in a private IPYTHONDIR: this test process stands in for the cluster."""

import json
import os

import pytest

from ipcluster.launchers._pidfile import process_start_time
from ipcluster.launchers.cluster import main

ME = os.getpid()


@pytest.fixture
def ipython_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    return tmp_path / "ipython"


def pid_file(ipython_dir, profile, name, start_time_offset=0, **fields):
    folder = ipython_dir / f"profile_{profile}/pid"
    folder.mkdir(parents=True, exist_ok=True)
    data = {"pid": ME, "start_time": process_start_time(ME) + start_time_offset, **fields}
    (folder / f"{name}.pid").write_text(json.dumps(data))


@pytest.fixture
def clusters(ipython_dir):
    """default: ipcluster start with 4 engines plus ipcluster engines with 2; byhand: ipcontroller alone;
    crashed: a stale pid file; idle: no pid files."""
    pid_file(ipython_dir, "default", "ipcluster", state="running", engines=4)
    pid_file(ipython_dir, "default", "ipcluster-engines", state="running", engines=2)
    pid_file(ipython_dir, "default", "ipcontroller", children={})
    pid_file(ipython_dir, "byhand", "ipcontroller", children={})
    pid_file(ipython_dir, "crashed", "ipcluster", start_time_offset=1, state="running", engines=3)
    (ipython_dir / "profile_idle/pid").mkdir(parents=True)
    return ipython_dir


def test_list_is_a_table_of_running_clusters(clusters, capsys):
    """One row per profile where something runs, by name; stale pid files and idle profiles are left out."""
    assert 0 == main(["list"])
    assert ["PROFILE  CONTROLLER  ENGINES  PID",
            "byhand   running     0        -",
            f"default  running     6        {ME}"] == capsys.readouterr().out.splitlines()


def test_list_as_json(clusters, capsys):
    """--output=json: a list of objects with the same facts and the profile's folder."""
    assert 0 == main(["list", "--output=json"])
    assert [
        {"profile": "byhand", "profile_dir": str(clusters / "profile_byhand"), "controller": "running",
         "engines": 0, "pid": None},
        {"profile": "default", "profile_dir": str(clusters / "profile_default"), "controller": "running",
         "engines": 6, "pid": ME},
    ] == json.loads(capsys.readouterr().out)


def test_a_cluster_whose_controller_died_shows_it_stopped(ipython_dir, capsys):
    """ipcluster start still running, its ipcontroller.pid stale: controller stopped."""
    pid_file(ipython_dir, "default", "ipcluster", state="running", engines=1)
    pid_file(ipython_dir, "default", "ipcontroller", start_time_offset=1)
    assert 0 == main(["list", "-o", "json"])
    assert ["stopped"] == [row["controller"] for row in json.loads(capsys.readouterr().out)]


def test_nothing_running_is_one_line_and_exit_0(ipython_dir, capsys):
    """No cluster: one line saying so (an empty JSON list with --output=json); no profile created."""
    assert 0 == main(["list"])
    assert [f"ipcluster: no cluster is running in {ipython_dir}; start one with `ipcluster start`"] == \
        capsys.readouterr().out.splitlines()
    assert 0 == main(["list", "--output=json"])
    assert [] == json.loads(capsys.readouterr().out)
    assert not ipython_dir.exists()


def test_ipython_dir_option(tmp_path, monkeypatch, capsys):
    """--ipython-dir looks there instead of $IPYTHONDIR."""
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "unused"))
    pid_file(tmp_path / "other", "default", "ipcontroller")
    assert 0 == main(["list", f"--ipython-dir={tmp_path / 'other'}", "--output=json"])
    assert ["default"] == [row["profile"] for row in json.loads(capsys.readouterr().out)]


def test_unknown_output_format_fails(ipython_dir):
    """--output=xml is refused with exit 1."""
    with pytest.raises(SystemExit) as raised:
        main(["list", "--output=xml"])
    assert 1 == raised.value.code
