"""Starting and stopping controllers and engines: the ipcluster and ipcontroller commands, and `Cluster`."""

from typing import TYPE_CHECKING, Any

from ipcluster.launchers.local import LocalControllerLauncher, LocalEngineSetLauncher

if TYPE_CHECKING:
    from ipcluster.launchers.api import Cluster, ClusterError

__all__ = ["Cluster", "ClusterError", "LocalControllerLauncher", "LocalEngineSetLauncher"]


def __getattr__(name: str) -> Any:
    """`Cluster` is imported on first use: it brings in the client, which the commands do not need."""
    if name in ("Cluster", "ClusterError"):
        from ipcluster.launchers import api

        return getattr(api, name)
    raise AttributeError(f"module 'ipcluster.launchers' has no attribute {name!r}")
