"""Launcher names as users write them: full names, class names, prefixes and the deprecated 0.11 names."""

import pytest

from ipcluster.launchers import systems
from ipcluster.launchers._names import UnknownLauncher, controller_class, engine_set_class
from ipcluster.launchers.cluster import IPClusterStart
from ipcluster.launchers.local import LocalControllerLauncher, LocalEngineSetLauncher
from ipcluster.launchers.mpi import MPIControllerLauncher, MPIEngineSetLauncher
from ipcluster.launchers.ssh import SSHControllerLauncher, SSHEngineSetLauncher


@pytest.mark.parametrize(("name", "expected"), [
    ("MPI", MPIEngineSetLauncher),
    ("mpi", MPIEngineSetLauncher),
    ("MPIEngineSetLauncher", MPIEngineSetLauncher),
    ("ipyparallel.cluster.launcher.MPIEngineSetLauncher", MPIEngineSetLauncher),
    ("ipcluster.launchers.mpi.MPIEngineSetLauncher", MPIEngineSetLauncher),
    ("Local", LocalEngineSetLauncher),
    ("IPython.parallel.apps.launcher.LocalEngineSetLauncher", LocalEngineSetLauncher),
    ("SSH", SSHEngineSetLauncher),
    ("SSHEngineSetLauncher", SSHEngineSetLauncher),
    ("ipcluster.launchers.ssh.SSHEngineSetLauncher", SSHEngineSetLauncher),
    ("ipyparallel.cluster.launcher.SSHEngineSetLauncher", SSHEngineSetLauncher),
    ("PBS", systems.PBSEngineSetLauncher),
    ("sge", systems.SGEEngineSetLauncher),
    ("LSFEngineSetLauncher", systems.LSFEngineSetLauncher),
    ("Slurm", systems.SlurmEngineSetLauncher),
    ("HTCondor", systems.HTCondorEngineSetLauncher),
    ("ipyparallel.cluster.launcher.WindowsHPCEngineSetLauncher", systems.WindowsHPCEngineSetLauncher),
])
def test_engine_names_resolve(name, expected):
    """A full dotted name, a class name or a case-insensitive prefix finds the engine launcher."""
    assert expected is engine_set_class(name)


@pytest.mark.parametrize(("name", "expected"), [
    ("Local", LocalControllerLauncher),
    ("MPI", MPIControllerLauncher),
    ("SSH", SSHControllerLauncher),
    ("ipyparallel.cluster.launcher.SSHControllerLauncher", SSHControllerLauncher),
    ("PBSControllerLauncher", systems.PBSControllerLauncher),
    ("IPython.parallel.apps.launcher.SGEControllerLauncher", systems.SGEControllerLauncher),
    ("slurm", systems.SlurmControllerLauncher),
])
def test_controller_names_resolve(name, expected):
    """Controller launchers resolve the same way, from their own table."""
    assert expected is controller_class(name)


@pytest.mark.parametrize(("old", "expected"), [
    ("IPython.parallel.apps.launcher.MPIExecEngineSetLauncher", MPIEngineSetLauncher),
    ("WinHPCEngineSetLauncher", systems.WindowsHPCEngineSetLauncher),
])
def test_old_names_work_with_a_deprecation_warning(old, expected):
    """IPython 0.11's launcher names still work, and say what to use instead."""
    with pytest.warns(DeprecationWarning, match=f"use {expected.__name__}"):
        assert expected is engine_set_class(old)


@pytest.mark.parametrize("name", ["qsub", "", "S", "Kubernetes"])
def test_unknown_or_ambiguous_names_list_the_choices(name):
    """A name matching no launcher (or several: 'S' is SGE, Slurm, ...) is refused with the available ones."""
    with pytest.raises(UnknownLauncher, match="choose one of Local, MPI, SSH, PBS, SGE, LSF, Slurm, HTCondor, "
                                                 "WindowsHPC"):
        engine_set_class(name)


@pytest.mark.parametrize(("old", "new"), [
    ("engine_launcher", "engine_launcher_class"),
    ("engine_set_launcher", "engine_launcher_class"),
    ("controller_launcher", "controller_launcher_class"),
])
def test_old_setting_names_set_the_new_ones_with_a_warning(old, new):
    """The 0.11 setting names (`c.IPClusterStart.controller_launcher`) still work, with a deprecation warning."""
    app = IPClusterStart()
    with pytest.warns(DeprecationWarning, match=f"IPClusterStart.{old} is deprecated: use {new}"):
        setattr(app, old, "PBS")
    assert "PBS" == getattr(app, new)
