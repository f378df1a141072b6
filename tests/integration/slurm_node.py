"""A single-node Slurm (munged, slurmctld, slurmd) with everything in one private folder.

No daemon starts as a service here, so each runs in the foreground as our child and is stopped by
its pid; the ports are free ones picked at run time, so two sessions never share a controller.
"""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from clusters import wait_until
from store_servers import running

from ipcluster.protocol import free_ports

# cgroup plugins stay off: without a freezer controller every job would fail to launch yet be reported
# COMPLETED. MinJobAge keeps finished jobs visible to `scontrol show job` for a minute. The node claims
# more CPUs than the machine has (config_overrides lets it), so every job of a test runs at once.
# With batch_sched_delay=0 a job starts within a second of its submission, not within three; KillWait=2
# kills a cancelled job that ignores SIGTERM after 2 s.
CONFIG = """\
ClusterName=ipcluster-tests
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={controller_port}
SlurmdPort={node_port}
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket={munge}/munge.sock
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
MailProg=/bin/true
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
StateSaveLocation={folder}/state
SlurmdSpoolDir={folder}/spool
SlurmctldPidFile={folder}/slurmctld.pid
SlurmdPidFile={folder}/slurmd.pid
SlurmctldLogFile={folder}/log/slurmctld.log
SlurmdLogFile={folder}/log/slurmd.log
InactiveLimit=0
MinJobAge=60
KillWait=2
SlurmdParameters=config_overrides
SchedulerParameters=batch_sched_delay=0
NodeName={host} NodeAddr=127.0.0.1 CPUs={slots} RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""
SLOTS = 16
STOP_TIMEOUT = 30.0  # seconds for the jobs left behind to be killed


def slurm_output(args: list[str], env: dict[str, str]) -> str:
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=30, check=True).stdout


def answers(args: list[str], env: dict[str, str], expected: str) -> bool:
    result = subprocess.run(args, env=env, capture_output=True, text=True, timeout=30)
    return expected in result.stdout


def unfinished_jobs(env: dict[str, str]) -> list[str]:
    """Pending, running or completing jobs; array elements as ID_INDEX, a pending array as ID_[RANGE]."""
    return slurm_output(["squeue", "-h", "-o", "%i"], env).split()


def cancel_all(env: dict[str, str]) -> None:
    """Cancels every job and waits until the node has killed them, so no job step outlives slurmd."""
    left = unfinished_jobs(env)
    if left:
        subprocess.run(["scancel", *left], env=env, capture_output=True, timeout=30)
        wait_until(lambda: not unfinished_jobs(env), STOP_TIMEOUT, f"Slurm to end the jobs {left}")


@contextmanager
def slurm_node(folder: Path) -> Iterator[dict[str, str]]:
    """The environment Slurm's commands need (SLURM_CONF), once the node is idle; stops everything after."""
    for sub in ("state", "spool", "log"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    with ExitStack() as daemons:
        # munged insists that every user may reach its socket, through every folder above it: pytest's are private
        munge = Path(daemons.enter_context(tempfile.TemporaryDirectory(prefix="ipcluster-munge-")))
        munge.chmod(0o755)
        key = munge / "munge.key"
        subprocess.run(["mungekey", "-c", "-k", str(key)], check=True, capture_output=True)
        controller_port, node_port = free_ports(2)
        conf = folder / "slurm.conf"
        conf.write_text(CONFIG.format(host=socket.gethostname().split(".")[0], controller_port=controller_port,
                                      node_port=node_port, folder=folder, munge=munge, slots=SLOTS))
        env = {**os.environ, "SLURM_CONF": str(conf)}
        daemons.enter_context(running(
            ["munged", "-F", f"--socket={munge}/munge.sock", f"--key-file={key}", f"--pid-file={munge}/munged.pid",
             f"--seed-file={munge}/munged.seed", f"--log-file={folder}/log/munged.log"],
            folder / "log" / "munged.out", (munge / "munge.sock").exists))
        daemons.enter_context(running(["slurmctld", "-D", "-f", str(conf)], folder / "log" / "slurmctld.out",
                                      lambda: answers(["scontrol", "ping"], env, "UP")))
        daemons.enter_context(running(["slurmd", "-D", "-f", str(conf)], folder / "log" / "slurmd.out",
                                      lambda: answers(["sinfo", "-h", "-o", "%t"], env, "idle")))
        daemons.callback(cancel_all, env)  # before slurmd stops: it is what kills the jobs
        yield env
