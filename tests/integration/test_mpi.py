"""MPI engines: `ipcluster start --engines=MPI` runs them under a real mpiexec (pip's mpich) with mpi4py."""

from __future__ import annotations

import os

import pytest
from clusters import run

from ipcluster.client import interactive


@interactive
def world() -> tuple[int, int, int]:
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    return comm.rank, comm.size, comm.allreduce(comm.rank + 1)


@pytest.mark.parametrize("name", ["MPI", "mpi", "ipyparallel.cluster.launcher.MPIEngineSetLauncher"])
def test_mpi_engines_share_one_world_and_take_their_ranks_as_ids(make_cluster, name):
    """Engines started by mpiexec are one MPI world (an allreduce spans them) and engine id == rank."""
    cluster = make_cluster(n=3, cluster_args=[f"--engines={name}"])
    with cluster.client() as rc:
        assert [(0, 3, 6), (1, 3, 6), (2, 3, 6)] == rc[:].apply_sync(world)
        assert [0, 1, 2] == rc.ids
    assert 0 == cluster.stop().returncode


def test_unknown_engine_launcher_is_one_line(ipython_dir, no_leftovers):
    """--engines=NAME that names no launcher stops before anything starts, listing the choices."""
    env = {**os.environ, "IPYTHONDIR": str(ipython_dir)}
    result = run(["ipcluster.launchers.cluster", "start", "-n=1", "--engines=Kubernetes"], env)
    assert 1 == result.returncode
    assert ["ipcluster: unknown engine launcher 'Kubernetes': choose one of Local, MPI, SSH, PBS, SGE, LSF, Slurm, "
            "HTCondor, WindowsHPC (--engines=NAME)"] == result.stderr.strip().splitlines()
