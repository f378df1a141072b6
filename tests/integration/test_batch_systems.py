"""The batch-system fixtures themselves: jobs really run, end in each system's own words, and can be cancelled.

Each system is driven the way a launcher would drive it (a script with the system's directives, the
submit command's output parsed strictly), so a fact the launchers rely on that stops holding fails here.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from batch_systems import BatchSystem
from clusters import alive, wait_until

TIMEOUT = 30.0
Env = dict[str, str]


def output(args: list[str], env: Env, folder: Path, stdin: str | None = None) -> str:
    result = subprocess.run(args, env=env, cwd=folder, input=stdin, capture_output=True, text=True, timeout=TIMEOUT)
    assert 0 == result.returncode, f"{' '.join(args)}: {result.stdout}{result.stderr}"
    return result.stdout


def job_id(pattern: str, printed: str) -> str:
    """The id in what a submit command printed, which must be all and only what `pattern` describes."""
    match = re.fullmatch(pattern, printed.strip())
    assert match is not None, f"unexpected submit output {printed!r}"
    return match[1]


def script(folder: Path, directives: list[str], command: str) -> Path:
    path = folder / "job.sh"
    path.write_text("\n".join(["#!/bin/sh", *directives, command, ""]))
    path.chmod(0o755)
    return path


def sbatch(env: Env, folder: Path, command: str, copies: int) -> str:
    array = [f"#SBATCH --array=1-{copies}"] if copies > 1 else []
    job = script(folder, array, "COPY=${SLURM_ARRAY_TASK_ID:-0}; " + command)
    return job_id(r"(\d+)", output(["sbatch", "--parsable", str(job)], env, folder))


def pbs_qsub(env: Env, folder: Path, command: str, copies: int) -> str:
    # sbatch itself reads #PBS lines (-J or -t make an array); the wrappers set no PBS_ARRAYID or PBS_JOBID
    array = [f"#PBS -J 1-{copies}"] if copies > 1 else []
    job = script(folder, array, "COPY=${SLURM_ARRAY_TASK_ID:-0}; " + command)
    return job_id(r"(\d+)", output(["qsub", str(job)], env, folder))


def sge_qsub(env: Env, folder: Path, command: str, copies: int) -> str:
    array = [f"#$ -t 1-{copies}"] if copies > 1 else []
    job = script(folder, ["#$ -cwd", "#$ -V", *array], "COPY=$SGE_TASK_ID; " + command)  # 'undefined' if alone
    return job_id(r"(\d+)(?:\.1-\d+:1)?", output(["qsub", "-terse", str(job)], env, folder))


def bsub(env: Env, folder: Path, command: str, copies: int) -> str:
    name = f"test[1-{copies}]" if copies > 1 else "test"
    job = script(folder, [f"#BSUB -J {name}", "#BSUB -o lsf.%J.%I"], "COPY=$LSB_JOBINDEX; " + command)
    printed = output(["bsub"], env, folder, stdin=job.read_text())
    return job_id(r"Job <(\d+)> is submitted to default queue <normal>\.", printed)


def condor_submit(env: Env, folder: Path, command: str, copies: int) -> str:
    job = script(folder, [], "COPY=$1; " + command)
    description = folder / "job.sub"
    description.write_text(f"executable = {job}\narguments = $(Process)\ngetenv = True\ninitialdir = {folder}\n"
                           f"output = out.$(Process)\nqueue {copies}\n")
    printed = output(["condor_submit", str(description)], env, folder)
    return job_id(rf"Submitting job\(s\)\.{{{copies}}}\n{copies} job\(s\) submitted to cluster (\d+)\.", printed)


def hpc_submit(env: Env, folder: Path, command: str, copies: int) -> str:
    job = script(folder, [], "COPY=$1; " + command)
    tasks = "".join(f'<Task CommandLine="sh {job} {n}" WorkDirectory="{folder}"/>' for n in range(copies))
    description = folder / "job.xml"
    description.write_text('<Job xmlns="http://schemas.microsoft.com/HPCS2008/scheduler/" Version="2.000" '
                           f'Name="test"><Tasks>{tasks}</Tasks></Job>')
    printed = output(["job", "submit", f"/jobfile:{description}", "/scheduler:headnode"], env, folder)
    return job_id(r"Job has been submitted\. ID: (\d+)\.", printed)


def squeue_states(env: Env, folder: Path, job: str) -> list[str]:
    return output(["squeue", "-h", "-t", "all", "-j", job, "-o", "%T"], env, folder).split()


def pbs_qstat_states(env: Env, folder: Path, job: str) -> list[str]:
    """The S column below qstat's two header lines (for an array: only the element that kept the array's id)."""
    return [line.split()[4] for line in output(["qstat", job], env, folder).splitlines()[2:]]


def sge_qstat_states(env: Env, folder: Path, job: str) -> list[str]:
    """The state column of the job's lines in qstat, which a job leaves when it ends."""
    lines = output(["qstat"], env, folder).splitlines()[2:]
    return [line.split()[4] for line in lines if line.split()[0] == job]


