"""The batch systems: PBS/Torque, SGE, Slurm, LSF, HTCondor and Windows HPC.

Each is a `BatchSystemLauncher` that names its commands, how to read their output and its default scripts,
plus its engine-set and controller launchers. Engines run as one job: an array of `n` (PBS, SGE, LSF,
HTCondor's ``queue n``, Windows HPC's `n` tasks) or one allocation of `n` tasks filled by ``srun`` (Slurm).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any, ClassVar
from xml.sax.saxutils import quoteattr

from traitlets import Unicode

from ipcluster.launchers.batch import (
    DELETE_HELP,
    STATUS_HELP,
    SUBMIT_HELP,
    BatchControllerLauncher,
    BatchEngineSetLauncher,
    BatchSystemLauncher,
    command_setting,
    state_setting,
)

PBS_ENGINES = """#!/bin/sh
#PBS -V
#PBS -N ipengine
#PBS -j oe
#PBS -t 1-{n}
exec {program_and_args}
"""

PBS_CONTROLLER = """#!/bin/sh
#PBS -V
#PBS -N ipcontroller
#PBS -j oe
exec {program_and_args}
"""


class PBSLauncher(BatchSystemLauncher):
    """ipyparallel's ``c.PBSLauncher``: what PBS's engines and controller share."""

    system = "PBS"
    templates: ClassVar[dict[str, str]] = {"engines": PBS_ENGINES, "controller": PBS_CONTROLLER}
    queue_directive = "#PBS -q {queue}"
    finished_states = frozenset({"C", "F", "X"})  # completed, finished, expired
    gone_codes = frozenset({153})  # Torque's qstat (and the wrappers') for a job it no longer knows
    gone_pattern = r"Unknown Job Id"

    submit_command = command_setting(["qsub"], SUBMIT_HELP)
    delete_command = command_setting(["qdel", "{job_id}"], DELETE_HELP)
    status_command = command_setting(["qstat", "{job_id}"], STATUS_HELP)
    # Torque names an array 123[] (and qstat and qdel want the brackets); PBS Pro, 123[]; the wrappers, 123
    job_id_regexp = Unicode(r"\d+(?:\[\])?", help="finds the job id in the submit command's output").tag(
        config=True)
    # Job id, Name, User, Time Use, S(tate), Queue; an array shows as 123[] or 123[1]
    job_state_regexp = state_setting(r"^{job_id}\S*\s+\S+\s+\S+\s+\S+\s+([A-Z])\s")


class PBSEngineSetLauncher(PBSLauncher, BatchEngineSetLauncher):
    """`n` engines as a PBS job array."""


class PBSControllerLauncher(PBSLauncher, BatchControllerLauncher):
    """``ipcontroller`` as a PBS job."""

SGE_ENGINES = """#!/bin/sh
#$ -V
#$ -S /bin/sh
#$ -N ipengine
#$ -t 1-{n}
#$ -j y
#$ -o {profile_dir}/log
exec {program_and_args}
"""

SGE_CONTROLLER = """#!/bin/sh
#$ -V
#$ -S /bin/sh
#$ -N ipcontroller
#$ -j y
#$ -o {profile_dir}/log
exec {program_and_args}
"""


class SGELauncher(BatchSystemLauncher):
    """ipyparallel's ``c.SGELauncher``: what SGE's engines and controller share."""

    system = "SGE"
    templates: ClassVar[dict[str, str]] = {"engines": SGE_ENGINES, "controller": SGE_CONTROLLER}
    queue_directive = "#$ -q {queue}"
    # a finished job leaves qstat; every listed state (qw, r, t, Eqw, ...) still holds a place
    gone_pattern = r"does not exist"

    submit_command = command_setting(["qsub", "-terse"], SUBMIT_HELP)
    delete_command = command_setting(["qdel", "{job_id}"], DELETE_HELP)
    status_command = command_setting(["qstat"], STATUS_HELP)
    job_state_regexp = state_setting(r"^\s*{job_id}\s+\S+\s+\S+\s+\S+\s+(\w+)")


class SGEEngineSetLauncher(SGELauncher, BatchEngineSetLauncher):
    """`n` engines as an SGE job array."""


class SGEControllerLauncher(SGELauncher, BatchControllerLauncher):
    """``ipcontroller`` as an SGE job."""

SLURM_ENGINES = """#!/bin/sh
#SBATCH --job-name=ipengine
#SBATCH --ntasks={n}
#SBATCH --output={profile_dir}/log/slurm-engines-%j.out
srun {program_and_args}
"""

SLURM_CONTROLLER = """#!/bin/sh
#SBATCH --job-name=ipcontroller
#SBATCH --ntasks=1
#SBATCH --output={profile_dir}/log/slurm-controller-%j.out
exec {program_and_args}
"""


class SlurmLauncher(BatchSystemLauncher):
    """ipyparallel's ``c.SlurmLauncher``: what Slurm's engines and controller share."""

    system = "Slurm"
    templates: ClassVar[dict[str, str]] = {"engines": SLURM_ENGINES, "controller": SLURM_CONTROLLER}
    queue_directive = "#SBATCH --partition={queue}"
    finished_states = frozenset({"COMPLETED", "CANCELLED", "FAILED", "TIMEOUT", "NODE_FAIL", "PREEMPTED",
                                 "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE", "COMPLETING"})
    gone_pattern = r"Invalid job id"  # squeue, once the job is forgotten (MinJobAge after it ended)

    submit_command = command_setting(["sbatch"], SUBMIT_HELP)
    delete_command = command_setting(["scancel", "{job_id}"], DELETE_HELP)
    status_command = command_setting(["squeue", "--noheader", "--jobs={job_id}", "--format=%T"], STATUS_HELP)
    job_state_regexp = state_setting(r"^\s*([A-Z_]+)\s*$")


class SlurmEngineSetLauncher(SlurmLauncher, BatchEngineSetLauncher):
    """`n` engines as the tasks of one Slurm job."""


class SlurmControllerLauncher(SlurmLauncher, BatchControllerLauncher):
    """``ipcontroller`` as a Slurm job."""

LSF_ENGINES = """#!/bin/sh
#BSUB -J ipengine[1-{n}]
#BSUB -oo {profile_dir}/log/lsf-engines-%J-%I.out
exec {program_and_args}
"""

LSF_CONTROLLER = """#!/bin/sh
#BSUB -J ipcontroller
#BSUB -oo {profile_dir}/log/lsf-controller-%J.out
exec {program_and_args}
"""


class LSFLauncher(BatchSystemLauncher):
    """ipyparallel's ``c.LSFLauncher``: ``bsub < script``, ``bjobs``, ``bkill``."""

    system = "LSF"
    templates: ClassVar[dict[str, str]] = {"engines": LSF_ENGINES, "controller": LSF_CONTROLLER}
    queue_directive = "#BSUB -q {queue}"
    submit_reads_stdin = True  # so the #BSUB lines are read, as LSF documents
    finished_states = frozenset({"DONE", "EXIT"})
    gone_pattern = r"is not found"

    submit_command = command_setting(["bsub"], SUBMIT_HELP)
    delete_command = command_setting(["bkill", "{job_id}"], DELETE_HELP)
    status_command = command_setting(["bjobs", "{job_id}"], STATUS_HELP)
    # JOBID USER STAT QUEUE FROM_HOST EXEC_HOST JOB_NAME SUBMIT_TIME, a line per array element
    job_state_regexp = state_setting(r"^{job_id}\s+\S+\s+([A-Z]+)\s")


