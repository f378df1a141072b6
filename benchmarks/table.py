"""The one markdown table: a row per measurement, a column per system, and ipcluster's target.

Targets are what ipcluster aims for, mostly relative to the raw pyzmq floors
measured in the same run, so they hold on a slow machine as on a fast one.
The "met" column judges the default ipcluster; a note under the table says
which targets the hwm=0 configuration meets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# system (as run.py and driver.py name it) -> column header, in table order
COLUMNS = {"ipcluster": "ipcluster", "ipcluster-hwm0": "ipcluster hwm=0", "ipyparallel": "ipyparallel",
           "direct": "direct floor", "broker": "broker floor"}
JUDGED = "ipcluster"  # the column the "met" column judges
NOTED = "ipcluster-hwm0"  # the column judged in a note under the table

Results = dict[str, dict[str, Any]]


def _get(result: dict[str, Any] | None, *path: str) -> float | None:
    value: Any = result
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value if isinstance(value, int | float) else None


@dataclass(frozen=True)
class Row:
    short: str  # the row's name in the note under the table
    label: str
    unit: str
    path: tuple[str, ...]
    target: str = "—"
    # given ipcluster's value and all results, whether the target is met (None: cannot tell)
    check: Callable[[float, Results], bool | None] | None = None
    digits: int = 2

    def value(self, results: Results, column: str) -> float | None:
        return _get(results.get(column), *self.path)


def _relative(row_path: tuple[str, ...], floor: str, factor: float, at_most: bool
              ) -> Callable[[float, Results], bool | None]:
    def check(mine: float, results: Results) -> bool | None:
        reference = _get(results.get(floor), *row_path)
        if reference is None:
            return None
        return mine <= factor * reference if at_most else mine >= factor * reference
    return check


def _absolute(limit: float, at_most: bool = True) -> Callable[[float, Results], bool | None]:
    return lambda mine, _results: mine < limit if at_most else mine > limit


def _row_rel(short: str, label: str, unit: str, path: tuple[str, ...], floor: str, factor: float, at_most: bool,
             target: str, digits: int = 2) -> Row:
    return Row(short, label, unit, path, target, _relative(path, floor, factor, at_most), digits)


ROWS = (
    _row_rel("(a) direct median", "(a) apply_sync no-op, direct view rc[0], median", "ms",
             ("latency_direct", "median_ms"), "broker", 2, True, "≤ 2x broker floor", 3),
    _row_rel("(a) direct p99", "(a) apply_sync no-op, direct view rc[0], p99", "ms",
             ("latency_direct", "p99_ms"), "broker", 2, True, "≤ 2x broker floor", 3),
    _row_rel("(a) load-balanced median", "(a) apply_sync no-op, load-balanced view, median", "ms",
             ("latency_lb", "median_ms"), "broker", 2, True, "≤ 2x broker floor", 3),
    _row_rel("(a) load-balanced p99", "(a) apply_sync no-op, load-balanced view, p99", "ms",
             ("latency_lb", "p99_ms"), "broker", 2, True, "≤ 2x broker floor", 3),
    _row_rel("(b) map_async", "(b) map_async(chunksize=1) no-op tasks, 2 engines", "tasks/s", ("map", "per_s"),
             "broker", 0.5, False, "≥ ½ broker floor", 0),
    _row_rel("(b) apply_async loop", "(b) apply_async loop of no-op tasks, 2 engines", "tasks/s",
             ("apply", "per_s"), "broker", 0.5, False, "≥ ½ broker floor", 0),
    _row_rel("(c) push", "(c) push numpy array to 2 engines (size x 2 / s)", "MB/s", ("push", "mb_per_s"),
             "direct", 0.8, False, "≥ 80% of direct floor", 0),
    Row("(d) start", "(d) start -n 2 until both engines ran a task", "s", ("start", "working_s"), "< 1 s",
        _absolute(1.0)),
    Row("(d) stop", "(d) stop until every process is gone", "s", ("stop", "all_gone_s")),
    Row("(e) controller before", "(e) controller RSS before the tasks", "MB", ("memory", "controller_before_mb"),
        digits=1),
    Row("(e) controller after", "(e) controller RSS after the tasks", "MB", ("memory", "controller_after_mb"),
        digits=1),
    Row("(e) controller growth", "(e) controller RSS growth over the tasks", "MB", ("memory", "growth_mb"),
        "< 10 MB", _absolute(10.0), digits=1),
    Row("(e) client RSS", "(e) client RSS after the tasks", "MB", ("memory", "client_mb"), "< 50 MB",
        _absolute(50.0), digits=1),
    Row("(f) CPU apply_async loop", "(f) CPU per task, apply_async loop, all processes", "ms/task",
        ("cpu_apply", "ms"), "≤ 0.3 ms", lambda mine, _results: mine <= 0.3, 3),
    Row("(f) CPU map_async", "(f) CPU per task, map_async, all processes", "ms/task", ("cpu_map", "ms"),
        "≤ 0.3 ms", lambda mine, _results: mine <= 0.3, 3),
)


def _format(value: float | None, digits: int) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def _verdict(row: Row, results: Results, column: str) -> str:
    """Whether `column` meets the row's target: yes, **no**, ? (no floor to compare with) or — (nothing to judge)."""
    mine = row.value(results, column)
    if row.check is None or mine is None:
        return "—"
    return {True: "yes", False: "**no**", None: "?"}[row.check(mine, results)]


