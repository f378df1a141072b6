"""Launcher names as users write them: a full dotted name, a class name, or a prefix (``'MPI'``, ``'local'``).

Names from ipyparallel and IPython (``ipyparallel.cluster.launcher.MPIEngineSetLauncher``,
``IPython.parallel.apps.launcher.MPIExecEngineSetLauncher``) resolve to ours; the 0.11-era
``MPIExec...`` names work with a deprecation warning, as the IPython docs describe.
"""

from __future__ import annotations

import warnings

from ipcluster.launchers.local import LocalEngineSetLauncher
from ipcluster.launchers.mpi import MPIEngineSetLauncher

# the launchers an engine_launcher_class name can mean; each is built as cls(profile_dir, n, engine_args, config=...)
Launcher = type[LocalEngineSetLauncher] | type[MPIEngineSetLauncher]
ENGINE_SETS: dict[str, Launcher] = {cls.__name__: cls for cls in (LocalEngineSetLauncher, MPIEngineSetLauncher)}
OLD_NAMES = {"MPIExecEngineSetLauncher": "MPIEngineSetLauncher"}


class UnknownLauncher(ValueError):
    """A launcher name that matches none (or several)."""


def engine_set_class(name: str) -> Launcher:
    short = name.rsplit(".", 1)[-1]
    if short in OLD_NAMES:
        warnings.warn(f"the launcher name {short} is deprecated: use {OLD_NAMES[short]}", DeprecationWarning,
                      stacklevel=2)
        short = OLD_NAMES[short]
    if short in ENGINE_SETS:
        return ENGINE_SETS[short]
    found = [cls for key, cls in ENGINE_SETS.items() if key.lower().startswith(short.lower()) and short]
    if len(found) == 1:
        return found[0]
    choices = ", ".join(key.removesuffix("EngineSetLauncher") for key in ENGINE_SETS)
    raise UnknownLauncher(f"unknown engine launcher {name!r}: choose one of {choices} (--engines=NAME)")
