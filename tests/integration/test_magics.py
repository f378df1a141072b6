"""The %px magics in a real IPython shell in this process, against a real cluster of 4 engines."""

from __future__ import annotations

import atexit
import builtins
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from ipcluster.client import AsyncResult, CompositeError

DOCS = Path(__file__).parents[2] / "docs"
OUT = re.compile(r"Out\[(\d+):(\d+)\]: (.*)")


@pytest.fixture(scope="module")
def shell(shared_cluster, tmp_path_factory) -> Iterator[InteractiveShell]:
    """One shell for the module, its history in memory; the singleton is cleared afterwards."""
    _, client = shared_cluster
    for engine_id in client.ids:  # each engine knows its id as `rank`, so output can be checked against its label
        client[engine_id].push({"rank": engine_id}, block=True)
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    main, builtin_names = sys.modules["__main__"], set(vars(builtins))
    shell = InteractiveShell.instance(config=config, ipython_dir=str(tmp_path_factory.mktemp("ipython-shell")))
    try:
        client.activate()
        yield shell
    finally:  # undo what the shell did to this process: its own __main__, builtins, an exit handler
        InteractiveShell.clear_instance()
        atexit.unregister(shell.atexit_operations)
        sys.modules["__main__"] = main
        for name in set(vars(builtins)) - builtin_names:
            delattr(builtins, name)


@pytest.fixture
def px(shell) -> Iterator[InteractiveShell]:
    """The shell, with %px's defaults and %autopx restored after the test."""
    yield shell
    if shell.magics_manager.magics["line"]["px"].__self__.autopx_transformer in shell.input_transformers_cleanup:
        shell.run_line_magic("autopx", "")
    shell.run_line_magic("pxconfig", "--targets all --block")


def run(shell: InteractiveShell, cell: str):
    """Run a cell as a user would type it; returns IPython's ExecutionResult."""
    return shell.run_cell(cell, store_history=True)


def test_px_labels_each_engines_stdout_with_its_id(px, capsys):
    """%px prints what each engine printed, one [stdout:id] line per engine, in target order."""
    run(px, "%px print('engine', rank)")
    assert [f"[stdout:{i}] engine {i}" for i in range(4)] == capsys.readouterr().out.splitlines()


def test_stderr_is_labelled_and_goes_to_stderr(px, capsys):
    """What engines write to stderr comes out on stderr, labelled [stderr:id]."""
    run(px, "%px import sys; print('careful', rank, file=sys.stderr)")
    captured = capsys.readouterr()
    assert ("", [f"[stderr:{i}] careful {i}" for i in range(4)]) == (captured.out, captured.err.splitlines())


def test_trailing_expression_shows_out_with_engine_and_execution_count(px, capsys):
    """A cell's last expression is shown as Out[engine:count]: repr; each %px counts once per engine."""
    run(px, "%px rank * 'ab'")
    first = [OUT.fullmatch(line).groups() for line in capsys.readouterr().out.splitlines()]
    run(px, "%px rank")
    second = [OUT.fullmatch(line).groups() for line in capsys.readouterr().out.splitlines()]
    assert [(str(i), repr(i * "ab")) for i in range(4)] == [(engine, value) for engine, _, value in first]
    assert [int(count) + 1 for _, count, _ in first] == [int(count) for _, count, _ in second]


def test_multiline_output_puts_the_label_on_its_own_line(px, capsys):
    """Several lines from one engine sit under one label, as in ipyparallel."""
    run(px, "%%px --targets 0\nprint('a')\nprint('b')")
    assert ["[stdout:0]", "a", "b"] == capsys.readouterr().out.splitlines()


@pytest.mark.parametrize(("targets", "engines"), [("0", [0]), ("1:3", [1, 2]), ("[0,2]", [0, 2]), ("all", [0, 1, 2, 3]),
                                                  ("::-1", [3, 2, 1, 0])])
