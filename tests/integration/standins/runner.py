"""Runs one task of a stand-in job (see standin.py): `runner.py N.json`, started detached by the submit command.

It records when the task's command starts and its exit code, then kills whatever the task left
running in its process group, as real batch systems do when a job ends, and so ends itself.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

from standin import Task, write_atomically


def run_task(spec: Path) -> None:
    task = Task(**json.loads(spec.read_text()))
    mode = "ab" if task.append else "wb"
    with ExitStack() as files:
        stdin = files.enter_context(open(task.stdin, "rb"))
        stdout = files.enter_context(open(task.stdout, mode))
        stderr = stdout if task.stderr == task.stdout else files.enter_context(open(task.stderr, mode))
        spec.with_suffix(".started").touch()
        try:
            code = subprocess.call(task.command, cwd=task.folder, env=task.env, stdin=stdin, stdout=stdout,
                                   stderr=stderr)
        except OSError as exc:  # as a shell reports a command it cannot run
            stderr.write(f"{task.command[0]}: {exc.strerror}\n".encode())
            code = 127
    write_atomically(spec.with_suffix(".exit"), str(128 - code if code < 0 else code))
    os.killpg(0, signal.SIGKILL)


if __name__ == "__main__":
    run_task(Path(sys.argv[1]))
