"""The hub: engine registration, connection info, notifications and task records."""

from ipcluster.hub._hub import Hub
from ipcluster.hub._registry import EngineRegistry, RegistrationRefused
from ipcluster.hub._store import TaskRecord, TaskStore

__all__ = ["EngineRegistry", "Hub", "RegistrationRefused", "TaskRecord", "TaskStore"]