def test_cell_px_runs_on_the_targets_given(px, capsys, targets, engines):
    """%%px --targets takes an id, a slice of the ids, a list or all."""
    run(px, f"%%px --targets {targets}\nprint(rank)")
    assert [f"[stdout:{i}] {i}" for i in engines] == capsys.readouterr().out.splitlines()


@pytest.mark.parametrize(("targets", "error"), [
    ("9", "UsageError: engine 9 is not registered (registered: [0, 1, 2, 3])"),
    ("x", "UsageError: --targets 'x': give an engine id (0), a list of ids ([0,2] or 0,2), "
          "a slice of the engine ids (1:3) or all"),
])
def test_bad_targets_are_one_line_and_run_nothing(px, capsys, targets, error):
    """A target that is not a registered engine is refused in one line, before anything runs."""
    result = run(px, f"%%px --targets {targets}\nprint(rank)")
    captured = capsys.readouterr()
    assert ("", [error]) == (captured.out, captured.err.splitlines())
    assert not result.success


def test_noblock_returns_at_once_and_pxresult_shows_the_output(px, capsys):
    """%%px --noblock returns the AsyncResult; %pxresult (and %result) wait for it and show its output."""
    result = run(px, "%%px --noblock\nprint(rank)\nrank + 10").result
    assert isinstance(result, AsyncResult)
    assert "[stdout:" not in capsys.readouterr().out
    expected = [f"[stdout:{i}] {i}" for i in range(4)]
    for magic in ("%pxresult", "%result"):
        run(px, magic)
        lines = capsys.readouterr().out.splitlines()
        assert expected == lines[:4]
        assert [str(i + 10) for i in range(4)] == [OUT.fullmatch(line).group(3) for line in lines[4:]]


def test_pxconfig_sets_the_targets_and_blocking_of_px(px, capsys):
    """%pxconfig --targets [1,3] --noblock: %px then runs there without waiting, until %pxconfig --block."""
    run(px, "%pxconfig --targets [1,3] --noblock")
    assert isinstance(run(px, "%px print(rank)").result, AsyncResult)
    assert "[stdout:" not in capsys.readouterr().out
    run(px, "%pxresult")
    assert ["[stdout:1] 1", "[stdout:3] 3"] == capsys.readouterr().out.splitlines()
    run(px, "%pxconfig --block")
    run(px, "%px print(rank)")
    assert ["[stdout:1] 1", "[stdout:3] 3"] == capsys.readouterr().out.splitlines()


def test_autopx_sends_every_cell_to_the_engines_until_toggled_off(px, capsys):
    """With %autopx on, cells run on the engines, not here; %autopx again turns it off."""
    run(px, "%autopx")
    run(px, "autopx_name = rank + 1")
    run(px, "print(autopx_name)")
    run(px, "%autopx")
    run(px, "autopx_name = 'local'")
    assert (["%autopx enabled", *(f"[stdout:{i}] {i + 1}" for i in range(4)), "%autopx disabled"]
            == capsys.readouterr().out.splitlines())
    assert "local" == px.user_ns["autopx_name"]


def test_autopx_leaves_a_cell_complete_without_a_blank_line(px):
    """%autopx does not make the terminal wait for a blank line after each cell, as a %%px cell would."""
    run(px, "%autopx")
    assert ("complete", None) == px.input_transformer_manager.check_complete("x = 1\n")


def test_errors_are_labelled_by_engine_and_the_shell_carries_on(px, capsys):
    """An error on one engine shows as [id:execute]: ename: evalue with its traceback, after the others' output."""
    result = run(px, "%%px\nprint(rank)\n10 // (rank - 1)")
    out = capsys.readouterr().out.splitlines()
    assert isinstance(result.error_in_exec, CompositeError)
    assert [f"[stdout:{i}] {i}" for i in range(4)] == out[:4]
    assert ["-10", "10", "5"] == [OUT.fullmatch(line).group(3) for line in out[4:7]]
    assert ["[1:execute]: ZeroDivisionError: integer division or modulo by zero",
            "Traceback (most recent call last):", '  File "<execute>", line 2, in <module>'] == out[7:10]
    run(px, "%px print(rank)")
    assert [f"[stdout:{i}] {i}" for i in range(4)] == capsys.readouterr().out.splitlines()