class LSFEngineSetLauncher(LSFLauncher, BatchEngineSetLauncher):
    """`n` engines as an LSF job array."""


class LSFControllerLauncher(LSFLauncher, BatchControllerLauncher):
    """``ipcontroller`` as an LSF job."""


HTCONDOR_ENGINES = """universe = vanilla
executable = {program[0]}
arguments = {condor_arguments}
getenv = True
initialdir = {profile_dir}
output = log/htcondor-engines-$(Cluster)-$(Process).out
error = log/htcondor-engines-$(Cluster)-$(Process).err
queue {n}
"""

HTCONDOR_CONTROLLER = HTCONDOR_ENGINES.replace("engines", "controller").replace("queue {n}", "queue 1")


def condor_arguments(args: list[str]) -> str:
    """HTCondor's quoted form: the whole in double quotes, each argument in single quotes, quotes doubled."""
    quoted = ("'" + arg.replace("'", "''").replace('"', '""') + "'" for arg in args)
    return '"' + " ".join(quoted) + '"'


class HTCondorLauncher(BatchSystemLauncher):
    """ipyparallel's ``c.HTCondorLauncher``: ``condor_submit``, ``condor_q``, ``condor_rm``."""

    system = "HTCondor"
    templates: ClassVar[dict[str, str]] = {"engines": HTCONDOR_ENGINES, "controller": HTCONDOR_CONTROLLER}
    finished_states = frozenset({"3", "4"})  # removed, completed (JobStatus codes)
    gone_pattern = r"Couldn't find"  # condor_rm of a job that left the queue; condor_q just lists nothing

    submit_command = command_setting(["condor_submit"], SUBMIT_HELP)
    delete_command = command_setting(["condor_rm", "{job_id}"], DELETE_HELP)
    status_command = command_setting(["condor_q", "{job_id}", "-af", "JobStatus"], STATUS_HELP)
    job_id_regexp = Unicode(r"(?<=submitted to cluster )\d+", help="finds the job id in the submit command's "
                            "output").tag(config=True)
    job_state_regexp = state_setting(r"^\s*(\d)\s*$")

    def keys(self) -> dict[str, Any]:
        return {**super().keys(), "condor_arguments": condor_arguments(self.program[1:])}


