"""Pid files in the profile's ``pid/`` folder: how `stop` finds what `start` started."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_pid_file(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("pid"), int) else None


def write_pid_file(path: Path, **fields: Any) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"pid": os.getpid(), **fields}))
    os.replace(tmp, path)


def remove_pid_file(path: Path) -> None:
    data = read_pid_file(path)
    if data is not None and data["pid"] == os.getpid():
        path.unlink(missing_ok=True)
