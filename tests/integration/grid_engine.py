"""Son of Grid Engine as Debian installs it (one cell for the whole machine), configured and started by hand.

The package configures no queue and no submit host, and out of the box rejects root's jobs and
schedules every 15 s; `grid_engine` applies the five fixes of RECIPES.md §3 on every start (they
are idempotent and kept in the cell's spool). Both daemons daemonize, so they are found and stopped
by name; the ports are free ones picked at run time and passed to every command by environment.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import psutil
from clusters import alive, wait_until

from ipcluster.protocol import free_ports

SGE_ROOT = Path("/var/lib/gridengine")
CELL = "default"
DAEMONS = ("sge_qmaster", "sge_execd")
RUN_FOLDERS = (Path("/var/run/gridengine"), Path("/var/spool/gridengine/execd"))  # the daemons run as sgeadmin
COMMANDS = ("qsub", "qstat", "qdel", "qalter", "qhold", "qrls", "qmod", "qconf", "qacct", "qhost")
QUEUE = "all.q"
SLOTS = 16  # more than the machine's cores, so every job of a test runs at once
TIMEOUT = 30.0
# every key of queue_conf(5): `qconf -Aq` accepts only a complete queue. No load threshold, or a busy
# two-core machine would put the queue in alarm state and nothing would start.
QUEUE_CONF = """\
qname                 {queue}
hostlist              {host}
seq_no                0
load_thresholds       NONE
suspend_thresholds    NONE
nsuspend              1
suspend_interval      00:05:00
priority              0
min_cpu_interval      00:05:00
processors            UNDEFINED
qtype                 BATCH INTERACTIVE
ckpt_list             NONE
pe_list               NONE
rerun                 FALSE
slots                 {slots}
tmpdir                /tmp
shell                 /bin/sh
prolog                NONE
epilog                NONE
shell_start_mode      unix_behavior
starter_method        NONE
suspend_method        NONE
resume_method         NONE
terminate_method      NONE
notify                00:00:60
owner_list            NONE
user_lists            NONE
xuser_lists           NONE
subordinate_list      NONE
complex_values        NONE
projects              NONE
xprojects             NONE
calendar              NONE
initial_state         default
""" + "".join(f"{limit:22s}INFINITY\n" for kind in ("rt", "cpu", "fsize", "data", "stack", "core", "rss", "vmem")
              for limit in (f"s_{kind}", f"h_{kind}"))


def commands_first(folder: Path) -> str:
    """A PATH on which `qsub` and the rest are Grid Engine's, whatever else (the PBS wrappers) PATH holds."""
    commands = folder / "bin"
    commands.mkdir(exist_ok=True)
    for name in COMMANDS:
        (commands / name).symlink_to(f"/usr/bin/{name}")  # Debian's wrapper, which finds the binary by this name
    return f"{commands}{os.pathsep}{os.environ['PATH']}"


def sge_output(args: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(args, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}): {result.stdout}{result.stderr}")
    return result.stdout


def listed(what: str, env: dict[str, str]) -> list[str]:
    """What `qconf -ss` (submit hosts), `-sel` (exec hosts) or `-sql` (queues) lists; it fails when that is none."""
    return subprocess.run(["qconf", what], env=env, capture_output=True, text=True, timeout=TIMEOUT).stdout.split()


def answers(args: list[str], env: dict[str, str]) -> bool:
    return 0 == subprocess.run(args, env=env, capture_output=True, timeout=TIMEOUT).returncode


def unfinished_jobs(env: dict[str, str]) -> list[str]:
    """Every user's queued or running jobs, an array's id once."""
    lines = sge_output(["qstat", "-u", "*"], env).splitlines()[2:]  # below the header and its dashes
    return list(dict.fromkeys(line.split()[0] for line in lines))


