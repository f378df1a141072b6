"""The profile commands as a user types them: profile create/list, and ipcluster list beside real clusters."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from clusters import run

from ipcluster.client import Client

CLUSTER = "ipcluster.launchers.cluster"
README = Path(__file__).parents[2] / "README.md"


@pytest.fixture
def env(ipython_dir: Path, no_leftovers) -> dict[str, str]:
    return {**os.environ, "IPYTHONDIR": str(ipython_dir)}


def uncomment(path: Path, setting: str, value: str) -> None:
    """Replace the commented-out line of `setting` (c.Class.trait) by an assignment of `value`."""
    text, count = re.subn(rf"^# {re.escape(setting)} = .*$", f"{setting} = {value}", path.read_text(), flags=re.M)
    assert 1 == count, f"{setting} is not in {path}"
    path.write_text(text)


def listed(env: dict[str, str]) -> list[dict]:
    done = run([CLUSTER, "list", "--output=json"], env)
    assert 0 == done.returncode, done.stderr
    return json.loads(done.stdout)


def test_list_shows_a_running_cluster_then_none(make_cluster, env, ipython_dir):
    """While `ipcluster start` runs: its profile, controller running, its engines and pid; after stop: none."""
    cluster = make_cluster(n=2)
    cluster.client().close()  # both engines registered
    table = run([CLUSTER, "list"], env)
    assert 0 == table.returncode, table.stderr
    assert [["PROFILE", "CONTROLLER", "ENGINES", "PID"], ["default", "running", "2", str(cluster.process.pid)]] == \
        [line.split() for line in table.stdout.splitlines()]
    assert [{"profile": "default", "profile_dir": str(ipython_dir / "profile_default"), "controller": "running",
             "engines": 2, "pid": cluster.process.pid}] == listed(env)
    assert 0 == cluster.stop().returncode
    cluster.process.wait(30)
    after = run([CLUSTER, "list"], env)
    assert (0, [f"ipcluster: no cluster is running in {ipython_dir}; start one with `ipcluster start`"]) == \
        (after.returncode, after.stdout.splitlines())


def test_edited_config_files_of_a_created_profile_take_effect(env, ipython_dir):
    """profile create, then one setting uncommented in each file: ipcluster, ipcontroller and ipengine obey."""
    created = run([CLUSTER, "profile", "create", "--profile=edited"], env)
    assert 0 == created.returncode, created.stderr
    profile = ipython_dir / "profile_edited"
    assert 3 == len(created.stdout.splitlines())
    uncomment(profile / "ipcluster_config.py", "c.IPClusterEngines.n", "3")
    uncomment(profile / "ipcontroller_config.py", "c.IPControllerApp.hwm", "0")
    uncomment(profile / "ipengine_config.py", "c.IPEngineApp.startup_command", "'edited = True'")
    started = run([CLUSTER, "start", "--profile=edited", "--daemonize"], env)
    assert 0 == started.returncode, started.stderr
    try:
        with Client(profile_dir=str(profile), timeout=30) as rc:
            rc.wait_for_engines(3, timeout=60)
            assert [True, True, True] == rc[:].pull("edited", block=True)
        assert 0 == json.loads((profile / "security/ipcontroller-spec.json").read_text())["hwm"]
        pid = json.loads((profile / "pid/ipcluster.pid").read_text())["pid"]
        assert [("edited", "running", 3, pid)] == [(c["profile"], c["controller"], c["engines"], c["pid"])
                                                    for c in listed(env)]
    finally:
        stopped = run([CLUSTER, "stop", "--profile=edited"], env)
    assert 0 == stopped.returncode, stopped.stderr
    assert [] == listed(env)


def test_profile_list_and_create_again(env, ipython_dir, tmp_path):
    """profile list names each profile with its folder; a second create keeps the files, --reset rewrites them."""
    for name in ("default", "mpi"):
        assert 0 == run([CLUSTER, "profile", "create", f"--profile={name}"], env).returncode
    (tmp_path / "profile_here").mkdir()
    listing = run([CLUSTER, "profile", "list"], env, cwd=tmp_path)
    assert [["default", str(ipython_dir / "profile_default")], ["mpi", str(ipython_dir / "profile_mpi")],
            ["here", str(tmp_path / "profile_here")]] == [line.split() for line in listing.stdout.splitlines()]
    config = ipython_dir / "profile_mpi/ipengine_config.py"
    config.write_text("c.IPEngineApp.timeout = 9\n")
    again = run([CLUSTER, "profile", "create", "--profile=mpi"], env)
    assert [f"ipcluster: kept {config} (--reset replaces it)"] == again.stdout.splitlines()[2:]
    assert "c.IPEngineApp.timeout = 9\n" == config.read_text()
    reset = run([CLUSTER, "profile", "create", "--profile=mpi", "--reset"], env)
    assert f"ipcluster: wrote {config}" == reset.stdout.splitlines()[2]
    assert config.read_text().startswith("# Configuration file for ipengine")


def test_unknown_profile_command_is_one_line(env):
    """`ipcluster profile delete`: one line naming the choices, exit 1."""
    done = run([CLUSTER, "profile", "delete"], env)
    assert (1, ["ipcluster: unknown profile command 'delete': use one of create, list "
                "(e.g. `ipcluster profile create --profile=mpi`)"]) == (done.returncode, done.stderr.splitlines())


def test_the_readme_profiles_example_runs(env, ipython_dir):
    """The README's Profiles block runs as written, and its `ipcluster list` shows the mpi cluster."""
    section = README.read_text().split("\n## Profiles\n", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```bash\n(.*?)```", section, flags=re.DOTALL)
    path = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"  # the installed `ipcluster` command
    done = subprocess.run(["bash", "-euc", block], env={**env, "PATH": path}, capture_output=True, text=True,
                          timeout=120)
    assert 0 == done.returncode, done.stderr
    assert re.search(r"^mpi +running +2 +\d+$", done.stdout, flags=re.MULTILINE), done.stdout
    assert (ipython_dir / "profile_mpi/ipengine_config.py").exists()
