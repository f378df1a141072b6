"""The main job: start a local cluster of 4 engines, compute with both views, stop.

Estimates pi by Monte Carlo on a load-balanced view, and sums squares on a
direct view whose engines read the bounds pushed into their namespace.  Run it with
``nox -s demo`` (which installs everything first) or, with ipcluster
installed, ``python examples/demo.py``.
"""

from __future__ import annotations

import subprocess
import time

from ipcluster.client import Client

PROFILE = "demo"
ENGINES = 4


def count_inside(samples: int, seed: int) -> int:
    """How many random points of the unit square fall inside the quarter circle."""
    import numpy as np

    points = np.random.default_rng(seed).random((samples, 2))
    return int(((points**2).sum(axis=1) <= 1.0).sum())


def sum_of_squares_from(start: int) -> int:
    """Every `stride`-th square from `start` up to `limit`: both names were pushed to the engines."""
    return sum(i * i for i in range(start, limit, stride))  # noqa: F821


def main() -> None:
    subprocess.run(["ipcluster", "start", f"-n={ENGINES}", f"--profile={PROFILE}", "--daemonize"], check=True)
    try:
        started = time.perf_counter()
        with Client(profile=PROFILE) as rc:
            rc.wait_for_engines(ENGINES, timeout=60)
            print(f"{len(rc.ids)} engines ready after {time.perf_counter() - started:.2f} s: {rc.ids}")

            tasks, samples = 64, 200_000
            inside = rc.load_balanced_view().map_async(count_inside, [samples] * tasks, range(tasks)).get()
            print(f"pi ~ {4 * sum(inside) / (tasks * samples):.5f} from {tasks * samples:,} points "
                  f"on a load-balanced view")

            everyone = rc[:]
            everyone.push({"limit": 1_000_000, "stride": ENGINES}, block=True)
            parts = everyone.map_sync(sum_of_squares_from, range(ENGINES))
            print(f"sum of squares below 1,000,000 = {sum(parts):,} from {len(parts)} engines on a direct view "
                  f"(exact: {sum(i * i for i in range(1_000_000)):,})")
    finally:
        subprocess.run(["ipcluster", "stop", f"--profile={PROFILE}"], check=True)


if __name__ == "__main__":
    main()
