"""An engine: a Python process that registers with a controller and runs its work."""

from ipcluster.engine._engine import Engine
from ipcluster.engine._kernel import Kernel
from ipcluster.engine._registration import RegistrationError

__all__ = ["Engine", "Kernel", "RegistrationError"]
