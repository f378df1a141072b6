"""Finding, measuring and killing the processes of one benchmarked system.

Every system runs under its own temporary IPYTHONDIR, and every process it
starts inherits it, so that variable (or the folder in a command line) is how
we find a system's processes: to add up their CPU and memory, and to make sure
none survive the run.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable

import psutil

MB = 1024 * 1024


def _belongs(process: psutil.Process, ipython_dir: str) -> bool:
    try:
        if any(ipython_dir in arg for arg in process.cmdline()):
            return True
        return process.environ().get("IPYTHONDIR") == ipython_dir
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False


def cluster_processes(ipython_dir: str) -> list[psutil.Process]:
    """Live processes that run under `ipython_dir`, except this one and its ancestors (e.g. a `timeout`)."""
    me = psutil.Process()
    mine = {me.pid, *(parent.pid for parent in me.parents())}
    found = []
    for process in psutil.process_iter():
        if process.pid in mine:
            continue
        if _belongs(process, ipython_dir) and alive(process):
            found.append(process)
    return found


def alive(process: psutil.Process) -> bool:
    """Running and not a zombie: a zombie has let go of everything it held."""
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return False


def role(process: psutil.Process) -> str:
    """What a process is, from its command line: the ``-m`` module or the script name."""
    if process.pid == os.getpid():
        return "client"
    try:
        argv = process.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return "gone"
    if "-m" in argv[:-1]:
        return argv[argv.index("-m") + 1]
    for index, arg in enumerate(argv[1:], start=1):
        if arg.endswith(".py"):  # a script of ours: its name and its mode, e.g. "floors.py broker"
            return " ".join([os.path.basename(arg), *argv[index + 1:index + 2]])
    return os.path.basename(argv[0]) if argv else "?"


def command_lines(processes: Iterable[psutil.Process]) -> dict[str, str]:
    """Each process's command line, keyed "pid role": to check what a cluster was started with."""
    out: dict[str, str] = {}
    for process in processes:
        try:
            out[f"{process.pid} {role(process)}"] = " ".join(process.cmdline())
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return out


def with_descendants(roots: Iterable[psutil.Process]) -> list[psutil.Process]:
    """The processes and all their children, each once."""
    seen: dict[int, psutil.Process] = {}
    for root in roots:
        try:
            family = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
        for process in family:
            seen.setdefault(process.pid, process)
    return list(seen.values())


def cpu_seconds(processes: Iterable[psutil.Process]) -> dict[int, tuple[str, float]]:
    """user+system CPU seconds of each process (all its threads), by pid."""
    out: dict[int, tuple[str, float]] = {}
    for process in processes:
        try:
            times = process.cpu_times()
            out[process.pid] = (role(process), times.user + times.system)
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
    return out


def cpu_delta(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]) -> dict[str, float]:
    """CPU seconds spent between two snapshots, summed by role; new processes count from zero."""
    by_role: dict[str, float] = {}
    for pid, (name, seconds) in after.items():
        spent = seconds - before.get(pid, (name, 0.0))[1]
        by_role[name] = by_role.get(name, 0.0) + spent
    return by_role


def rss_mb(processes: Iterable[psutil.Process]) -> float:
    """Summed resident set size, in MiB."""
    total = 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
    return total / MB


def rss_by_role(processes: Iterable[psutil.Process]) -> dict[str, float]:
    """Summed RSS in MiB of each role, to see which process holds the memory."""
    out: dict[str, float] = {}
    for process in processes:
        name = role(process)
        out[name] = out.get(name, 0.0) + rss_mb([process])
    return out


def wait_gone(processes: Iterable[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Wait until none of `processes` is alive; returns those still alive after `timeout`."""
    remaining = list(processes)
    deadline = time.monotonic() + timeout
    while True:
        remaining = [process for process in remaining if alive(process)]
        if not remaining or time.monotonic() > deadline:
            return remaining
        time.sleep(0.005)


def kill_all(processes: Iterable[psutil.Process], grace: float = 3.0) -> list[str]:
    """SIGTERM, then SIGKILL whatever is left after `grace` seconds; returns what had to be killed."""
    targets = [process for process in processes if alive(process)]
    names = [f"{process.pid} {role(process)}" for process in targets]
    for process in targets:
        try:
            process.terminate()
        except psutil.NoSuchProcess:
            pass
    stubborn = wait_gone(targets, grace)
    for process in stubborn:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    wait_gone(stubborn, grace)
    return names


def kill_leftovers(ipython_dir: str) -> list[str]:
    """Kill every process (except this one) still running under `ipython_dir`."""
    return kill_all(cluster_processes(ipython_dir))
