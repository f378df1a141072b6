"""Engine configuration from the docs: startup_script, startup_command and work_dir; ipengine --file and --profile."""

from __future__ import annotations

import shutil
import subprocess
import sys

from clusters import run

from ipcluster.client import Client, interactive


@interactive
def where_and_what() -> tuple[str, object, object]:
    import os

    return os.getcwd(), globals().get("from_script"), globals().get("from_command")


def test_a_profiles_engine_config_sets_work_dir_startup_script_and_command(make_cluster, ipython_dir, tmp_path):
    """ipengine_config.py's work_dir, startup_script and startup_command all apply to every engine."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    script = tmp_path / "startup.py"
    script.write_text("from_script = 'script ran'\n")
    profile = ipython_dir / "profile_default"
    profile.mkdir(parents=True)
    (profile / "ipengine_config.py").write_text(
        f"c.IPEngineApp.work_dir = {str(scratch)!r}\n"
        f"c.IPEngineApp.startup_script = {str(script)!r}\n"
        "c.IPEngineApp.startup_command = 'from_command = 6 * 7'\n"
    )
    cluster = make_cluster(n=2)
    with cluster.client() as rc:
        assert [(str(scratch), "script ran", 42)] * 2 == rc[:].apply_sync(where_and_what)
    assert 0 == cluster.stop().returncode


def test_ipengine_joins_by_file_and_by_profile(make_cluster, ipython_dir, tmp_path):
    """`ipengine --file=copy.json` and `ipengine --profile=NAME` each find the controller and register."""
    cluster = make_cluster(n=1, cluster_args=["--profile=work"])
    profile = ipython_dir / "profile_work"
    with Client(profile_dir=str(profile), timeout=30) as rc:
        rc.wait_for_engines(1, timeout=60)
        copied = tmp_path / "copied-engine.json"
        shutil.copy(profile / "security/ipcontroller-engine.json", copied)
        engines = [
            subprocess.Popen([sys.executable, "-m", "ipcluster.engine", f"--file={copied}", "--profile=elsewhere"],
                             env=cluster.env),
            subprocess.Popen([sys.executable, "-m", "ipcluster.engine", "--profile=work"], env=cluster.env),
        ]
        try:
            rc.wait_for_engines(3, timeout=60)
            assert [0, 1, 2] == rc.ids
        finally:
            rc.shutdown(targets=[1, 2], block=True)
            assert [0, 0] == [engine.wait(30) for engine in engines]
    assert 0 == run(["ipcluster.launchers.cluster", "stop", "--profile=work"], cluster.env).returncode


def test_a_missing_work_dir_is_one_line(make_cluster, tmp_path):
    """An engine whose work_dir does not exist says so and how to fix it, and exits 1."""
    cluster = make_cluster(n=1)
    with cluster.client():
        done = run(["ipcluster.engine", f"--work-dir={tmp_path / 'nowhere'}"], cluster.env)
    assert 1 == done.returncode
    assert [f"ipengine: cannot run in the work_dir {tmp_path / 'nowhere'} (No such file or directory): create it "
            "or fix IPEngineApp.work_dir"] == done.stderr.strip().splitlines()
    assert 0 == cluster.stop().returncode
