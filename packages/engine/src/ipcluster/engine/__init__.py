"""An engine: a Python process that registers with a controller and runs its work."""

from ipcluster.engine._engine import Engine, RegistrationError
from ipcluster.engine._kernel import Kernel

__all__ = ["Engine", "Kernel", "RegistrationError"]
