"""Measure one system in a process of its own: ``python driver.py SYSTEM --out FILE``.

A process per system keeps the client's memory honest (only that system's
client is imported) and lets `run.py` kill a system that hangs without losing
the others. Results are rewritten to FILE after every step, so a failure
still leaves what was measured before it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import psutil
from floors import Floor
from procs import MB, command_lines, cpu_seconds, kill_leftovers, rss_by_role, rss_mb
from systems import SYSTEMS, Cluster
from workloads import (
    CpuMeter,
    apply_latencies,
    apply_loop_seconds,
    map_seconds,
    push_rate,
    push_seconds,
    summarize_latency,
    throughput,
)

ENGINES = 2


def noop(*_args: object) -> None:
    """The task: defined in ``__main__`` so both systems send it by value."""
    return None


@dataclass(frozen=True)
class Sizes:
    latency: int  # round trips per view
    tasks: int  # tasks per throughput run; memory is measured across two runs
    push_mb: int
    push_reps: int
    warmup: int


SIZES = {
    "full": Sizes(latency=1000, tasks=10_000, push_mb=100, push_reps=3, warmup=200),
    "quick": Sizes(latency=100, tasks=500, push_mb=10, push_reps=1, warmup=20),
}


class Recorder(dict):
    """The results so far, saved to disk after every step."""

    def __init__(self, path: str, **fields: Any):
        super().__init__(fields)
        self.path = path
        self.save()

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self.save()

    def save(self) -> None:
        with open(self.path + ".tmp", "w") as out:
            json.dump(self, out, indent=1)
        os.replace(self.path + ".tmp", self.path)

    def step(self, name: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {self['system']}: {name}", flush=True)


def measure_cpu_and_rate(rec: Recorder, key: str, processes: list[psutil.Process], count: int,
                         work: Callable[[], float]) -> None:
    """Run `work` (which returns its seconds) under a CPU meter; record rate and CPU per item."""
    meter = CpuMeter(lambda: processes)
    with meter.measure():
        seconds = work()
    rec[key] = throughput(count, seconds)
    rec[f"cpu_{key}"] = meter.per_item_ms(count)


def run_cluster(rec: Recorder, sizes: Sizes, log_path: str) -> None:
    cluster = Cluster(SYSTEMS[rec["system"]], log_path)
    try:
        rec["compile_ahead_s"] = cluster.compile_ahead()
        rec.step("start")
        rec["start"] = cluster.start(ENGINES, noop)
        rec["start_args"] = list(cluster.spec.start_args)
        rec["commands"] = command_lines(cluster.processes())
        rec["startup_cpu_s_by_process"] = {f"{pid} {name}": seconds
                                           for pid, (name, seconds) in cpu_seconds(cluster.processes()).items()}
        client = cluster.client
        one, lview, every = client[0], client.load_balanced_view(), client[:]
        rec.step("warm-up")
        apply_latencies(one, noop, sizes.warmup)
        apply_latencies(lview, noop, sizes.warmup)
        map_seconds(lview, noop, sizes.warmup)
        rec.step("latency")
        rec["latency_direct"] = summarize_latency(apply_latencies(one, noop, sizes.latency))
        rec["latency_lb"] = summarize_latency(apply_latencies(lview, noop, sizes.latency))
        controller = cluster.controller_processes()
        everything = [*cluster.processes(), psutil.Process()]
        rec["processes"] = {"controller": len(controller), "all_with_client": len(everything)}
        before, before_by_role = rss_mb(controller), rss_by_role(controller)
        rec.step(f"map_async of {sizes.tasks}")
        measure_cpu_and_rate(rec, "map", everything, sizes.tasks, lambda: map_seconds(lview, noop, sizes.tasks))
        rec.step(f"apply_async loop of {sizes.tasks}")
        measure_cpu_and_rate(rec, "apply", everything, sizes.tasks,
                             lambda: apply_loop_seconds(lview, noop, sizes.tasks))
        after = rss_mb(controller)
        rec["memory"] = {"controller_before_mb": before, "controller_after_mb": after, "growth_mb": after - before,
                         "tasks_between": 2 * sizes.tasks, "client_mb": rss_mb([psutil.Process()]),
                         "controller_before_by_role_mb": before_by_role,
                         "controller_after_by_role_mb": rss_by_role(controller)}
        if cluster.spec.push:
            rec.step(f"push {sizes.push_mb} MB")
            import numpy  # only now, so the client's memory above is the client's own

            every.push({"a": numpy.zeros(4)}, block=True)  # engines import numpy here, not in the timing
            array = numpy.ones(sizes.push_mb * MB // 8)
            rec["push"] = push_rate(sizes.push_mb, ENGINES, push_seconds(every, array, sizes.push_reps))
            every.execute("a = None", block=True)
        rec.step("stop")
        rec["stop"] = cluster.stop()
    finally:
        rec["killed_leftovers"] = cluster.cleanup()


def run_floor(rec: Recorder, sizes: Sizes) -> None:
    floor = Floor(rec["system"], ENGINES)
    try:
        rec.step("latency")
        floor.echo_latencies(sizes.warmup)
        rec["latency_direct"] = rec["latency_lb"] = summarize_latency(floor.echo_latencies(sizes.latency))
        everything = [*floor.processes(), psutil.Process()]
        broker = floor.broker_processes()
        before = rss_mb(broker)
        rec.step(f"2 x {sizes.tasks} pipelined echoes")
        measure_cpu_and_rate(rec, "map", everything, sizes.tasks, lambda: floor.echo_pipelined(sizes.tasks))
        measure_cpu_and_rate(rec, "apply", everything, sizes.tasks, lambda: floor.echo_pipelined(sizes.tasks))
        after = rss_mb(broker)
        rec["memory"] = {"controller_before_mb": before if broker else None,
                         "controller_after_mb": after if broker else None,
                         "growth_mb": after - before if broker else None,
                         "tasks_between": 2 * sizes.tasks, "client_mb": rss_mb([psutil.Process()])}
        rec.step(f"push {sizes.push_mb} MB")
        import numpy

        array = numpy.ones(sizes.push_mb * MB // 8)
        floor.push(memoryview(array.data[:1024]))
        samples = [floor.push(memoryview(array.data)) for _ in range(sizes.push_reps)]
        rec["push"] = push_rate(sizes.push_mb, ENGINES, samples)
    finally:
        floor.close()
        rec["killed_leftovers"] = kill_leftovers(os.environ["IPYTHONDIR"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("system", choices=[*SYSTEMS, "direct", "broker"])
    parser.add_argument("--out", required=True, help="where to write this system's results (JSON)")
    parser.add_argument("--log", default=os.devnull, help="where the cluster commands' output goes")
    parser.add_argument("--quick", action="store_true", help="small counts, for a smoke run")
    options = parser.parse_args()
    sizes = SIZES["quick" if options.quick else "full"]
    rec = Recorder(options.out, system=options.system, sizes=asdict(sizes), python=sys.version.split()[0])
    try:
        if options.system in SYSTEMS:
            run_cluster(rec, sizes, options.log)
        else:
            run_floor(rec, sizes)
    except BaseException as exc:
        rec["error"] = "".join(traceback.format_exception_only(exc)).strip()
        traceback.print_exc()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
