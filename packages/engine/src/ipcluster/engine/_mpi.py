"""MPI in engines: ``c.MPI.use = 'mpi4py'`` (or ``ipengine --mpi``) initialises MPI before registering.

User code then has ``MPI.COMM_WORLD`` ready, and an engine started by
``mpiexec`` asks the hub for its rank as engine id, so engine ids and ranks
agree.
"""

from __future__ import annotations

from traitlets import Unicode
from traitlets.config import Configurable

# the init scripts of c.MPI.use; each sets `rank`, which becomes the engine id
INIT_SCRIPTS = {
    "mpi4py": "from mpi4py import MPI as mpi\nrank = mpi.COMM_WORLD.Get_rank()\n",
    "pytrilinos": "from PyTrilinos import Epetra\nrank = Epetra.PyComm().MyPID()\n",
}
INSTALL = {"mpi4py": "pip install mpi4py mpich", "pytrilinos": "install PyTrilinos (conda install pytrilinos)"}


class MPIError(Exception):
    """MPI was asked for but cannot be initialised; the message says what to install."""


class MPI(Configurable):
    """ipyparallel's and IPython's ``c.MPI`` section."""

    use = Unicode("", help="the MPI binding to initialise in the engine: 'mpi4py' or 'pytrilinos' (empty: none)").tag(
        config=True)
    init_script = Unicode("", help="your own code to initialise MPI, run instead of use's; a `rank` it defines "
                          "becomes the engine id").tag(config=True)


def init_mpi(use: str, init_script: str = "") -> int | None:
    """Run `init_script`, else the one of `use`; returns this process's rank (None when MPI is not used)."""
    if not (use or init_script):
        return None
    if not init_script and use not in INIT_SCRIPTS:
        raise MPIError(f"c.MPI.use = {use!r}: the engine can initialise {', '.join(INIT_SCRIPTS)}")
    what = "c.MPI.init_script" if init_script else f"c.MPI.use = {use!r}"
    namespace: dict = {}
    try:
        exec(init_script or INIT_SCRIPTS[use], namespace)
    except ImportError as exc:
        fix = INSTALL.get(use, "install what it imports") if not init_script else "install what it imports"
        raise MPIError(f"{what} cannot import {exc.name or exc} ({exc}): {fix}") from None
    except Exception as exc:
        raise MPIError(f"{what} raised {type(exc).__name__}: {exc}") from None
    rank = namespace.get("rank")
    return None if rank is None else int(rank)
