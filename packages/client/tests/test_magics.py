"""The %px magics' parts that need no cluster: options, --targets, output grouping, errors, %autopx's transformer."""

import subprocess
import sys

import pytest
from IPython.core import magic_arguments
from IPython.core.error import UsageError

import ipcluster.client
from ipcluster.client import AsyncResult, Client, CompositeError, EngineError, RemoteError
from ipcluster.client._asyncresult import TaskFuture
from ipcluster.client._magics import NO_CLIENT, AutoPx, ParallelMagics, activate
from ipcluster.client._magics_args import parse_targets
from ipcluster.client._magics_output import EngineOutput, EnginesFailed, engine_outputs, show_outputs

IDS = [0, 1, 2, 3]


@pytest.mark.parametrize(("text", "targets"), [
    ("all", "all"), ("2", 2), (" 2 ", 2), ("[0,2]", [0, 2]), ("0,3", [0, 3]), ("(1,)", [1]),
    ("1:3", [1, 2]), (":2", [0, 1]), ("::2", [0, 2]), ("::-1", [3, 2, 1, 0]), ("-2:", [2, 3]),
])
def test_targets_take_an_id_a_list_a_slice_of_the_ids_or_all(text, targets):
    """--targets as ipyparallel reads it; a slice is taken of the registered ids."""
    assert targets == parse_targets(text, IDS)


@pytest.mark.parametrize("text", ["x", "[]", "[0, 'a']", "True", "1.5", "1:2:3:4", "a:b", "os.system('x')"])
def test_bad_targets_say_what_is_accepted_in_one_line(text):
    """Anything but ids, lists of ids, slices and all is refused with the accepted forms, never evaluated."""
    with pytest.raises(ValueError) as caught:
        parse_targets(text, IDS)
    assert f"--targets {text!r}: give an engine id (0), a list of ids ([0,2] or 0,2), a slice of the engine ids " \
           "(1:3) or all" == str(caught.value)


def test_cell_px_options_parse_as_ipyparallel_spells_them():
    """%%px's options: targets, block/noblock, local, grouping; absent ones leave the view's defaults."""
    args = magic_arguments.parse_argstring(ParallelMagics.px, "--targets 1:3 --noblock --local --group-outputs=engine")
    assert ("1:3", False, True, "engine") == (args.targets, args.block, args.local, args.groupby)
    defaults = magic_arguments.parse_argstring(ParallelMagics.px, "")
    assert (None, None, False, "type") == (defaults.targets, defaults.block, defaults.local, defaults.groupby)
    short = magic_arguments.parse_argstring(ParallelMagics.px, "-t 0 -b -e")
    assert ("0", True, "engine") == (short.targets, short.block, short.groupby)
    assert "order" == magic_arguments.parse_argstring(ParallelMagics.px, "-r").groupby


@pytest.mark.parametrize(("magic", "line"), [(ParallelMagics.px, "--group-outputs=bogus"),
                                             (ParallelMagics.pxconfig, "--local"),
                                             (ParallelMagics.pxresult, "--targets 0")])
def test_unknown_options_are_usage_errors(magic, line):
    """A bad option is IPython's one-line UsageError, not a traceback."""
    with pytest.raises(UsageError):
        magic_arguments.parse_argstring(magic, line)


def output(engine_id, stdout="", stderr="", result=None, count=1, error=None):
    return EngineOutput(engine_id, stdout, stderr, result, count, error)


def test_type_grouping_shows_all_stdout_then_all_results_and_engine_grouping_each_engine(capsys):
    """type (and order): every stdout, then every Out; engine: each engine's output together."""
    outputs = [output(0, "a\n", result="1", count=5), output(1, "b", result="2", count=6)]
    show_outputs(outputs, "type")
    assert "[stdout:0] a\n[stdout:1] b\nOut[0:5]: 1\nOut[1:6]: 2\n" == capsys.readouterr().out
    show_outputs(outputs, "order")
    assert "[stdout:0] a\n[stdout:1] b\nOut[0:5]: 1\nOut[1:6]: 2\n" == capsys.readouterr().out
    show_outputs(outputs, "engine")
    assert "[stdout:0] a\nOut[0:5]: 1\n[stdout:1] b\nOut[1:6]: 2\n" == capsys.readouterr().out


def test_stderr_goes_to_stderr_and_nothing_is_shown_for_silent_engines(capsys):
    """stderr is labelled on stderr; an engine that printed and returned nothing shows no line."""
    show_outputs([output(0, stderr="oops\n"), output(1)])
    assert ("", "[stderr:0] oops\n") == capsys.readouterr()