def bjobs_states(env: Env, folder: Path, job: str) -> list[str]:
    return [line.split()[2] for line in output(["bjobs", job], env, folder).splitlines()[1:]]


def condor_q_states(env: Env, folder: Path, job: str) -> list[str]:
    """JobStatus of each process still queued: a process that ended has left the queue."""
    return output(["condor_q", job, "-af", "JobStatus"], env, folder).split()


def job_view_states(env: Env, folder: Path, job: str) -> list[str]:
    lines = output(["job", "view", job], env, folder).splitlines()
    return [line.split(":", 1)[1].strip() for line in lines if line.startswith("State ")]


@dataclass(frozen=True)
class Driver:
    """How a test submits to, asks about and cancels jobs of one system, and the states a lone job then shows."""

    name: str
    fixture: str
    submit: Callable[[Env, Path, str, int], str]  # (env, folder, shell command using $COPY, copies) -> id
    states: Callable[[Env, Path, str], list[str]]
    cancel: list[str]  # the id goes last
    done: list[str]
    cancelled: list[str]
    first_copy: int = 1  # an array's first index


DRIVERS = [
    Driver("slurm", "slurm", sbatch, squeue_states, ["scancel"], ["COMPLETED"], ["CANCELLED"]),
    Driver("pbs", "pbs", pbs_qsub, pbs_qstat_states, ["qdel"], ["C"], ["C"]),
    Driver("sge", "sge", sge_qsub, sge_qstat_states, ["qdel"], [], []),
    Driver("lsf", "standins", bsub, bjobs_states, ["bkill"], ["DONE"], ["EXIT"]),
    Driver("htcondor", "standins", condor_submit, condor_q_states, ["condor_rm"], [], [], first_copy=0),
    Driver("winhpc", "standins", hpc_submit, job_view_states, ["job", "cancel"], ["Finished"], ["Canceled"],
           first_copy=0),
]


@pytest.fixture(params=DRIVERS, ids=lambda driver: driver.name)
def batch(request: pytest.FixtureRequest) -> tuple[Driver, BatchSystem]:
    return request.param, request.getfixturevalue(request.param.fixture)


def shows(driver: Driver, system: BatchSystem, folder: Path, job: str, expected: list[str]) -> None:
    wait_until(lambda: expected == driver.states(system.env, folder, job), TIMEOUT, f"job {job} to show {expected}")


def nothing_left(system: BatchSystem) -> None:
    wait_until(lambda: [] == system.jobs(), TIMEOUT, "no unfinished job")