class HTCondorEngineSetLauncher(HTCondorLauncher, BatchEngineSetLauncher):
    """`n` engines as one HTCondor cluster of `n` jobs."""


class HTCondorControllerLauncher(HTCondorLauncher, BatchControllerLauncher):
    """``ipcontroller`` as an HTCondor job."""


WINDOWS_HPC_JOB = """<?xml version="1.0" encoding="utf-8"?>
<Job Version="3.000" Name="{job_name}" MinCores="1" MaxCores="{n}" IsExclusive="false" RunUntilCanceled="false">
  <Tasks>
{tasks}
  </Tasks>
</Job>
"""


class WindowsHPCLauncher(BatchSystemLauncher):
    """ipyparallel's ``c.WindowsHPCLauncher``: a job description file for ``job submit``; ``job view``/``cancel``."""

    system = "WindowsHPC"
    templates: ClassVar[dict[str, str]] = {"engines": WINDOWS_HPC_JOB, "controller": WINDOWS_HPC_JOB}
    finished_states = frozenset({"Finished", "Failed", "Canceled"})
    batch_file_suffix = ".xml"
    gone_pattern = r"does not exist"

    scheduler = Unicode("", help="the HPC head node for `job submit /scheduler:`; empty: the default one").tag(
        config=True)
    submit_command = command_setting(["job", "submit", "/jobfile:{batch_file}"], SUBMIT_HELP)
    delete_command = command_setting(["job", "cancel", "{job_id}"], DELETE_HELP)
    status_command = command_setting(["job", "view", "{job_id}"], STATUS_HELP)
    job_state_regexp = state_setting(r"^State\s*:\s*(\w+)")

    def submit_argv(self, script: Path) -> list[str]:
        return [*super().submit_argv(script), *([f"/scheduler:{self.scheduler}"] if self.scheduler else [])]

    def keys(self) -> dict[str, Any]:
        """`tasks`: one <Task> per engine (one for the controller), each running the program."""
        name = "ipengine" if self.role == "engines" else "ipcontroller"
        task = f"    <Task Name={quoteattr(name)} CommandLine={quoteattr(subprocess.list2cmdline(self.program))} " \
               f"WorkDirectory={quoteattr(str(self.profile_dir))} MinCores=\"1\" MaxCores=\"1\" />"
        return {**super().keys(), "job_name": name, "tasks": "\n".join([task] * self.n)}


class WindowsHPCEngineSetLauncher(WindowsHPCLauncher, BatchEngineSetLauncher):
    """`n` engines as the tasks of one Windows HPC job."""


class WindowsHPCControllerLauncher(WindowsHPCLauncher, BatchControllerLauncher):
    """``ipcontroller`` as a Windows HPC job."""
