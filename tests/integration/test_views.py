"""DirectView on a real cluster of four engines: targets, flags, namespaces, scatter/gather, decorators, References."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest
from clusters import wait_until

from ipcluster.client import (
    AsyncResult,
    CompositeError,
    EngineError,
    Reference,
    RemoteError,
    SerializationError,
    interactive,
    parallel,
    remote,
)

TIMEOUT = 30


@interactive
def engine_id_of_namespace():
    return engine_tag  # noqa: F821 - each engine's own id, set by tag_engines


def tag_engines(rc):
    rc[:].scatter("engine_tag", [0, 1, 2, 3], flatten=True, block=True)


@pytest.fixture(scope="module")
def rc(shared_cluster):
    client = shared_cluster[1]
    tag_engines(client)
    return client


def test_targets_as_int_list_slice_and_all(rc):
    """An int, a list, a slice and 'all' each pick the engines they name; results keep target order."""
    assert 2 == rc[2].apply_sync(engine_id_of_namespace)
    assert [3, 0] == rc[[3, 0]].apply_sync(engine_id_of_namespace)
    assert [1, 2] == rc[1:3].apply_sync(engine_id_of_namespace)
    assert [0, 1, 2, 3] == rc.direct_view("all").apply_sync(engine_id_of_namespace)
    assert [0, 1, 2, 3] == rc.direct_view().apply_async(engine_id_of_namespace).engine_id


def test_bad_targets_are_one_line_errors(rc):
    """An unknown engine id or a target that is no id fails before anything is sent."""
    with pytest.raises(EngineError, match=r"engine 9 is not registered \(registered: \[0, 1, 2, 3\]\)"):
        rc[:].push({"x": 1}, targets=[0, 9])
    with pytest.raises(TypeError, match=r"targets=1.5: give an engine id"):
        rc.direct_view(1.5).apply_sync(os.getpid)
    with pytest.raises(TypeError, match="engine ids are ints"):
        rc.direct_view(["0"]).apply_sync(os.getpid)


def test_block_flag_with_set_flags_and_temp_flags(rc):
    """set_flags(block=True) makes apply return values; temp_flags(block=False, or targets=) holds inside only."""
    dv = rc[[0, 1]]
    assert isinstance(dv.apply(abs, -1), AsyncResult)
    dv.set_flags(block=True)
    assert [1, 1] == dv.apply(abs, -1)
    with dv.temp_flags(block=False):
        assert isinstance(dv.apply(abs, -1), AsyncResult)
    assert [1, 1] == dv.apply(abs, -1)
    with pytest.raises(ValueError, match="has no flag colour"), dv.temp_flags(colour="red"):
        pass
    assert dv.block
    with dv.temp_flags(targets=3):
        assert 3 == dv.apply(engine_id_of_namespace)
    assert [0, 1] == dv.apply(engine_id_of_namespace)


def test_execute_and_run_with_targets(rc, tmp_path):
    """execute and run set names on the targeted engines only, and return their AsyncResult (finished when blocking)."""
    assert rc[:].execute("ran_here = 'no'", block=True).done()
    pending = rc[:].execute("ran_here = 'yes'", targets=[1, 2])
    assert [1, 2] == pending.engine_id
    pending.get(TIMEOUT)
    assert ["no", "yes", "yes", "no"] == rc[:].pull("ran_here", block=True)
    script = tmp_path / "script.py"
    script.write_text("import math\nfrom_file = math.factorial(5)\nprint('ran', from_file)\n")
    result = rc[:].run(script, targets=3)
    result.get(TIMEOUT)
    assert "ran 120\n" == result.stdout
    assert 120 == rc[3].pull("from_file", block=True)


def test_push_pull_with_targets_and_block(rc):
    """push and pull honour targets= and block=, as in ipyparallel."""
    dv = rc[:]
    assert None is dv.push({"p": 0}, block=True)
    dv.push({"p": 7, "q": "x"}, targets=[0, 3], block=False).get(TIMEOUT)
    assert [7, 0, 0, 7] == dv.pull("p", block=True)
    assert [[7, "x"], [7, "x"]] == dv.pull(["p", "q"], targets=[0, 3], block=True)
    assert 7 == dv.pull("p", targets=3, block=True)
    pending = dv.pull("p", targets=[1])
    assert [0] == pending.get(TIMEOUT)


def test_dict_style_access(rc):
    """dv['a'] = v pushes, dv['a'] pulls a list (a value on a single-engine view); update and get too."""
    dv = rc[:]
    dv["dict_style"] = 5
    assert [5, 5, 5, 5] == dv["dict_style"]
    assert 5 == rc[2]["dict_style"]
    rc[1].update({"dict_style": 6})
    assert [5, 6, 5, 5] == dv.get("dict_style")
    with pytest.raises(TypeError, match="indexed by a name, not int"):
        dv[0]


def test_scatter_and_gather_lists_and_ranges(rc):
    """scatter gives each engine a contiguous block (first ones one longer); gather joins them in order."""
    dv = rc[:]
    dv.scatter("part", range(10), block=True)
    assert [[0, 1, 2], [3, 4, 5], [6, 7], [8, 9]] == dv.pull("part", block=True)
    assert list(range(10)) == dv.gather("part", block=True)
    assert list(range(10)) == dv.gather("part").get(TIMEOUT)
    dv.scatter("few", ["a", "b"], block=True)
    assert [["a"], ["b"], [], []] == dv["few"]


def test_scatter_flatten_unwraps_single_items(rc):
    """flatten=True gives an engine with a one-item block the item itself; gather undoes it."""
    dv = rc[:]
    dv.scatter("single", [10, 20, 30, 40], flatten=True, block=True)
    assert [10, 20, 30, 40] == dv["single"]
    assert [10, 20, 30, 40] == dv.gather("single", block=True)


def test_scatter_and_gather_numpy_arrays(rc):
    """A numpy array is scattered as sub-arrays and gathered with concatenation."""
    dv = rc[:]
    data = np.arange(22, dtype=np.float64).reshape(11, 2)
    assert None is dv.scatter("array_part", data, block=True)
    shapes = dv.apply_sync(interactive(lambda: (type(array_part).__name__, array_part.shape)))  # noqa: F821
    assert [("ndarray", (3, 2)), ("ndarray", (3, 2)), ("ndarray", (3, 2)), ("ndarray", (2, 2))] == shapes
    gathered = dv.gather("array_part", block=True)
    assert isinstance(gathered, np.ndarray)
    np.testing.assert_array_equal(data, gathered)


def test_scatter_of_a_non_sequence_is_refused(rc):
    """scatter of an int is a one-line TypeError, raised before anything is sent."""
    with pytest.raises(TypeError, match=r"scatter needs a sequence .* not int"):
        rc[:].scatter("x", 5)


def test_remote_decorators(rc):
    """@dv.remote(block=True) and remote(view) run the function on every engine of the view."""
    dv = rc[[0, 1]]

    @dv.remote(block=True)
    def pid():
        return os.getpid()

    @remote(rc[2], block=False)
    def add(a, b=1):
        return a + b

    pids = pid()
    assert 2 == len(set(pids)) and os.getpid() not in pids
    assert "pid" == pid.__name__
    assert 12 == add(10, b=2).get(TIMEOUT)


def test_parallel_decorators(rc):
    """@dv.parallel runs the function on each engine's block and joins the blocks; .map maps item by item; LB too."""
    dv = rc[:]

    @dv.parallel(block=True)
    def doubled(block):
        return [2 * x for x in block]

    @parallel(dv, block=False)
    def tagged(block):
        return [(os.getpid(), x) for x in block]

    assert [2 * x for x in range(10)] == doubled(range(10))
    pairs = tagged(range(8)).get(TIMEOUT)
    assert list(range(8)) == [x for _, x in pairs]
    assert 4 == len({pid for pid, _ in pairs})
    assert [[0, 0], [2, 2]] == doubled.map([[0, 0], [1, 1]])

    @parallel(rc.load_balanced_view(), block=True)
    def balanced(block):
        return [x + 1 for x in block]

    assert list(range(1, 11)) == balanced(range(10))
    with pytest.raises(ValueError, match="dist='r' is not supported"):
        dv.parallel(dist="r")


