"""``ipcluster start --daemonize``: the same command again in a new session, and a return once it is up."""

from __future__ import annotations

import subprocess
import sys
import time

from ipcluster.launchers._pidfile import read_pid_file
from ipcluster.protocol._app import BaseParallelApplication

READY_WAIT = 60  # seconds the background command gets to report "running" in its pid file


def daemonize(app: BaseParallelApplication, subcommand: str, pid_name: str) -> int:
    """Re-run `app`'s command without --daemonize in a new session; 0 once its pid file says it runs."""
    # the command line beats config files, so this also undoes `daemonize = True` in a profile
    argv = [subcommand, f"--{type(app).__name__}.daemonize=False", *(a for a in app.argv if a != "--daemonize")]
    log = app.profile_path.log / f"{pid_name}-daemon.out"
    with open(log, "ab") as out:
        child = subprocess.Popen([sys.executable, "-m", "ipcluster.launchers.cluster", *argv],
                                 stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True)
    pid_file = app.profile_path.pid / f"{pid_name}.pid"
    deadline = time.monotonic() + READY_WAIT
    while time.monotonic() < deadline:
        data = read_pid_file(pid_file)
        if data and data["pid"] == child.pid and data.get("state") == "running":
            print(f"ipcluster: started in the background (pid {child.pid}); stop with `ipcluster stop`")
            return 0
        if child.poll() is not None:
            return app.fail(f"the background `ipcluster {subcommand}` exited with code {child.returncode}; "
                            f"see {log}")
        time.sleep(0.05)  # another process: nothing to wait on but the file it writes within a second
    return app.fail(f"the background `ipcluster {subcommand}` did not report ready within {READY_WAIT} s "
                    f"(it still runs as pid {child.pid}: stop it with `ipcluster stop`); see {log}")
