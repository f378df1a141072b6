"""A program run on another host over ssh, which cannot outlive its ssh connection.

The remote side is a POSIX sh script around the program. It keeps ssh's stdin as the stop channel:
when that ends (we close it; or ipcluster dies, and the pipe with it; or the connection drops), the
script SIGTERMs the program, and SIGKILLs it after STOP_GRACE. So stopping a remote program for certain
takes no second connection and no pid. The program reads /dev/null and writes to stderr, leaving stdout
to the script's own lines: ``pid N``, then ``ready`` once the files the caller waits for all exist.
"""

from __future__ import annotations

import contextlib
import os
import select
import shlex
import subprocess
import time
from collections import deque
from collections.abc import Callable, Sequence

from ipcluster.launchers._process import COMMAND_TIMEOUT, LocalProcess

# ssh connections opened at once to one host: sshd drops some beyond 10 still authenticating (MaxStartups)
WINDOW = 8
STOP_GRACE = 5.0  # seconds a program has between SIGTERM and SIGKILL once the stop channel ends
SCRIPT = "; ".join([
    "exec 3<&0 </dev/null",  # fd 3 keeps the stop channel; the program reads nothing
    "{remove}",
    '"$@" >&2 3<&- & pid=$!',
    'echo "pid $pid"',
    # the watcher holds no child, so killing it leaves nothing behind; $$ is this shell, which acts on USR1
    "trap 'stopping=1; kill -TERM \"$pid\" 2>/dev/null' USR1",
    "{{ read -r _ <&3; kill -USR1 $$; }} & watcher=$!",
    'until {exist} || [ -n "$stopping" ]; do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done',
    "{exist} && echo ready",
    '[ -n "$stopping" ] || wait "$pid"',  # until the program ends, or the stop comes
    # after a stop, the program has the grace to exit before SIGKILL
    'n=0; while kill -0 "$pid" 2>/dev/null; do [ "$n" -ge {grace} ] && kill -KILL "$pid"; n=$((n+1)); sleep 0.1; done',
    'wait "$pid"; code=$?',  # its exit status, kept by the shell for a second wait
    'kill "$watcher" 2>/dev/null',
    'exit "$code"',
])


class SSHError(RuntimeError):
    """A host we cannot reach or use; the message names the host and the fix."""


def not_installed(command: str) -> SSHError:
    return SSHError(f"{command!r} is not installed here, and the SSH launchers need it: install OpenSSH's client, "
                    "or set c.SSHLauncher.ssh_cmd and scp_cmd")


def run_all(steps: Sequence[tuple[list[str], Callable[[int, str], str]]]) -> None:
    """Run the commands, up to WINDOW at once; SSHError for the first that fails, as its `explain` says.

    `explain` gets the exit code and the last line of stderr (-1 and a reason when it took too long).
    """
    running: deque[tuple[subprocess.Popen, Callable[[int, str], str]]] = deque()
    try:
        for argv, explain in steps:
            if len(running) >= WINDOW:
                finish(*running.popleft())
            try:
                running.append((subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                                 stderr=subprocess.PIPE, text=True), explain))
            except FileNotFoundError:
                raise not_installed(argv[0]) from None
        while running:
            finish(*running.popleft())
    finally:
        for process, _ in running:
            process.kill()
            process.wait()


def finish(process: subprocess.Popen, explain: Callable[[int, str], str]) -> None:
    try:
        _, err = process.communicate(timeout=COMMAND_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise SSHError(explain(-1, f"no answer within {COMMAND_TIMEOUT} s")) from None
    if process.returncode:
        lines = [line for line in err.splitlines() if line.strip()]
        raise SSHError(explain(process.returncode, lines[-1].strip() if lines else "no message"))


def remote_command(program: Sequence[str], wait_for: Sequence[str] = ()) -> str:
    """The command line for ssh: the script, run by sh whatever the login shell, with `program` as its "$@".

    The files in `wait_for` are removed first, so ``ready`` never stands for a previous run's copies.
    """
    remove = f"rm -f {shlex.join(wait_for)}" if wait_for else ":"
    exist = " && ".join(f"test -e {shlex.quote(path)}" for path in wait_for) or "true"
    script = SCRIPT.format(remove=remove, exist=exist, grace=round(STOP_GRACE * 10))
    return shlex.join(["exec", "/bin/sh", "-c", script, "ipcluster-ssh", *program])


class RemoteProcess(LocalProcess):
    """``ssh HOST <the script around program>``: the local ssh process stands for the remote program."""

    def __init__(self, ssh: Sequence[str], host: str, program: Sequence[str], what: str,
                 wait_for: Sequence[str] = ()):
        super().__init__([*ssh, host, remote_command(program, wait_for)])
        self.host = host
        self.what = what  # 'engine', 'controller': for messages
        self.remote_pid: int | None = None
        self.ready = False
        self._unread = b""

    def start(self) -> None:
        try:
            self.process = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        except FileNotFoundError:
            raise not_installed(self.argv[0]) from None
        assert self.process.stdout is not None
        os.set_blocking(self.process.stdout.fileno(), False)

    def read(self, timeout: float = 0.0) -> bool:
        """Take in the script's lines, waiting up to `timeout` for some; False once there will be no more."""
        stdout = self.process.stdout if self.process else None
        if stdout is None or stdout.closed:
            return False
        if not select.select([stdout], [], [], max(0.0, timeout))[0]:
            return True
        data = os.read(stdout.fileno(), 4096)
        if not data:
            stdout.close()
            return False
        *lines, self._unread = (self._unread + data).split(b"\n")
        for line in lines:
            if line.startswith(b"pid "):
                self.remote_pid = int(line[4:])
            elif line == b"ready":
                self.ready = True
        return True

    def started(self, timeout: float = 0.0) -> bool:
        """The remote program runs (the script told its pid), or ssh ended trying."""
        self.read(timeout)
        return self.remote_pid is not None or not self.running

    def wait_ready(self, timeout: float) -> bool:
        """Wait until the files the script waits for exist; False when it ended first or `timeout` ran out."""
        deadline = time.monotonic() + timeout
        while not self.ready and time.monotonic() < deadline and self.read(deadline - time.monotonic()):
            pass
        return self.ready

    def terminate(self) -> None:
        """Close the stop channel: the script stops the program (SIGKILL after STOP_GRACE), then ssh ends."""
        if self.process is not None and self.process.stdin is not None:
            with contextlib.suppress(BrokenPipeError):  # ssh has just exited: nothing left to stop
                self.process.stdin.close()

    def __str__(self) -> str:
        self.read()
        pid = f"pid {self.remote_pid}" if self.remote_pid is not None else "not started"
        return f"{self.what} on {self.host} ({pid})"
