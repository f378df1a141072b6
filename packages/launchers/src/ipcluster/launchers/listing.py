"""``ipcluster list``: what runs in each profile of IPYTHONDIR, read from pid files alone.

Nothing is contacted, so a hung controller cannot hang the list. A pid file whose process is gone, or
whose pid now names another process (`is_running` compares start times), counts as stopped.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from traitlets import CaselessStrEnum

from ipcluster.launchers._pidfile import is_running, read_pid_file
from ipcluster.launchers.profiles import ProfilesCommand, profiles_in
from ipcluster.protocol._profile import ipython_dir

PID_FILES = ("ipcluster", "ipcluster-engines", "ipcontroller")  # ipcluster start, ipcluster engines, ipcontroller
COLUMNS = ("PROFILE", "CONTROLLER", "ENGINES", "PID")


@dataclass(frozen=True)
class Running:
    """One profile where something runs."""

    profile: str
    profile_dir: str
    controller: str  # "running" or "stopped"
    engines: int  # started by `ipcluster start` and `ipcluster engines`
    pid: int | None  # of `ipcluster start`; None when the controller was started by hand


def running_clusters(root: Path) -> list[Running]:
    """The profiles in `root` with a running ipcluster start, ipcluster engines or ipcontroller."""
    found = []
    for profile in profiles_in(root):
        running = {}
        for name in PID_FILES:
            data = read_pid_file(profile.pid / f"{name}.pid")
            if data is not None and is_running(data):
                running[name] = data
        if running:
            found.append(Running(
                profile=profile.name, profile_dir=str(profile.path),
                controller="running" if "ipcontroller" in running else "stopped",
                engines=sum(int(data.get("engines", 0)) for data in running.values()),
                pid=running["ipcluster"]["pid"] if "ipcluster" in running else None,
            ))
    return found


def table(clusters: list[Running]) -> str:
    """A text table, one cluster a line, columns padded to their widest cell."""
    rows = [COLUMNS, *((c.profile, c.controller, str(c.engines), str(c.pid or "-")) for c in clusters)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
                     for row in rows)


class IPClusterList(ProfilesCommand):
    description = "List the running clusters of every profile in IPYTHONDIR."
    output_format = CaselessStrEnum(["text", "json"], default_value="text",
                                    help="text (a table) or json (a list of objects)").tag(config=True)
    aliases = {**ProfilesCommand.aliases, "output": "IPClusterList.output_format", "o": "IPClusterList.output_format"}

    def run(self) -> int:
        clusters = running_clusters(ipython_dir())
        if self.output_format == "json":
            print(json.dumps([asdict(cluster) for cluster in clusters], indent=2))
        elif clusters:
            print(table(clusters))
        else:
            print(f"ipcluster: no cluster is running in {ipython_dir()}; start one with `ipcluster start`")
        return 0
