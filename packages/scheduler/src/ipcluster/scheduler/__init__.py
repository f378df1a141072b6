"""Routing work to engines: direct, control and load-balanced queues, and iopub."""

from ipcluster.scheduler._direct import DirectRouter
from ipcluster.scheduler._scheduler import Scheduler
from ipcluster.scheduler._task import EngineSlot, Task, TaskScheduler
from ipcluster.scheduler.policies import LeastLoad, LeastRecentlyUsed, PlainRandom, load_policy

__all__ = [
    "DirectRouter",
    "EngineSlot",
    "LeastLoad",
    "LeastRecentlyUsed",
    "PlainRandom",
    "Scheduler",
    "Task",
    "TaskScheduler",
    "load_policy",
]
