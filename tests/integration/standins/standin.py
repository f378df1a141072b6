"""What the stand-in batch commands share: a folder of jobs whose tasks really run as local processes.

The folder is $IPCLUSTER_STANDIN_STATE. Job ids are increasing integers, one counter for every
stand-in: a job is the folder jobs/ID, made with an atomic mkdir, holding job.json (what its
commands print) and per task N: N.json (what to run), N.pid (the runner's pid and start time),
N.started and N.exit (its exit code). Each task runs under runner.py, which leads its own session
and process group, so the submit command returns at once and a kill reaches everything the task
started; a task's state comes from whether its runner lives and what it recorded.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

STATE_VARIABLE = "IPCLUSTER_STANDIN_STATE"
RUNNER = Path(__file__).with_name("runner.py")
FIRST_ID = 1001  # far from array indexes and counts: a launcher that reads the wrong number fails
KILL_GRACE = 5.0  # seconds between SIGTERM and SIGKILL
PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"
UNFINISHED = (PENDING, RUNNING)


class Refused(Exception):
    """What a command prints on stderr before it exits with `code`, as the real one would."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


@dataclass
class Task:
    """One process to run: argv, working folder, whole environment, and where its output goes."""

    command: list[str]
    folder: str
    env: dict[str, str]
    stdout: str
    stderr: str
    stdin: str = os.devnull
    append: bool = False


def state_folder() -> Path:
    try:
        return Path(os.environ[STATE_VARIABLE])
    except KeyError:
        raise Refused(f"{STATE_VARIABLE} is not set: it names the folder where the stand-ins keep their jobs",
                      2) from None


class Job:
    """A submitted job: what its kind recorded, and the state of each of its tasks."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.id = int(folder.name)
        self.details = json.loads((folder / "job.json").read_text())

    def task_numbers(self) -> range:
        return range(self.details["tasks"])

    def states(self) -> list[str]:
        return [task_state(self.folder, n) for n in self.task_numbers()]

    def unfinished(self) -> bool:
        return any(state in UNFINISHED for state in self.states())

    @property
    def cancelled(self) -> bool:
        return (self.folder / "cancelled").exists()

    def kill(self) -> None:
        """SIGTERM to every task's process group, SIGKILL to what is left after the grace; returns once gone."""
        (self.folder / "cancelled").touch()
        groups = [pid for pid, _ in filter(None, (runner(self.folder, n) for n in self.task_numbers()))]
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for group in groups:
                try:
                    os.killpg(group, sig)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + KILL_GRACE
            while any(group_alive(group) for group in groups) and time.monotonic() < deadline:
                time.sleep(0.02)


def find(job_id: str, kind: str) -> Job | None:
    """The job of this kind with that id, or None: an unknown id, or another stand-in's job."""
    if not job_id.isdigit():
        return None
    folder = state_folder() / "jobs" / job_id
    if not (folder / "job.json").exists():
        return None
    job = Job(folder)
    return job if job.details["kind"] == kind else None


def all_jobs(state: Path) -> list[Job]:
    """Every job in that state folder, oldest first."""
    folder = state / "jobs"
    return sorted((Job(path) for path in folder.glob("*") if (path / "job.json").exists()),
                  key=lambda job: job.id) if folder.exists() else []


def submit(kind: str, make_tasks: Callable[[int, Path], list[Task]], **details: object) -> int:
    """Starts every task detached and returns the new job's id; `make_tasks` gets the id and the job's folder."""
    jobs = state_folder() / "jobs"
    jobs.mkdir(parents=True, exist_ok=True)
    job_id = max([FIRST_ID - 1, *(int(path.name) for path in jobs.iterdir())]) + 1
    while True:  # another submit may take the same number first
        try:
            (jobs / str(job_id)).mkdir()
            break
        except FileExistsError:
            job_id += 1
    folder = jobs / str(job_id)
    tasks = make_tasks(job_id, folder)
    for n, task in enumerate(tasks):
        (folder / f"{n}.json").write_text(json.dumps(asdict(task)))
    write_atomically(folder / "job.json", json.dumps(
        {"kind": kind, "tasks": len(tasks), "submitted": time.time(), **details}))
    for n in range(len(tasks)):
        with open(folder / f"{n}.runner.log", "wb") as log:  # where a runner that fails says why
            process = subprocess.Popen([sys.executable, str(RUNNER), str(folder / f"{n}.json")],
                                       start_new_session=True, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        # a runner already gone is never taken for alive: no start time equals "gone"
        write_atomically(folder / f"{n}.pid", f"{process.pid} {start_time(process.pid) or 'gone'}")
    return job_id


def write_atomically(path: Path, text: str) -> None:
    """Readers see the whole file or none of it."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text)
    partial.rename(path)


def proc_stat(pid: int) -> list[str] | None:
    """/proc/PID/stat from its third field on (state, parent, process group, ...); None once gone or a zombie."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()  # the command name in parentheses may hold spaces
    return None if fields[0] in ("Z", "X") else fields


def start_time(pid: int) -> str | None:
    """When the process started, in clock ticks since boot: with the pid, it names one process for ever."""
    fields = proc_stat(pid)
    return fields[19] if fields else None


def runner(folder: Path, n: int) -> tuple[int, str] | None:
    """The pid and start time of task n's runner, once the submit command has recorded them."""
    try:
        pid, started = (folder / f"{n}.pid").read_text().split()
    except FileNotFoundError:
        return None
    return int(pid), started


def group_alive(group: int) -> bool:
    """Whether any process of the group still runs (zombies do not count)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = proc_stat(int(entry.name))
            if fields and int(fields[2]) == group:
                return True
    return False


def exit_code(folder: Path, n: int) -> int | None:
    try:
        return int((folder / f"{n}.exit").read_text())
    except FileNotFoundError:
        return None


def task_state(folder: Path, n: int) -> str:
    record = runner(folder, n)
    # first whether the runner lives, then its exit code: it writes the code before it ends
    alive = record is not None and start_time(record[0]) == record[1]
    code = exit_code(folder, n)
    if code is not None:
        return DONE if code == 0 else FAILED
    if record is None or alive:
        return RUNNING if (folder / f"{n}.started").exists() else PENDING
    return FAILED  # killed before its command ended


def main(commands: dict[str, Callable[[list[str]], None]]) -> None:
    """Runs the command named by how this script was called; a Refused becomes its message and exit code."""
    try:
        commands[Path(sys.argv[0]).name](sys.argv[1:])
    except Refused as refusal:
        print(refusal, file=sys.stderr)
        sys.exit(refusal.code)