def test_several_lines_go_under_the_label(capsys):
    """Multi-line output or repr starts on the line after its label."""
    show_outputs([output(2, "x\ny\n", result="[1,\n 2]", count=3)])
    assert "[stdout:2]\nx\ny\nOut[2:3]:\n[1,\n 2]\n" == capsys.readouterr().out


def finished(engine_id, error=None, status="ok", result=None):
    future = TaskFuture(f"m{engine_id}")
    future.metadata.update(engine_id=engine_id, stdout=f"out{engine_id}", status=status, execute_result=result,
                           execution_count=7)
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)
    return future


def test_engine_outputs_pair_each_error_with_the_engine_that_raised_it():
    """Errors land on their engines: a remote error, and a failure without a reply (status still pending)."""
    remote = RemoteError("ZeroDivisionError", "division by zero", [], {"engine_id": 1})
    stopped = RuntimeError("the client stopped")
    result = AsyncResult([finished(0, result="42"), finished(1, remote, "error"), finished(2, stopped, "pending")])
    outputs = engine_outputs(result)
    assert [(0, "out0", "42", 7, None), (1, "out1", None, 7, remote), (2, "out2", None, 7, stopped)] == [
        (o.engine_id, o.stdout, o.execute_result, o.execution_count, o.error) for o in outputs]


def test_engine_outputs_of_a_single_target():
    """One target: its metadata is a dict and its error is raised as itself; both still pair up."""
    remote = RemoteError("KeyError", "'k'", [], {"engine_id": 3})
    assert [remote] == [o.error for o in engine_outputs(AsyncResult([finished(3, remote, "error")], single=True))]


def test_engines_failed_labels_each_error_as_ipyparallel_does():
    """str() lists [id:execute]: ename: evalue; IPython shows each traceback under that label, four at most."""
    remote = RemoteError("ZeroDivisionError", "division by zero", ["Traceback:\n", "  line 1\n"], {"engine_id": 1})
    failure = EnginesFailed([output(0), output(1, error=remote), output(2, error=EngineError("engine 2 died"))])
    assert isinstance(failure, CompositeError)
    assert ["one or more exceptions from call to method: execute", "[1:execute]: ZeroDivisionError: division by zero",
            "[2:execute]: EngineError: engine 2 died"] == str(failure).splitlines()
    assert ["[1:execute]: ZeroDivisionError: division by zero", "Traceback:", "  line 1", "",
            "[2:execute]: EngineError: engine 2 died", ""] == failure._render_traceback_()


def test_engines_failed_sums_up_the_tracebacks_past_four():
    """Six failing engines: four tracebacks, then one line for the rest."""
    failure = EnginesFailed([output(i, error=RemoteError("E", str(i), [], {})) for i in range(6)])
    lines = failure._render_traceback_()
    assert [f"[{i}:execute]: E: {i}" for i in range(4)] == [line for line in lines if ":execute]:" in line]
    assert "... 2 more exceptions ..." == lines[-1]


def test_autopx_turns_cells_into_px_cells_but_not_its_own_magics():
    """Under %autopx a cell gains a %%px line; its own magics and paused runs (--local) are left alone."""
    transformer = AutoPx("_a")
    assert ["%%px_a\n", "x = 1\n"] == transformer(["x = 1\n"])
    for own in ["%autopx_a\n", "%pxconfig_a --targets 1\n", "  %pxresult_a\n"]:
        assert [own] == transformer([own])
    assert ["%%px_a --targets 0\n", "x\n"] == transformer(["%%px_a --targets 0\n", "x\n"])
    assert ["%%px_a\n", "%autopx_ab\n"] == transformer(["%autopx_ab\n"])
    transformer.paused = True
    assert ["x = 1\n"] == transformer(["x = 1\n"])


def test_load_ext_without_a_client_says_to_create_one(monkeypatch):
    """%load_ext before any Client (or after the last one is gone) is a one-line UsageError."""
    monkeypatch.setattr(Client, "newest", None)
    with pytest.raises(UsageError) as caught:
        ipcluster.client.load_ipython_extension(object())
    assert NO_CLIENT == str(caught.value)


def test_activate_outside_ipython_is_a_clear_error():
    """rc.activate() in a plain script says the magics are IPython's."""
    with pytest.raises(RuntimeError, match="call it in IPython or Jupyter"):
        activate(object())


def test_the_client_imports_without_ipython():
    """IPython is optional: the client imports without it, and the magics say which extra to install."""
    code = ("import sys; sys.modules['IPython'] = None\n"
            "import ipcluster.client\n"
            "try:\n    import ipcluster.client._magics\nexcept ImportError as error:\n    print(error)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert ("the %px magics need IPython: pip install 'ipcluster-client[magics]'\n", "") == (done.stdout, done.stderr)