def render(results: Results, sizes: dict[str, Any]) -> str:
    """The markdown table, with the counts used in the header cells."""
    tasks, push_mb = sizes.get("tasks"), sizes.get("push_mb")
    lines = [
        "| workload | unit | " + " | ".join(COLUMNS.values()) + " | ipcluster target | met |",
        "|---|---|" + "---:|" * len(COLUMNS) + "---|---|",
    ]
    for row in ROWS:
        label = row.label.replace("tasks, 2", f"tasks x{tasks:,}, 2") if tasks else row.label
        label = label.replace("numpy array", f"{push_mb} MB numpy array") if push_mb else label
        if "(e)" in label and "tasks" in label and tasks:
            label = label.replace("the tasks", f"{2 * tasks:,} tasks")
        cells = [_format(row.value(results, column), row.digits) for column in COLUMNS]
        lines.append(f"| {label} | {row.unit} | " + " | ".join(cells) +
                     f" | {row.target} | {_verdict(row, results, JUDGED)} |")
    return "\n".join(lines)


def noted_column(results: Results) -> str | None:
    """One line under the table: which targets the NOTED column meets, and which it misses."""
    if NOTED not in results:
        return None
    verdicts = {row.short: _verdict(row, results, NOTED) for row in ROWS}
    met = [short for short, verdict in verdicts.items() if verdict == "yes"]
    missed = [short for short, verdict in verdicts.items() if verdict == "**no**"]
    return (f"\n{COLUMNS[NOTED]} meets the target in: {', '.join(met) or 'no row'}; "
            f"misses it in: {', '.join(missed) or 'no row'}.")


# the task-record stores: the same cluster, each store in turn ("ipcluster" runs the default, DictDB)
STORE_COLUMNS = {"ipcluster-nodb": "NoDB", "ipcluster": "DictDB (default)", "ipcluster-sqlitedb": "SQLiteDB",
                 "ipcluster-redisdb": "RedisDB", "ipcluster-mongodb": "MongoDB"}
STORE_ROWS = tuple(row for row in ROWS if row.short in (
    "(a) direct median", "(b) map_async", "(b) apply_async loop", "(e) controller after", "(e) controller growth",
    "(f) CPU apply_async loop"))


# encryption: the same cluster with CurveZMQ on every socket (the default on loopback is off)
CURVE_COLUMNS = {"ipcluster": "plain (default on loopback)", "ipcluster-curve": "CurveZMQ (--curve=required)"}
CURVE_ROWS = tuple(row for row in ROWS if row.short in (
    "(a) direct median", "(a) load-balanced median", "(b) map_async", "(b) apply_async loop", "(c) push",
    "(f) CPU apply_async loop"))
# (what varies, its columns, its rows): a table each, after the main one
VARIANTS = (("task-record store", STORE_COLUMNS, STORE_ROWS), ("encryption", CURVE_COLUMNS, CURVE_ROWS))


def render_variant(results: Results, sizes: dict[str, Any], what: str, columns: dict[str, str],
                   rows: tuple[Row, ...]) -> str | None:
    """A table of one variation of the cluster: a row per measurement, a column per variant; None when only
    the default ran."""
    if not any(column in results for column in columns if column != "ipcluster"):
        return None
    tasks = sizes.get("tasks")
    lines = [f"| workload, by {what} | unit | " + " | ".join(columns.values()) + " |",
             "|---|---|" + "---:|" * len(columns)]
    for row in rows:
        label = row.label.replace("tasks, 2", f"tasks x{tasks:,}, 2") if tasks else row.label
        if "(e)" in label and tasks:
            label = label.replace("the tasks", f"{2 * tasks:,} tasks")
        cells = [_format(row.value(results, column), row.digits) for column in columns]
        lines.append(f"| {label} | {row.unit} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
