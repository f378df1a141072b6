#!/usr/bin/env python3
"""HTCondor's condor_submit, condor_q and condor_rm, standing in for the real ones (called through symlinks).

condor_submit FILE reads a submit description: `key = value` lines (keys in any case, `\\` continues
a line, `#` comments) and `queue [N]` statements, each queueing N processes of the cluster with
the settings so far. Used: executable (relative to the submit folder), arguments and environment
(the quoted new syntax or the old one), getenv, initialdir (the processes' folder; relative output,
error and input are inside it), output, error, input. `$(Process)`/`$(ProcId)` and
`$(Cluster)`/`$(ClusterId)`, and any key set before, are expanded. Without getenv a process gets
only its `environment`, as in HTCondor. A process that has exited leaves the queue.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import standin

KIND = "condor"
STATUS = {standin.PENDING: "1", standin.RUNNING: "2"}  # HTCondor's JobStatus: idle, running
MACRO = re.compile(r"\$\((\w+)\)")


def statements(text: str) -> Iterator[str]:
    """The description's statements, continuation lines joined, comments and blank lines skipped."""
    pending = ""
    for line in text.splitlines():
        pending += line.strip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        if pending and not pending.startswith("#"):
            yield pending
        pending = ""


def split_new_syntax(value: str) -> list[str]:
    """HTCondor's quoted form `"a b 'c d'"`: words split at spaces, '' and "" inside stand for ' and "."""
    words, word, quoted, in_word = [], "", False, False
    text = value[1:-1].replace('""', '"')
    i = 0
    while i < len(text):
        char = text[i]
        if char == "'" and quoted and text[i + 1:i + 2] == "'":
            word += "'"
            i += 1
        elif char == "'":
            quoted, in_word = not quoted, True
        elif char.isspace() and not quoted:
            if in_word:
                words.append(word)
            word, in_word = "", False
        else:
            word, in_word = word + char, True
        i += 1
    if quoted:
        raise standin.Refused(f"ERROR: unbalanced single quote in {value}")
    return [*words, word] if in_word else words


def arguments(value: str) -> list[str]:
    return split_new_syntax(value) if value.startswith('"') else value.replace('\\"', '"').split()


def environment(value: str) -> dict[str, str]:
    """`"A=1 B='x y'"` (new syntax) or `A=1;B=2` (old)."""
    pairs = split_new_syntax(value) if value.startswith('"') else [pair for pair in value.split(";") if pair]
    return dict(pair.split("=", 1) for pair in pairs)


def expand(value: str, settings: dict[str, str], cluster: int, process: int) -> str:
    known = {"process": str(process), "procid": str(process), "cluster": str(cluster), "clusterid": str(cluster)}

    def replace(match: re.Match) -> str:
        name = match[1].lower()
        return known.get(name, expand(settings.get(name, ""), settings, cluster, process))

    return MACRO.sub(replace, value)


def process_task(settings: dict[str, str], cluster: int, process: int, submit_folder: Path) -> standin.Task:
    def setting(key: str, default: str = "") -> str:
        return expand(settings.get(key, default), settings, cluster, process)

    folder = submit_folder / setting("initialdir", ".")
    executable = submit_folder / setting("executable")
    if not setting("executable") or not executable.is_file():
        raise standin.Refused(f"ERROR: Executable file {executable} does not exist")
    env = dict(os.environ) if setting("getenv").lower() == "true" else {}
    env |= environment(setting("environment"))
    return standin.Task([str(executable), *arguments(setting("arguments"))], str(folder), env,
                        stdout=str(folder / setting("output", os.devnull)),
                        stderr=str(folder / setting("error", os.devnull)),
                        stdin=str(folder / setting("input", os.devnull)))


def condor_submit(args: list[str]) -> None:
    if len(args) != 1:
        raise standin.Refused("this stand-in takes one submit description: condor_submit FILE")
    settings: dict[str, str] = {}
    queued: list[dict[str, str]] = []  # the settings of each process, in order
    for statement in statements(Path(args[0]).read_text()):
        word, _, rest = statement.partition(" ")
        if word.lower() == "queue":
            queued += [dict(settings)] * int(rest.strip() or 1)
        elif "=" in statement:
            key, _, value = statement.partition("=")
            settings[key.strip().lower()] = value.strip()
        else:
            raise standin.Refused(f"ERROR: parse error in submit file: {statement}")

    def tasks(cluster: int, _folder: Path) -> list[standin.Task]:
        return [process_task(each, cluster, n, Path.cwd()) for n, each in enumerate(queued)]

    cluster = standin.submit(KIND, tasks)
    print("Submitting job(s)" + "." * len(queued))
    print(f"{len(queued)} job(s) submitted to cluster {cluster}.")


def condor_q(args: list[str]) -> None:
    """condor_q CLUSTER[.PROC]... -af ATTRIBUTE...: one line per process still queued (JobStatus, ClusterId, ProcId)."""
    if "-af" not in args:
        raise standin.Refused("this stand-in prints attributes only: condor_q ID... -af ATTRIBUTE...")
    split = args.index("-af")
    for wanted in args[:split]:
        cluster, _, only = wanted.partition(".")
        job = standin.find(cluster, KIND)
        for process, state in enumerate(job.states() if job else []):
            if state in STATUS and only in ("", str(process)):
                values = {"JobStatus": STATUS[state], "ClusterId": cluster, "ProcId": str(process)}
                print(" ".join(values.get(name, "undefined") for name in args[split + 1:]))


def condor_rm(args: list[str]) -> None:
    if len(args) != 1:
        raise standin.Refused("this stand-in removes one cluster: condor_rm ID")
    job = standin.find(args[0], KIND)
    if job is None or not job.unfinished():
        raise standin.Refused(f"Couldn't find/remove all jobs in cluster {args[0]}")
    job.kill()
    print(f"All jobs in cluster {job.id} have been marked for removal")


if __name__ == "__main__":
    standin.main({"condor_submit": condor_submit, "condor_q": condor_q, "condor_rm": condor_rm})
