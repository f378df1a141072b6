"""Batch systems as session fixtures: a real Slurm, PBS commands (Slurm's torque wrappers), a real Son of
Grid Engine, and stand-ins for LSF, HTCondor and Windows HPC. Each fixture yields a BatchSystem whose
`env` the test passes to every command it runs, and always stops what it started.

What the real systems do here (Slurm 22.05, its torque wrappers, Son of Grid Engine 8.1.9), which
the batch launchers rely on; test_batch_systems.py checks the ones marked (t):

Slurm
- `sbatch --parsable` prints just the id, for an array too (t); the job runs in sbatch's folder and
  gets sbatch's whole environment by default (t), with SLURM_JOB_ID, SLURM_ARRAY_JOB_ID and
  SLURM_ARRAY_TASK_ID; each array element has a job id of its own.
- `squeue -h -j ID -o %T`: PENDING, RUNNING, COMPLETING, then nothing at all (exit 0) once the job
  ended, and `slurm_load_jobs error: Invalid job id specified` (exit 1) for an unknown id or a job
  forgotten after MinJobAge. With `-t all` the end states show: COMPLETED (t), FAILED (exit != 0),
  CANCELLED (t). A pending array is one line (`%i` is `ID_[1-3]`), a started one a line per element.
- `scancel ID` kills the job's processes at once (t), all elements of an array.

PBS (slurm-wlm-torque's qsub, qstat, qdel: perl wrappers that run sbatch, squeue, scancel)
- qsub wants a script file: with the script on stdin it prints its usage and exits 2. It prints the
  bare id (t). #PBS lines are read by sbatch itself, which takes `-N`, `-o`, `-e`, `-l`, `-V`, and
  arrays as `#PBS -J 1-3` (t) or `#PBS -t 1-3`; `qsub -t 1-3` and `qsub -J 1-3` work on the command
  line too. Array elements get SLURM_ARRAY_TASK_ID; **no PBS_ARRAYID, PBS_JOBID or PBS_O_WORKDIR**.
- The environment is exported with or without -V (t): sbatch's default. Output goes to NAME.oID
  and NAME.eID in qsub's folder, NAME being qsub's own -N or else the script's file name (a #PBS -N
  names the job only); an array from #PBS lines shares those two files, one from `qsub -t` or
  `qsub -J` gets NAME.oID.INDEX.
- `qstat ID` prints two header lines, then `ID  NAME  USER  TIME  S  QUEUE` with S = Q (pending),
  R (running), C (completed, failed and cancelled alike (t)). For an array, `qstat ID` shows only
  the element that kept the array's id; plain `qstat` lists every element under its own id. An
  unknown id prints nothing and exits 153. `qdel ID` prints nothing (an unknown id: exit 1), and
  cancels every element of an array.

Son of Grid Engine
- `qsub -terse` prints `ID`, or `ID.1-3:1` for an array (t); without -terse: `Your job ID ("NAME")
  has been submitted` or `Your job-array ID.1-3:1 ("NAME") has been submitted`. Arrays: `-t 1-3`
  with SGE_TASK_ID set (`undefined` in a lone job (t)).
- **The environment is not exported unless `-V`** (t): a job gets PATH=/tmp/ID.TASK.all.q:
  /usr/local/bin:/bin:/usr/bin and little else. Without `-cwd` a job runs, and writes NAME.oID(.TASK)
  and NAME.eID(.TASK), in the home folder.
- `qstat` states: qw (queued), t (being transferred), r (running), dr (deleted but not gone yet,
  about 1 s), Eqw (error). A pending array is one line with ja-task-ID `1-3:1`, a running one a line
  per task. A job leaves qstat when it ends (t); `qstat -j ID` then says `Following jobs do not
  exist` (exit 1). `qdel ID` prints `root has registered the job ID for deletion` and kills the job
  at once (t); an unknown id: `denied: job "ID" does not exist` (exit 1).
- `qsub -b y 'echo hi'` (a command with arguments in one word) fails; use a script.

The stand-ins (standins/) print what LSF, HTCondor and Windows HPC print for the calls their
docstrings list, and run the jobs for real: LSF copies the environment (t), HTCondor only with
`getenv = True` (t), Windows HPC tasks get `job submit`'s environment (t).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import grid_engine
import pytest
import slurm_node
from standins import standin

PBS_COMMANDS = Path("/opt/ipcluster-tests/pbs/usr/bin")  # where tools/setup-system unpacks slurm-wlm-torque
STANDINS = Path(__file__).parent / "standins"


@dataclass(frozen=True)
class BatchSystem:
    """A running batch system: the environment its commands need, and the ids of its unfinished jobs."""

    env: dict[str, str]
    jobs: Callable[[], list[str]]


def require(*commands: str, path: str | None = None) -> None:
    missing = [command for command in commands if shutil.which(command, path=path) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} not installed: run tools/setup-system (as root)", pytrace=False)


@pytest.fixture(scope="session")
def slurm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BatchSystem]:
    """A single-node Slurm; `jobs()` lists pending arrays as ID_[RANGE] and started elements as ID_INDEX."""
    require("munged", "mungekey", "slurmctld", "slurmd", "sbatch", "squeue", "scancel")
    with slurm_node.slurm_node(tmp_path_factory.mktemp("slurm")) as env:
        yield BatchSystem(env, lambda: slurm_node.unfinished_jobs(env))


@pytest.fixture(scope="session")
def pbs(slurm: BatchSystem) -> BatchSystem:
    """`slurm`, with qsub, qstat and qdel from the torque wrappers first on PATH."""
    require("qsub", "qstat", "qdel", path=str(PBS_COMMANDS))
    return BatchSystem({**slurm.env, "PATH": f"{PBS_COMMANDS}{os.pathsep}{slurm.env['PATH']}"}, slurm.jobs)


@pytest.fixture(scope="session")
def sge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BatchSystem]:
    """Son of Grid Engine, with its own qsub first on PATH; `jobs()` lists an array's id once."""
    require("sge_qmaster", "sge_execd", "qconf")
    with grid_engine.grid_engine(tmp_path_factory.mktemp("sge")) as env:
        yield BatchSystem(env, lambda: grid_engine.unfinished_jobs(env))


@pytest.fixture(scope="session")
def standins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BatchSystem]:
    """bsub, bjobs, bkill, condor_submit, condor_q, condor_rm and job first on PATH; kills what is left after."""
    state = tmp_path_factory.mktemp("standins")

    def unfinished() -> list[standin.Job]:
        return [job for job in standin.all_jobs(state) if job.unfinished()]

    env = {**os.environ, "PATH": f"{STANDINS}{os.pathsep}{os.environ['PATH']}", standin.STATE_VARIABLE: str(state)}
    try:
        yield BatchSystem(env, lambda: [str(job.id) for job in unfinished()])
    finally:
        for job in unfinished():
            job.kill()
