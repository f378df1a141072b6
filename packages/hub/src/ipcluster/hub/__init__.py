"""The hub: engine registration, connection info, notifications and task records."""

from ipcluster.hub._hub import Hub
from ipcluster.hub._queues import QueueCounts
from ipcluster.hub._registry import EngineRegistry, RegistrationRefused

__all__ = ["EngineRegistry", "Hub", "QueueCounts", "RegistrationRefused"]
