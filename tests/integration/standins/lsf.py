#!/usr/bin/env python3
"""LSF's bsub, bjobs and bkill, standing in for the real ones (called through symlinks of those names).

bsub reads the job script from stdin, as `bsub < script`, with its #BSUB lines before the first
command; options on the command line win. Supported: -J name or name[1-N] (an array: N copies,
each with LSB_JOBINDEX set, 0 for a lone job), -q, -o/-oo and -e/-eo (append or overwrite; %J and
%I become the job id and index; stderr joins -o when no -e is given). Jobs run in bsub's folder
with bsub's environment, as LSF copies it.
"""

from __future__ import annotations

import getpass
import os
import re
import shlex
import socket
import sys
from datetime import datetime
from pathlib import Path

import standin

KIND = "lsf"
DEFAULT_QUEUE = "normal"
OPTIONS_WITH_VALUES = {"-J", "-q", "-o", "-oo", "-e", "-eo"}
STATE_NAMES = {standin.PENDING: "PEND", standin.RUNNING: "RUN", standin.DONE: "DONE", standin.FAILED: "EXIT"}
ROW = "{:<7} {:<7} {:<5} {:<10} {:<11} {:<11} {:<10} {}"


def parse_options(words: list[str]) -> dict[str, str]:
    options = {}
    for option, value in zip(words[::2], words[1::2], strict=False):
        if option not in OPTIONS_WITH_VALUES:
            raise standin.Refused(f"{option}: this stand-in knows only {' '.join(sorted(OPTIONS_WITH_VALUES))}", 255)
        options[option] = value
    if len(words) % 2:
        raise standin.Refused(f"{words[-1]}: a value is missing, or a command was given: "
                              "this stand-in reads the job script from stdin only", 255)
    return options


def embedded_options(script: str) -> dict[str, str]:
    """The #BSUB lines' options; LSF stops reading them at the script's first command."""
    words: list[str] = []
    for line in script.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            break
        if stripped.startswith("#BSUB"):
            words += shlex.split(stripped.removeprefix("#BSUB"))
    return parse_options(words)


def array_indexes(spec: str) -> list[int]:
    """LSF's index list: `1-4`, `1-9:2`, `1,3,5`, each part optionally with a `%limit` at the end (ignored)."""
    indexes: list[int] = []
    for part in spec.split("%")[0].split(","):
        bounds, _, step = part.partition(":")
        first, _, last = bounds.partition("-")
        indexes += range(int(first), int(last or first) + 1, int(step or 1))
    return indexes


def output_path(template: str, job_id: int, index: int) -> str:
    return template.replace("%J", str(job_id)).replace("%I", str(index))


def bsub(args: list[str]) -> None:
    script = sys.stdin.read()
    options = {**embedded_options(script), **parse_options(args)}
    match = re.fullmatch(r"(.*)\[(.+)\]", options.get("-J", ""))
    name, indexes = (match[1], array_indexes(match[2])) if match else (options.get("-J") or first_line(script), [0])
    output = options.get("-o") or options.get("-oo")
    error = options.get("-e") or options.get("-eo") or output

    def tasks(job_id: int, folder: Path) -> list[standin.Task]:
        (folder / "script").write_text(script)
        (folder / "script").chmod(0o755)
        command = [str(folder / "script")] if script.startswith("#!") else ["/bin/sh", str(folder / "script")]
        env = {**os.environ, "LSB_JOBID": str(job_id), "LSB_JOBNAME": options.get("-J", name)}
        return [standin.Task(
            command, os.getcwd(), {**env, "LSB_JOBINDEX": str(index)},
            stdout=output_path(output, job_id, index) if output else str(folder / f"{n}.out"),
            stderr=output_path(error, job_id, index) if error else str(folder / f"{n}.out"),
            append="-oo" not in options) for n, index in enumerate(indexes)]

    queue = options.get("-q")
    job_id = standin.submit(KIND, tasks, name=name, array=match is not None, indexes=indexes,
                            queue=queue or DEFAULT_QUEUE, user=getpass.getuser(), host=short_hostname())
    print(f"Job <{job_id}> is submitted to " + (f"queue <{queue}>." if queue else f"default queue <{DEFAULT_QUEUE}>."))


def first_line(script: str) -> str:
    """LSF names a job after its command, here the script's first line."""
    return next((line.strip() for line in script.splitlines() if line.strip()), "NONAME")


def short_hostname() -> str:
    return socket.gethostname().split(".")[0]


def cell(text: str, width: int) -> str:
    """bjobs shows the end of a value that does not fit, marked with a leading `*`."""
    return text if len(text) <= width else "*" + text[-(width - 1):]


def bjobs(args: list[str]) -> None:
    if not args:
        raise standin.Refused("this stand-in lists given job ids only: bjobs ID...", 255)
    rows, missing = [], []
    for job_id in args:
        job = standin.find(job_id, KIND)
        if job is None:
            missing.append(job_id)
            continue
        details = job.details
        submitted = datetime.fromtimestamp(details["submitted"])
        for index, state in zip(details["indexes"], job.states(), strict=True):
            name = f"{details['name']}[{index}]" if details["array"] else details["name"]
            rows.append(ROW.format(job.id, cell(details["user"], 7), STATE_NAMES[state], cell(details["queue"], 10),
                                   cell(details["host"], 11), "" if state == standin.PENDING else
                                   cell(details["host"], 11), cell(name, 10), f"{submitted:%b %e %H:%M}"))
    if rows:
        print(ROW.format("JOBID", "USER", "STAT", "QUEUE", "FROM_HOST", "EXEC_HOST", "JOB_NAME", "SUBMIT_TIME"))
        print("\n".join(rows))
    for job_id in missing:
        print(f"Job <{job_id}> is not found", file=sys.stderr)
    if missing:
        sys.exit(255)


def bkill(args: list[str]) -> None:
    if len(args) != 1:
        raise standin.Refused("this stand-in kills one job: bkill ID", 255)
    job = standin.find(args[0], KIND)
    if job is None:
        raise standin.Refused(f"Job <{args[0]}>: No matching job found", 255)
    if not job.unfinished():
        raise standin.Refused(f"Job <{job.id}>: Job has already finished", 255)
    print(f"Job <{job.id}> is being terminated", flush=True)
    job.kill()


if __name__ == "__main__":
    standin.main({"bsub": bsub, "bjobs": bjobs, "bkill": bkill})
