"""MPI in engines: ``c.MPI.use = 'mpi4py'`` (or ``ipengine --mpi``) initialises MPI before registering.

User code then has ``MPI.COMM_WORLD`` ready, and an engine started by
``mpiexec`` asks the hub for its rank as engine id, so engine ids and ranks
agree.
"""

from __future__ import annotations

from traitlets import Unicode
from traitlets.config import Configurable

KNOWN = ("mpi4py",)


class MPIError(Exception):
    """MPI was asked for but cannot be initialised; the message says what to install."""


class MPI(Configurable):
    """ipyparallel's and IPython's ``c.MPI`` section."""

    use = Unicode("", help="the MPI binding to initialise in the engine: 'mpi4py' (empty: none)").tag(config=True)


def init_mpi(use: str) -> int | None:
    """Initialise MPI through `use`; returns this process's rank in COMM_WORLD (None when MPI is not used)."""
    if not use:
        return None
    if use not in KNOWN:
        raise MPIError(f"c.MPI.use = {use!r}: the engine can initialise {', '.join(KNOWN)}")
    try:
        from mpi4py import MPI as mpi  # importing initialises MPI
    except ImportError as exc:
        raise MPIError(f"c.MPI.use = 'mpi4py' but mpi4py cannot be imported ({exc}): "
                       "pip install mpi4py mpich") from None
    return int(mpi.COMM_WORLD.Get_rank())
