"""Starting and stopping controllers and engines: the ipcluster and ipcontroller commands."""

from ipcluster.launchers.local import LocalControllerLauncher, LocalEngineSetLauncher

__all__ = ["LocalControllerLauncher", "LocalEngineSetLauncher"]
