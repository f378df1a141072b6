"""The measured work, written once against the API both clients share.

Every function takes views (or a client) and the no-op to run, so the same
code measures ipcluster and ipyparallel.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from typing import Any

import psutil
from procs import cpu_delta, cpu_seconds


def summarize_latency(samples: list[float]) -> dict[str, float]:
    """Median and 99th percentile (nearest rank) of round trips, in ms."""
    ordered = sorted(samples)
    p99 = ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]
    return {"median_ms": statistics.median(ordered) * 1e3, "p99_ms": p99 * 1e3, "n": len(ordered)}


def apply_latencies(view: Any, noop: Callable, n: int) -> list[float]:
    """Seconds of each of `n` consecutive ``apply_sync`` round trips."""
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        view.apply_sync(noop)
        samples.append(time.perf_counter() - start)
    return samples


def map_seconds(lview: Any, noop: Callable, n: int) -> float:
    """Seconds for ``map_async(noop, range(n), chunksize=1)`` to finish."""
    start = time.perf_counter()
    result = lview.map_async(noop, range(n), chunksize=1)
    values = result.get()
    elapsed = time.perf_counter() - start
    if len(values) != n:
        raise RuntimeError(f"map returned {len(values)} results for {n} tasks")
    return elapsed


def apply_loop_seconds(lview: Any, noop: Callable, n: int) -> float:
    """Seconds to submit `n` ``apply_async(noop)`` and get every result."""
    start = time.perf_counter()
    results = [lview.apply_async(noop) for _ in range(n)]
    for result in results:
        result.get()
    return time.perf_counter() - start


def push_seconds(direct_view: Any, array: Any, reps: int) -> list[float]:
    """Seconds of each of `reps` blocking pushes of `array` to every engine of `direct_view`."""
    samples = []
    for _ in range(reps):
        start = time.perf_counter()
        direct_view.push({"a": array}, block=True)
        samples.append(time.perf_counter() - start)
    return samples


def _machine_busy() -> float:
    """CPU seconds the whole machine has been busy: to tell whether something else ran meanwhile."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


class CpuMeter:
    """user+system CPU of a set of processes across a block of work."""

    def __init__(self, processes: Callable[[], Iterable[psutil.Process]]):
        self.processes = processes
        self.by_role: dict[str, float] = {}
        self.wall = 0.0
        self.machine = 0.0

    @contextmanager
    def measure(self):
        before, machine_before = cpu_seconds(self.processes()), _machine_busy()
        start = time.perf_counter()
        yield self
        self.wall = time.perf_counter() - start
        self.by_role = cpu_delta(before, cpu_seconds(self.processes()))
        self.machine = _machine_busy() - machine_before

    @property
    def total(self) -> float:
        return sum(self.by_role.values())

    def per_item_ms(self, count: int) -> dict[str, Any]:
        """CPU ms per item overall, and each role's share in ms per item."""
        return {"ms": self.total / count * 1e3, "wall_s": self.wall, "cpu_s": self.total,
                "machine_busy_cpu_s": self.machine,
                "by_role_ms": {name: seconds / count * 1e3 for name, seconds in sorted(self.by_role.items())}}


def throughput(count: int, seconds: float) -> dict[str, float]:
    return {"per_s": count / seconds, "seconds": seconds, "n": count}


def push_rate(megabytes: float, receivers: int, samples: list[float]) -> dict[str, Any]:
    """MB/s counting the bytes every receiver got (size x receivers), from the median push."""
    median = statistics.median(samples)
    return {"mb_per_s": megabytes * receivers / median, "median_s": median, "samples_s": samples,
            "mb": megabytes, "receivers": receivers}
