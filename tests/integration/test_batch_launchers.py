"""The batch launchers against real Slurm, PBS (torque wrappers on Slurm) and SGE, and the LSF, HTCondor and
Windows HPC stand-ins: scripts rendered, jobs submitted, their state polled, and cancelled on stop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest
from batch_systems import BatchSystem
from clusters import ENGINE_WAIT, alive, processes_of, run, wait_until

from ipcluster.client import Client, interactive

CLUSTER = "ipcluster.launchers.cluster"
# launcher name -> the fixture of the system it needs
SYSTEMS = {"Slurm": "slurm", "PBS": "pbs", "SGE": "sge", "LSF": "standins", "HTCondor": "standins",
           "WindowsHPC": "standins"}


@interactive
def job_variables() -> dict[str, str]:
    import os

    return {name: value for name, value in os.environ.items() if name.split("_")[0] in ("SLURM", "SGE", "LSB")}


def environment(ipython_dir: Path, system: BatchSystem) -> dict[str, str]:
    return {**system.env, "IPYTHONDIR": str(ipython_dir)}


def stop(env: dict[str, str], system: BatchSystem) -> None:
    """`ipcluster stop`, which must leave the batch system with no job of ours."""
    stopped = run([CLUSTER, "stop"], env)
    assert 0 == stopped.returncode, stopped.stderr
    wait_until(lambda: not system.jobs(), 30, "the batch system to forget the cancelled jobs")


@pytest.mark.parametrize("launcher", list(SYSTEMS))
def test_controller_and_engines_run_as_jobs_and_stop_as_cancelled_jobs(request, ipython_dir, no_leftovers, launcher):
    """--controller=X --engines=X: both are jobs of system X; tasks run on the engines; stop cancels both."""
    system: BatchSystem = request.getfixturevalue(SYSTEMS[launcher])
    env = environment(ipython_dir, system)
    started = run([CLUSTER, "start", "-n=2", f"--engines={launcher}", f"--controller={launcher}", "--daemonize",
                   "--BatchSystemLauncher.poll_interval=0.2"], env, timeout=120)
    try:
        assert 0 == started.returncode, started.stderr
        profile = ipython_dir / "profile_default"
        scripts = {f"{launcher.lower()}_engines", f"{launcher.lower()}_controller"}
        assert scripts <= {path.name.split(".")[0] for path in profile.iterdir()}  # windowshpc_engines.xml
        with Client(profile_dir=str(profile), timeout=30) as rc:
            rc.wait_for_engines(2, timeout=ENGINE_WAIT)
            assert [3, 3] == rc[:].apply_sync(lambda: 1 + 2)
            if launcher in ("Slurm", "PBS", "SGE"):  # the engines really are the system's: they carry its variables
                assert all(variables for variables in rc[:].apply_sync(job_variables))
        assert 2 <= len(system.jobs())  # still queued or running: the controller's job and the engines'
    finally:
        stop(env, system)


def test_engines_join_a_running_controller_and_count_as_ready_when_registered(slurm, ipython_dir, no_leftovers):
    """`ipcluster engines --engines=Slurm` waits until its 2 engines have joined, then reports them running."""
    env = environment(ipython_dir, slurm)
    assert 0 == run([CLUSTER, "start", "-n=1", "--daemonize"], env, timeout=120).returncode
    try:
        added = run([CLUSTER, "engines", "-n=2", "--engines=Slurm", "--daemonize"], env, timeout=120)
        assert 0 == added.returncode, added.stderr
        pid_file = json.loads((ipython_dir / "profile_default/pid/ipcluster-engines.pid").read_text())
        assert ("running", 2) == (pid_file["state"], pid_file["engines"])
        assert [["scancel", slurm.jobs()[0].split("_")[0]]] == pid_file["cleanup"]
        with Client(profile_dir=str(ipython_dir / "profile_default"), timeout=30) as rc:
            assert 3 == len(rc.ids)
    finally:
        stop(env, slurm)


def test_the_docs_template_with_expressions_is_what_slurm_runs(slurm, ipython_dir, no_leftovers):
    """A batch_template_file with {n}, {n//2}, {queue} and {profile_dir} is rendered and submitted as written."""
    env = environment(ipython_dir, slurm)
    profile = ipython_dir / "profile_default"
    profile.mkdir(parents=True)
    (profile / "slurm.engine.template").write_text(
        "#!/bin/sh\n#SBATCH --job-name=ipy-{n//2}-of-{n}\n#SBATCH --partition={queue}\n#SBATCH --ntasks={n}\n"
        "#SBATCH --output={profile_dir}/log/custom-%j.out\nsrun {program_and_args}\n")
    (profile / "ipcluster_config.py").write_text(
        "c.SlurmEngineSetLauncher.batch_template_file = 'slurm.engine.template'\nc.SlurmLauncher.queue = 'debug'\n")
    started = run([CLUSTER, "start", "-n=4", "--engines=Slurm", "--daemonize"], env, timeout=120)
    try:
        assert 0 == started.returncode, started.stderr
        script = (profile / "slurm_engines").read_text()
        assert "#SBATCH --job-name=ipy-2-of-4\n#SBATCH --partition=debug\n#SBATCH --ntasks=4\n" in script
        with Client(profile_dir=str(profile), timeout=30) as rc:
            rc.wait_for_engines(4, timeout=ENGINE_WAIT)
        names = subprocess.run(["squeue", "--noheader", "--format=%j"], env=env, capture_output=True, text=True,
                               timeout=30, check=True).stdout
        assert "ipy-2-of-4" in names.split()
    finally:
        stop(env, slurm)


def test_a_refused_submission_is_one_line_and_leaves_nothing(slurm, ipython_dir, no_leftovers):
    """sbatch refusing the job (no such partition) stops `ipcluster start` with sbatch's words and exit 1."""
    env = environment(ipython_dir, slurm)
    started = run([CLUSTER, "start", "-n=2", "--engines=Slurm", "--SlurmLauncher.queue=nowhere"], env, timeout=120)
    assert 1 == started.returncode
    [line] = [text for text in started.stderr.splitlines() if text.startswith("ipcluster:")]
    assert line.startswith("ipcluster: `sbatch ") and "failed with exit code 1" in line and "partition" in line
    wait_until(lambda: not slurm.jobs(), 30, "no job left")


def test_a_killed_ipcluster_leaves_jobs_that_the_next_stop_cancels(sge, ipython_dir, no_leftovers):
    """SIGKILL to a daemonized ipcluster: its SGE jobs run on; `ipcluster stop` cancels them from the pid file."""
    env = environment(ipython_dir, sge)
    started = run([CLUSTER, "start", "-n=2", "--engines=SGE", "--daemonize"], env, timeout=120)
    assert 0 == started.returncode, started.stderr
    profile = ipython_dir / "profile_default"
    pid_file = json.loads((profile / "pid/ipcluster.pid").read_text())
    assert [["qdel", *sge.jobs()]] == pid_file["cleanup"]
    [job] = sge.jobs()
    with Client(profile_dir=str(profile), timeout=30) as rc:
        rc.wait_for_engines(2, timeout=ENGINE_WAIT)
    os.kill(pid_file["pid"], signal.SIGKILL)
    stopped = run([CLUSTER, "stop"], env)
    assert f"ipcluster: cleaning up after a stopped ipcluster: `qdel {job}`: done" in stopped.stderr.splitlines()
    wait_until(lambda: not sge.jobs(), 30, "the leftover SGE job to be cancelled")
    # the controller, orphaned by the kill, stops on its own (--die-with-parent) as it sees fit
    wait_until(lambda: not [p for p in processes_of(ipython_dir) if alive(p)], 30, "the orphaned controller to stop")
