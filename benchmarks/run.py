"""Benchmark ipcluster (default and hwm=0) beside ipyparallel and two raw pyzmq floors; print one markdown table.

    python benchmarks/run.py            # full run, a few minutes
    python benchmarks/run.py --quick    # small counts, a smoke run

Each system is measured by ``driver.py`` in a process of its own, under a
fresh temporary IPYTHONDIR; whatever still runs under that folder afterwards
is killed, whether the driver succeeded, failed or hung. Results go to
``benchmarks/results/latest.json``, each system's log beside it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from procs import kill_leftovers  # noqa: E402
from table import COLUMNS, VARIANTS, noted_column, render, render_variant  # noqa: E402

# the redis-server and MongoDB wire-protocol server the hub's store tests start
sys.path.insert(0, str(HERE.parent / "packages" / "hub" / "tests"))
from store_servers import mongo_server, redis_server  # noqa: E402

SYSTEMS = tuple(dict.fromkeys([*COLUMNS, *(column for _, columns, _ in VARIANTS for column in columns)]))  # table order
SERVERS = {"ipcluster-redisdb": ("BENCH_REDIS_URL", redis_server),
           "ipcluster-mongodb": ("BENCH_MONGO_URL", mongo_server)}


def run_system(system: str, quick: bool, timeout: float, results_dir: Path) -> dict[str, Any]:
    """Measure one system in its own driver process; always clean up its processes and folder."""
    ipython_dir = tempfile.mkdtemp(prefix=f"bench-{system}-")
    out, log = results_dir / f"{system}.json", results_dir / f"{system}.log"
    out.unlink(missing_ok=True)
    log.write_text("")
    command = [sys.executable, str(HERE / "driver.py"), system, "--out", str(out), "--log", str(log)]
    if quick:
        command.append("--quick")
    started = time.perf_counter()
    problem = None
    try:
        with open(log, "ab") as sink:
            code = subprocess.call(command, env={**os.environ, "IPYTHONDIR": ipython_dir}, stdout=sink,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=timeout)
        if code != 0:
            problem = f"driver exited {code}; see {log}"
    except subprocess.TimeoutExpired:
        problem = f"timed out after {timeout:g} s; see {log}"
    finally:
        killed = kill_leftovers(ipython_dir)
        shutil.rmtree(ipython_dir, ignore_errors=True)
    result: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {"system": system}
    result["wall_s"] = time.perf_counter() - started
    if problem:
        result["problem"] = problem
    if killed:
        result.setdefault("killed_leftovers", []).extend(killed)
    return result


def disturbance_notes(results: dict[str, dict[str, Any]]) -> list[str]:
    """Warn when the machine was much busier than the measured processes during a throughput run."""
    notes = []
    for name, result in results.items():
        for key in ("cpu_map", "cpu_apply"):
            cpu = result.get(key) or {}
            ours, machine = cpu.get("cpu_s"), cpu.get("machine_busy_cpu_s")
            if ours and machine and machine - ours > max(0.5, 0.25 * ours):
                notes.append(f"\nnote: during {name}'s {key[4:]} run the machine was busy {machine:.1f} CPU-s, "
                             f"its processes {ours:.1f}: something else was running, numbers may be low")
    return notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke run of a minute or so")
    parser.add_argument("--systems", default=",".join(SYSTEMS),
                        help=f"comma-separated subset of {', '.join(SYSTEMS)}")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds before a system's run is killed (default 240, quick 90)")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "latest.json")
    options = parser.parse_args(argv)
    systems = [name.strip() for name in options.systems.split(",") if name.strip()]
    unknown = set(systems) - set(SYSTEMS)
    if unknown:
        parser.error(f"unknown systems {sorted(unknown)}: choose among {', '.join(SYSTEMS)}")
    timeout = options.timeout or (90.0 if options.quick else 240.0)
    options.out.parent.mkdir(parents=True, exist_ok=True)

    results: dict[str, dict[str, Any]] = {}
    with contextlib.ExitStack() as servers, tempfile.TemporaryDirectory(prefix="bench-servers-") as folder:
        for system in systems:
            if system in SERVERS:
                variable, server = SERVERS[system]
                os.environ[variable] = servers.enter_context(server(Path(folder)))
            print(f"benchmarking {system} ...", file=sys.stderr, flush=True)
            results[system] = run_system(system, options.quick, timeout, options.out.parent)
            summary = results[system].get("problem") or "ok"
            print(f"  {system}: {summary} ({results[system]['wall_s']:.0f} s)", file=sys.stderr, flush=True)

    sizes = next((r["sizes"] for r in results.values() if "sizes" in r), {})
    print(render(results, sizes))
    note = noted_column(results)
    if note:
        print(note)
    for variant in VARIANTS:
        table = render_variant(results, sizes, *variant)
        if table:
            print(f"\n{table}")
    for line in disturbance_notes(results):
        print(line)
    problems = {name: r["problem"] for name, r in results.items() if "problem" in r}
    for name, problem in problems.items():
        error = results[name].get("error", "")
        print(f"\n{name}: {problem}" + (f": {error}" if error else ""))
    report = {"when": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "quick": options.quick, "sizes": sizes,
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                          "platform": platform.platform(), "memory_gb": psutil.virtual_memory().total / 2**30},
              "results": results}
    options.out.write_text(json.dumps(report, indent=1))
    print(f"\n(full results: {options.out})", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
