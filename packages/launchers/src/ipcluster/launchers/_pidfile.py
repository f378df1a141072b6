"""Pid files in the profile's ``pid/`` folder: how `stop` finds what `start` started.

A pid alone is no proof: after ``kill -9`` or a reboot the pid may name an unrelated
process. Each file also records its process's start time, and a live pid with
another start time is stale, so `stop` never signals a stranger and `start` is not
refused by one.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

from ipcluster.launchers._process import COMMAND_TIMEOUT


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stat_after_name(pid: int) -> list[str] | None:
    """Fields 3 on of /proc/<pid>/stat (state first); None where there is no such process or no /proc."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()  # the name may hold spaces and parentheses
    except (OSError, IndexError):
        return None


def process_start_time(pid: int) -> int | None:
    """When `pid` started, in clock ticks after boot (field 22 of /proc/<pid>/stat); None where unknown."""
    fields = _stat_after_name(pid)
    try:
        return int(fields[19]) if fields else None  # fields 1 and 2 (pid, name) are split off
    except (IndexError, ValueError):
        return None


def pid_running(pid: int) -> bool:
    """Alive and not a zombie (a zombie has exited; only its parent has not collected it)."""
    fields = _stat_after_name(pid)
    return fields is not None and fields[:1] != ["Z"]


def is_running(data: dict[str, Any]) -> bool:
    """Whether the process a pid file names still runs: its pid is alive with the recorded start time.

    A file without a start time (written by an older version) is judged by its pid alone.
    """
    pid = data["pid"]
    if not pid_alive(pid):
        return False
    recorded = data.get("start_time")
    return recorded is None or recorded == process_start_time(pid)


def read_pid_file(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("pid"), int) else None


def write_pid_file(path: Path, **fields: Any) -> None:
    tmp = path.with_suffix(".tmp")
    pid = os.getpid()
    tmp.write_text(json.dumps({"pid": pid, "start_time": process_start_time(pid), **fields}))
    os.replace(tmp, path)


def remove_pid_file(path: Path) -> None:
    data = read_pid_file(path)
    if data is not None and data["pid"] == os.getpid():
        path.unlink(missing_ok=True)


def remove_stale(path: Path, data: dict[str, Any], why: str = "") -> None:
    """Remove a pid file whose process is gone or whose pid now names another process, and say so.

    Its `cleanup` commands run first: an ``ipcluster`` killed outright could not cancel its batch jobs.
    """
    for argv in data.get("cleanup", []):
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
            said = done.stderr.strip()
            outcome = "done" if done.returncode == 0 else f"exit {done.returncode}" + (f": {said}" if said else "")
        except (OSError, subprocess.TimeoutExpired) as exc:
            outcome = str(exc)
        print(f"ipcluster: cleaning up after a stopped ipcluster: `{shlex.join(argv)}`: {outcome}", file=sys.stderr)
    path.unlink(missing_ok=True)
    if not why:
        pid = data["pid"]
        why = f"pid {pid} now belongs to another process" if pid_alive(pid) else f"pid {pid} has exited"
    print(f"ipcluster: {why}; removed its stale pid file {path}", file=sys.stderr)
