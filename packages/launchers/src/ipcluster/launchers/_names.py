"""Launcher names as users write them: a full dotted name, a class name, or a prefix (``'MPI'``, ``'PBS'``).

Names from ipyparallel and IPython (``ipyparallel.cluster.launcher.SlurmEngineSetLauncher``,
``IPython.parallel.apps.launcher.PBSControllerLauncher``) resolve to ours; the 0.11-era ``MPIExec...``
names work with a deprecation warning, as the IPython docs describe.
"""

from __future__ import annotations

import warnings
from typing import Any

from traitlets import HasTraits, Unicode
from traitlets.utils.bunch import Bunch

from ipcluster.launchers import systems
from ipcluster.launchers.local import LocalControllerLauncher, LocalEngineSetLauncher
from ipcluster.launchers.mpi import MPIControllerLauncher, MPIEngineSetLauncher
from ipcluster.launchers.ssh import SSHControllerLauncher, SSHEngineSetLauncher, SSHLauncher

BATCH_SYSTEMS = ("PBS", "SGE", "LSF", "Slurm", "HTCondor", "WindowsHPC")
ENGINE_SETS: dict[str, Any] = {cls.__name__: cls for cls in (
    LocalEngineSetLauncher, MPIEngineSetLauncher, SSHEngineSetLauncher,
    *(getattr(systems, f"{name}EngineSetLauncher") for name in BATCH_SYSTEMS),
)}
CONTROLLERS: dict[str, Any] = {cls.__name__: cls for cls in (
    LocalControllerLauncher, MPIControllerLauncher, SSHControllerLauncher,
    *(getattr(systems, f"{name}ControllerLauncher") for name in BATCH_SYSTEMS),
)}
# ipyparallel's config sections for the launchers, read by `ipcluster` and written into its config file
LAUNCHER_SECTIONS = [SSHLauncher, SSHEngineSetLauncher, SSHControllerLauncher, systems.BatchSystemLauncher,
                     *(getattr(systems, f"{name}Launcher") for name in BATCH_SYSTEMS)]
OLD_NAMES = {"MPIExec": "MPI", "WinHPC": "WindowsHPC", "Condor": "HTCondor"}


def renamed(new: str) -> Unicode:
    """A 0.11-era setting name (``engine_launcher``) that still works: `forward_renamed` warns and sets `new`."""
    return Unicode(help=f"deprecated: use {new}").tag(config=True, renamed_to=new)


def forward_renamed(owner: HasTraits, change: Bunch) -> None:
    """An observer of All: a value given under an old name goes to the new one, with a warning."""
    new = owner.trait_metadata(change.name, "renamed_to")
    if new:
        warnings.warn(f"c.{type(owner).__name__}.{change.name} is deprecated: use {new}", DeprecationWarning,
                      stacklevel=2)
        setattr(owner, new, change.new)


class UnknownLauncher(ValueError):
    """A launcher name that matches none (or several)."""


def engine_set_class(name: str) -> Any:
    """The engine-set launcher `name` means: each is built as cls(profile_dir, n, engine_args, config=...)."""
    return _resolve(name, ENGINE_SETS, "EngineSetLauncher", "engine", "--engines=NAME")


def controller_class(name: str) -> Any:
    """The controller launcher `name` means: each is built as cls(profile_dir, controller_args, config=...)."""
    return _resolve(name, CONTROLLERS, "ControllerLauncher", "controller", "--controller=NAME")


def _resolve(name: str, table: dict[str, Any], suffix: str, what: str, option: str) -> Any:
    short = name.rsplit(".", 1)[-1]
    for old, new in OLD_NAMES.items():
        if short.startswith(old):
            warnings.warn(f"the launcher name {short} is deprecated: use {new + short[len(old):]}",
                          DeprecationWarning, stacklevel=3)
            short = new + short[len(old):]
    if short in table:
        return table[short]
    found = [cls for key, cls in table.items() if short and key.lower().startswith(short.lower())]
    if len(found) == 1:
        return found[0]
    choices = ", ".join(key.removesuffix(suffix) for key in table)
    raise UnknownLauncher(f"unknown {what} launcher {name!r}: choose one of {choices} ({option})")
