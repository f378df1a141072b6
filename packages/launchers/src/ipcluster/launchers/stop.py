"""``ipcluster stop``: stop what ``ipcluster start`` and ``ipcluster engines`` started for a profile."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from traitlets import Float, Integer

from ipcluster.launchers._codes import ALREADY_STOPPED, NO_CLUSTER
from ipcluster.launchers._pidfile import is_running, pid_running, read_pid_file, remove_stale
from ipcluster.protocol._app import COMMON_ALIASES, COMMON_FLAGS, BaseParallelApplication


class IPClusterStop(BaseParallelApplication):
    name = "ipcluster"
    description = "Stop what `ipcluster start` and `ipcluster engines` started for a profile."
    config_file_stem = "ipcluster"
    signal = Integer(int(signal.SIGTERM), help="the signal to send").tag(config=True)
    timeout = Float(60.0, help="seconds to wait for everything to exit").tag(config=True)
    aliases = {**COMMON_ALIASES, "signal": "IPClusterStop.signal"}
    flags = COMMON_FLAGS

    def run(self) -> int:
        found = self._pid_files()
        if not found:
            print(f"ipcluster: no cluster is running for profile {self.profile_path.name!r} "
                  f"(no {self.profile_path.pid / 'ipcluster.pid'}); start one with `ipcluster start`",
                  file=sys.stderr)
            return NO_CLUSTER
        running = {what: data["pid"] for what, (path, data) in found.items() if is_running(data)}
        for what, (path, data) in found.items():
            if what not in running:
                remove_stale(path, data, f"{what} of profile {self.profile_path.name!r} had already stopped")
        if not running:
            return ALREADY_STOPPED
        deadline = time.monotonic() + self.timeout
        for what, pid in running.items():
            code = self._stop(what, pid, deadline, found[what][0])
            if code:
                return code
        return 0

    def _pid_files(self) -> dict[str, tuple[Path, dict[str, Any]]]:
        """What runs for this profile, by its pid file; the engines first, so they stop before their controller."""
        found = {}
        for what, name in (("`ipcluster engines`", "ipcluster-engines"), ("the cluster", "ipcluster")):
            path = self.profile_path.pid / f"{name}.pid"
            data = read_pid_file(path)
            if data is not None:
                found[what] = (path, data)
        return found

    def _stop(self, what: str, pid: int, deadline: float, path: Path) -> int:
        """Signal `pid` and wait for it to exit; a pid we may not signal is one line, not a traceback."""
        try:
            os.kill(pid, self.signal)
        except PermissionError as exc:
            return self.fail(f"cannot signal {what} (pid {pid}): {exc.strerror}; is it another user's process?")
        except ProcessLookupError:
            pass  # it exited just now
        while pid_running(pid):
            if time.monotonic() > deadline:
                return self.fail(f"{what} (pid {pid}) is still running after {self.timeout:g} s; "
                                 f"kill it with `kill -9 {pid}`")
            time.sleep(0.02)  # another process: nothing to wait on but its pid
        left = read_pid_file(path)
        if left is not None and left["pid"] == pid:  # it died without cleaning up (SIGKILL): do its part
            remove_stale(path, left, f"{what} (pid {pid}) exited without cleaning up")
        print(f"ipcluster: stopped {what} of profile {self.profile_path.name!r}")
        return 0