def test_a_job_runs_with_the_submitters_environment_and_ends_done(batch, tmp_path: Path) -> None:
    """A job writes a file holding a variable only the submit command's environment had, then shows done."""
    driver, system = batch
    env = {**system.env, "IPCLUSTER_TEST_MARK": "from-the-submitter"}
    job = driver.submit(env, tmp_path, f'echo "$IPCLUSTER_TEST_MARK" > {tmp_path}/seen.$COPY', 1)
    wait_until(lambda: ["from-the-submitter\n"] == [p.read_text() for p in tmp_path.glob("seen.*")], TIMEOUT,
               "the job's file")
    shows(driver, system, tmp_path, job, driver.done)
    nothing_left(system)


def test_a_cancelled_job_ends_and_its_process_is_gone(batch, tmp_path: Path) -> None:
    """Cancelling a running `sleep 300` kills the process and leaves the job in the system's cancelled state."""
    driver, system = batch
    pid = tmp_path / "pid"
    job = driver.submit(system.env, tmp_path, f"echo $$ > {pid}.partial; mv {pid}.partial {pid}; exec sleep 300", 1)
    wait_until(pid.exists, TIMEOUT, "the job to start")
    process = psutil.Process(int(pid.read_text()))
    output([*driver.cancel, job], system.env, tmp_path)
    wait_until(lambda: not alive(process), TIMEOUT, "the job's sleep to be killed")
    shows(driver, system, tmp_path, job, driver.cancelled)
    nothing_left(system)


def test_an_array_of_three_runs_three_copies(batch, tmp_path: Path) -> None:
    """An array (HTCondor: queue 3; Windows HPC: three tasks) runs three copies, each with its own index."""
    driver, system = batch
    driver.submit(system.env, tmp_path, f"echo $COPY > {tmp_path}/copy.$COPY", 3)
    expected = [f"{driver.first_copy + n}\n" for n in range(3)]
    wait_until(lambda: expected == [p.read_text() for p in sorted(tmp_path.glob("copy.*"))], TIMEOUT, "three copies")
    nothing_left(system)


def answer(args: list[str], system: BatchSystem, folder: Path) -> tuple[int, str, str]:
    """Exit code, stdout and stderr."""
    result = subprocess.run(args, env=system.env, cwd=folder, capture_output=True, text=True, timeout=TIMEOUT)
    return result.returncode, result.stdout, result.stderr


def test_the_lsf_standin_answers_in_lsfs_words(standins: BatchSystem, tmp_path: Path) -> None:
    """bsub names the queue it was given, bjobs has LSF's header and refuses unknown ids, bkill says it kills."""
    printed = output(["bsub", "-q", "short"], standins.env, tmp_path, stdin="sleep 300\n")
    job = job_id(r"Job <(\d+)> is submitted to queue <short>\.", printed)
    header = "JOBID   USER    STAT  QUEUE      FROM_HOST   EXEC_HOST   JOB_NAME   SUBMIT_TIME"
    assert header == output(["bjobs", job], standins.env, tmp_path).splitlines()[0]
    assert (0, f"Job <{job}> is being terminated\n", "") == answer(["bkill", job], standins, tmp_path)
    assert (255, "", "Job <999999> is not found\n") == answer(["bjobs", "999999"], standins, tmp_path)
    assert [] == standins.jobs()


def test_the_condor_standin_splits_arguments_and_sets_only_the_given_environment(standins: BatchSystem,
                                                                                   tmp_path: Path) -> None:
    """HTCondor's quoted arguments ('' is a quote inside quotes), and without getenv only `environment`."""
    (tmp_path / "args.sub").write_text(
        "executable = /usr/bin/printf\narguments = \"'%s|' 'a b' 'it''s' plain\"\noutput = args.out\nqueue\n")
    (tmp_path / "env.sub").write_text("executable = /usr/bin/env\nenvironment = \"X='1 2'\"\noutput = env.out\n"
                                      "queue\n")
    for description in ("args.sub", "env.sub"):
        output(["condor_submit", description], standins.env, tmp_path)
    wait_until(lambda: [] == standins.jobs(), TIMEOUT, "both jobs to end")
    assert "a b|it's|plain|" == (tmp_path / "args.out").read_text()
    assert "X=1 2\n" == (tmp_path / "env.out").read_text()