def test_group_outputs_engine_keeps_each_engines_output_together(px, capsys):
    """--group-outputs=engine shows each engine's stdout and result together; type and order show by kind."""
    by_kind = [*(f"[stdout:{i}] {i}" for i in (0, 1)), *(f"{i}" for i in (0, 1))]
    by_engine = ["[stdout:0] 0", "0", "[stdout:1] 1", "1"]
    for grouping, expected in [("engine", by_engine), ("type", by_kind), ("order", by_kind)]:
        run(px, f"%%px --targets 0:2 --group-outputs={grouping}\nprint(rank)\nrank")
        lines = capsys.readouterr().out.splitlines()
        assert expected == [match.group(3) if (match := OUT.fullmatch(line)) else line for line in lines], grouping


def test_local_runs_the_cell_here_too(px, shared_cluster):
    """%%px --local runs the cell on the engines and in this shell."""
    _, client = shared_cluster
    run(px, "%%px --local\nlocal_too = 7")
    assert (7, [7, 7, 7, 7]) == (px.user_ns["local_too"], client[:].pull("local_too", block=True))


def test_suffix_names_a_second_set_of_magics(px, shared_cluster, capsys):
    """rc.activate(targets, suffix) adds %px<suffix> on those targets; %px keeps its own."""
    _, client = shared_cluster
    client.activate([0, 2], suffix="_even")
    run(px, "%px_even print(rank)")
    assert ["[stdout:0] 0", "[stdout:2] 2"] == capsys.readouterr().out.splitlines()
    run(px, "%px print(rank)")
    assert 4 == len(capsys.readouterr().out.splitlines())


def test_load_ext_gives_the_newest_client_the_magics(px, shared_cluster):
    """%load_ext ipcluster.client activates the most recently created Client."""
    cluster, client = shared_cluster
    with cluster.client() as newer:
        try:
            px.run_line_magic("load_ext", "ipcluster.client")
            assert newer is px.magics_manager.magics["line"]["px"].__self__.view.client
        finally:
            client.activate()


def cells_and_outputs(page: str) -> list[tuple[str, str]]:
    """Each ```ipython block of a page, with the ```text block after it: what the cell prints (or nothing)."""
    return re.findall(r"```ipython\n(.*?)```\n(?:\n```text\n(.*?)```\n)?", (DOCS / page).read_text(), re.DOTALL)


def printed_as_shown(shown: str, printed: str) -> bool:
    """`printed` is what the page shows, where "..." stands for anything (a state that depends on timing)."""
    return re.fullmatch(".*".join(map(re.escape, shown.split("..."))), printed, re.DOTALL) is not None


RUN_CELLS = """
import contextlib, io, json, sys
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
printed = []
for cell in json.load(sys.stdin):
    with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.redirect_stderr(out):
        shell.run_cell(cell, store_history=True)
    printed.append(out.getvalue())
print(json.dumps(printed))
"""


def test_magics_guide_runs_and_prints_what_it_says(make_cluster):
    """docs/magics.md: its cells, run in order in a fresh IPython on a fresh cluster, print what the page shows."""
    cluster = make_cluster(n=2)
    cluster.client().close()  # wait for both engines
    examples = cells_and_outputs("magics.md")
    assert len(examples) >= 5
    done = subprocess.run([sys.executable, "-c", RUN_CELLS], input=json.dumps([cell for cell, _ in examples]),
                          env=cluster.env, capture_output=True, text=True, timeout=120)
    assert 0 == done.returncode, done.stderr
    printed = json.loads(done.stdout)
    mismatched = [(cell, shown, out) for (cell, shown), out in zip(examples, printed, strict=True)
                  if not printed_as_shown(shown, out)]
    assert [] == mismatched