def test_reference_arguments_resolve_on_each_engine(rc):
    """Reference('name') in args and kwargs, top level and nested, becomes the engine's own value of name."""
    rc[:].scatter("own_value", [10, 11, 12, 13], flatten=True, block=True)
    assert [10, 11, 12, 13] == rc[:].apply_sync(lambda v, offset=0: v + offset, Reference("own_value"))
    assert [11, 12, 13, 14] == rc[:].apply_sync(lambda v, offset: v + offset, 1, offset=Reference("own_value"))
    nested = rc[[0, 3]].apply_sync(lambda items, mapping: (items, mapping),
                                   [Reference("own_value"), 1], {"k": (Reference("own_value"),)})
    assert [([10, 1], {"k": (10,)}), ([13, 1], {"k": (13,)})] == nested
    with pytest.raises(RemoteError, match=r"NameError: .*'never_defined' is not defined on this engine"):
        rc[0].apply_sync(lambda v: v, Reference("never_defined"))


def test_unpicklable_argument_fails_before_anything_is_sent(rc):
    """An apply or push with a lock raises SerializationError naming it; no future waits and the hub saw nothing."""
    dv = rc[:]
    first = dv.apply_async(abs, -1)
    first.get(TIMEOUT)
    wait_until(lambda: first.msg_ids[-1] in rc.hub_history(), TIMEOUT, "the first marker's record")
    before = set(rc.hub_history())
    with pytest.raises(SerializationError, match=r"arguments of max .*argument 1: <unlocked _thread.lock"):
        dv.apply_async(max, 1, threading.Lock())
    with pytest.raises(SerializationError, match="push_namespace"):
        dv.push({"lock": threading.Lock()})
    with pytest.raises(SerializationError, match="map from index"):
        dv.map_async(abs, [1, 2, 3, threading.Lock()])
    assert {} == rc._inbox.pending
    marker = rc[0].apply_async(abs, -1)
    marker.get(TIMEOUT)
    wait_until(lambda: marker.msg_ids[0] in rc.hub_history(), TIMEOUT, "the second marker's record")
    assert marker.msg_ids == [msg_id for msg_id in rc.hub_history() if msg_id not in before]


