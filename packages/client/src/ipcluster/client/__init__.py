"""The client: connect to a controller and send it work.

    from ipcluster.client import Client
    rc = Client()
    rc[:].apply_sync(os.getpid)
"""

from typing import Any

from ipcluster.client._asyncresult import AsyncMapResult, AsyncResult
from ipcluster.client._client import Client
from ipcluster.client._decorators import ParallelFunction, RemoteFunction, parallel, remote
from ipcluster.client._dependency import Dependency, depend, require
from ipcluster.client._directview import DirectView
from ipcluster.client._errors import (
    CompositeError,
    EngineError,
    HubError,
    ImpossibleDependency,
    InvalidDependency,
    IPClusterError,
    KernelError,
    NoEnginesRegistered,
    RemoteError,
    SerializationError,
    TaskAborted,
    TaskTimeout,
    UnmetDependency,
)
from ipcluster.client._executor import ViewExecutor
from ipcluster.client._lbview import LoadBalancedView
from ipcluster.client._reference import Reference
from ipcluster.client._remote_ops import interactive
from ipcluster.client._view import View


def load_ipython_extension(shell: Any) -> None:
    """``%load_ext ipcluster.client``: the %px magics for the newest Client (IPython stays optional)."""
    from ipcluster.client._magics import load_ipython_extension as load

    load(shell)


__all__ = [
    "AsyncMapResult",
    "AsyncResult",
    "Client",
    "CompositeError",
    "Dependency",
    "DirectView",
    "EngineError",
    "HubError",
    "IPClusterError",
    "ImpossibleDependency",
    "InvalidDependency",
    "KernelError",
    "LoadBalancedView",
    "NoEnginesRegistered",
    "ParallelFunction",
    "Reference",
    "RemoteError",
    "RemoteFunction",
    "SerializationError",
    "TaskAborted",
    "TaskTimeout",
    "UnmetDependency",
    "View",
    "ViewExecutor",
    "depend",
    "interactive",
    "load_ipython_extension",
    "parallel",
    "remote",
    "require",
]