def delete_all(env: dict[str, str]) -> None:
    """Deletes every job and waits until they are gone, so no job outlives execd."""
    if unfinished_jobs(env):
        subprocess.run(["qdel", "-u", "*"], env=env, capture_output=True, timeout=TIMEOUT)
        wait_until(lambda: not unfinished_jobs(env), TIMEOUT, "Grid Engine to delete every job")


def stop_daemons() -> None:
    """Both at once (each takes seconds to shut down); they daemonized, so they are found by exact name."""
    found = [process for process in psutil.process_iter(["name"]) if process.info["name"] in DAEMONS]
    for process in found:
        with suppress(psutil.NoSuchProcess):
            process.terminate()
    wait_until(lambda: not any(alive(process) for process in found), TIMEOUT, f"{' and '.join(DAEMONS)} to exit")


def configure(env: dict[str, str], host: str, folder: Path) -> None:
    """Root may run jobs, the scheduler runs every second, this host may submit and has a queue."""
    # qconf -Mconf names the configuration after the file: it must be called `global`
    settings = sge_output(["qconf", "-sconf"], env)
    (folder / "global").write_text("".join(
        f"{line.split()[0]} 0\n" if line.split()[:1] in (["min_uid"], ["min_gid"]) else line + "\n"
        for line in settings.splitlines()))
    sge_output(["qconf", "-Mconf", str(folder / "global")], env)
    scheduler = sge_output(["qconf", "-ssconf"], env)
    (folder / "scheduler").write_text("".join(
        "schedule_interval 0:0:1\n" if line.startswith("schedule_interval") else line + "\n"
        for line in scheduler.splitlines()))
    sge_output(["qconf", "-Msconf", str(folder / "scheduler")], env)
    if host not in listed("-ss", env):
        sge_output(["qconf", "-as", host], env)


def add_queue(env: dict[str, str], host: str, folder: Path) -> None:
    """The one queue, replaced if a previous run left it (perhaps in error state)."""
    (folder / QUEUE).write_text(QUEUE_CONF.format(queue=QUEUE, host=host, slots=SLOTS))
    exists = QUEUE in listed("-sql", env)
    sge_output(["qconf", "-Mq" if exists else "-Aq", str(folder / QUEUE)], env)
    sge_output(["qmod", "-c", QUEUE], env)


@contextmanager
def grid_engine(folder: Path) -> Iterator[dict[str, str]]:
    """The environment Grid Engine's commands need, once a job could run; stops both daemons after."""
    host = socket.gethostname().split(".")[0]
    loopback_name = socket.gethostbyaddr("127.0.0.1")[0]
    if loopback_name != host:  # otherwise every command is refused: its address resolves to another name
        (SGE_ROOT / CELL / "common" / "host_aliases").write_text(f"{host} {loopback_name}\n")
    qmaster_port, execd_port = free_ports(2)
    env = {**os.environ, "SGE_ROOT": str(SGE_ROOT), "SGE_CELL": CELL, "PATH": commands_first(folder),
           "SGE_QMASTER_PORT": str(qmaster_port), "SGE_EXECD_PORT": str(execd_port)}
    for spool in RUN_FOLDERS:
        spool.mkdir(parents=True, exist_ok=True)
        shutil.chown(spool, "sgeadmin", "sgeadmin")
    stop_daemons()  # an interrupted run's, which would hold the spool
    try:
        subprocess.run(["sge_qmaster"], env=env, check=True, timeout=TIMEOUT)
        wait_until(lambda: answers(["qconf", "-sh"], env), TIMEOUT, "sge_qmaster to answer")
        configure(env, host, folder)
        subprocess.run(["sge_execd"], env=env, check=True, timeout=TIMEOUT)  # after min_uid: execd caches it
        wait_until(lambda: host in listed("-sel", env), TIMEOUT, "sge_execd to register")
        add_queue(env, host, folder)
        delete_all(env)  # an interrupted run's
        try:
            yield env
        finally:
            delete_all(env)
    finally:
        stop_daemons()