def test_view_and_client_wait(rc, tmp_path):
    """view.wait() and rc.wait() return False while work runs and True once it is done."""
    gate = tmp_path / "gate"

    def held(path):
        import time
        from pathlib import Path

        deadline = time.monotonic() + 60
        while not Path(path).exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        return Path(path).exists()

    dv = rc[[0, 1]]
    other = rc[2].apply_async(abs, -3)
    running = dv.apply_async(held, str(gate))
    assert not dv.wait(timeout=0.2)
    assert not rc.wait(timeout=0)
    assert not rc.wait(running.msg_ids, timeout=0)
    assert rc.wait([other], timeout=TIMEOUT)
    gate.touch()
    assert dv.wait(timeout=TIMEOUT)
    assert [True, True] == running.get(0)
    assert rc.wait(timeout=-1)
    assert rc.wait("not-a-msg-id-of-this-client", timeout=0)


def test_view_clear_empties_only_its_engines(rc):
    """view.clear() (blocking) removes pushed names on the view's engines only."""
    rc[:].push({"to_clear": 1}, block=True)
    rc[[1, 2]].clear(block=True)
    pulled = rc[:].pull("to_clear")
    assert pulled.wait(TIMEOUT)
    errors = pulled.exception()
    assert isinstance(errors, CompositeError)
    assert [1, 2] == sorted(error.engine_info["engine_id"] for error in errors.elist)
    assert [1, 1] == rc[[0, 3]].pull("to_clear", block=True)
    tag_engines(rc)  # for the tests after this one


def test_direct_map_partitions_like_scatter(rc):
    """map gives each engine one contiguous chunk, the first ones one item longer."""
    result = rc[:].map_async(lambda x: x * 10, range(10))
    assert [0, 10, 20, 30, 40, 50, 60, 70, 80, 90] == result.get(TIMEOUT)
    assert [0, 1, 2, 3] == result.engine_id
    assert 10 == len(result)


def test_sync_imports_runs_the_block_imports_on_the_engines_too(rc, capsys):
    """Inside `with dv.sync_imports():`, `import json` and `from os import path` bind on every engine too."""
    dv = rc[:]
    with dv.sync_imports():
        import json  # noqa: F401
        from os import path  # noqa: F401
    assert ["import json on engine(s)", "from os import path on engine(s)"] == capsys.readouterr().out.splitlines()
    assert [True] * len(rc.ids) == dv.apply_sync(interactive(lambda: "json" in globals() and "path" in globals()))
