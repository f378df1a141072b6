"""Launcher names as users write them: full names, class names, prefixes and the deprecated 0.11 names."""

import pytest

from ipcluster.launchers._names import UnknownLauncher, engine_set_class
from ipcluster.launchers.local import LocalEngineSetLauncher
from ipcluster.launchers.mpi import MPIEngineSetLauncher


@pytest.mark.parametrize(("name", "expected"), [
    ("MPI", MPIEngineSetLauncher),
    ("mpi", MPIEngineSetLauncher),
    ("MPIEngineSetLauncher", MPIEngineSetLauncher),
    ("ipyparallel.cluster.launcher.MPIEngineSetLauncher", MPIEngineSetLauncher),
    ("ipcluster.launchers.mpi.MPIEngineSetLauncher", MPIEngineSetLauncher),
    ("Local", LocalEngineSetLauncher),
    ("IPython.parallel.apps.launcher.LocalEngineSetLauncher", LocalEngineSetLauncher),
])
def test_names_resolve(name, expected):
    """A full dotted name, a class name or a case-insensitive prefix finds the launcher."""
    assert expected is engine_set_class(name)


def test_old_mpiexec_name_works_with_a_deprecation_warning():
    """IPython 0.11's MPIExecEngineSetLauncher still works, and says what to use instead."""
    with pytest.warns(DeprecationWarning, match="use MPIEngineSetLauncher"):
        assert MPIEngineSetLauncher is engine_set_class("IPython.parallel.apps.launcher.MPIExecEngineSetLauncher")


@pytest.mark.parametrize("name", ["pbs", "", "Slurm"])
def test_unknown_names_list_the_choices(name):
    """A name matching no launcher is refused with the available ones."""
    with pytest.raises(UnknownLauncher, match="choose one of Local, MPI"):
        engine_set_class(name)
