"""Run inside a test host by test_across_hosts.py: a Client of the profile's controller uses every engine.

    across_hosts_client.py PROFILE_DIR ENGINES CLIENT_KWARGS_JSON

Prints one JSON object: the engine ids, each engine's pid, a load-balanced map's results and this process's
ssh children while the client is open and once it is closed; or the error.
"""

from __future__ import annotations

import json
import os
import sys

import psutil

from ipcluster.client import Client


def square(x: int) -> int:
    return x * x


def ssh_children() -> int:
    return sum(child.name() == "ssh" for child in psutil.Process().children())


def main() -> None:
    profile_dir, engines, kwargs = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
    try:
        with Client(profile_dir=profile_dir, **kwargs) as rc:
            rc.wait_for_engines(engines, timeout=30)
            found = {"ids": rc.ids, "pids": rc[:].apply_sync(os.getpid),
                     "squares": rc.load_balanced_view().map_sync(square, range(6)), "ssh_open": ssh_children()}
        found["ssh_closed"] = ssh_children()
    except Exception as exc:
        found = {"error": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(found))


if __name__ == "__main__":
    main()
