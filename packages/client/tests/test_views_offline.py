"""Client-side parts of the views that need no cluster: pickling errors, References, partitions, the public face."""

import inspect
import sys
import threading

import pytest

import ipcluster.client as public
from ipcluster.client import CompositeError, Reference, RemoteError, SerializationError
from ipcluster.client import _errors as errors_module
from ipcluster.client._pickling import call_frames
from ipcluster.client._scatter import block_bounds, check_dist, partition
from ipcluster.protocol import deserialize, serialize


def test_unpicklable_argument_is_named_in_a_serialization_error():
    """A lock among the arguments fails with a TypeError naming the function, the argument and the cause."""
    with pytest.raises(SerializationError, match=r"arguments of max.*argument 1: <unlocked _thread.lock.*lock") as e:
        call_frames(max, (1, threading.Lock()), {})
    assert isinstance(e.value, TypeError)
    with pytest.raises(SerializationError, match=r"argument key=:"):
        call_frames(max, (), {"key": threading.Lock()})


def test_unpicklable_function_is_named():
    """A function closing over a lock cannot be sent: the error says which function."""
    lock = threading.Lock()

    def locked():
        return lock

    with pytest.raises(SerializationError, match="the function locked"):
        call_frames(locked, (), {})


def test_reference_resolves_to_the_name_where_it_is_unpickled(monkeypatch):
    """A Reference, top level or nested, unpickles as the value of its name in __main__."""
    monkeypatch.setattr(sys.modules["__main__"], "engine_value", 42, raising=False)
    restored = deserialize(serialize(([Reference("engine_value")], {"k": (Reference("engine_value"),)})))
    assert ([42], {"k": (42,)}) == restored


def test_reference_to_a_missing_name_is_a_name_error():
    """Unpickling a Reference to an undefined name says which name."""
    with pytest.raises(NameError, match="'no_such_name_here' is not defined on this engine"):
        deserialize(serialize(Reference("no_such_name_here")))


def test_reference_needs_a_python_name():
    """Reference('1 + 1') is refused at once."""
    with pytest.raises(ValueError, match="needs a Python name"):
        Reference("1 + 1")


def test_block_bounds_give_the_extra_items_to_the_first_blocks():
    """10 items over 4 engines: 3, 3, 2, 2 as ipyparallel's dist='b'."""
    assert [0, 3, 6, 8, 10] == block_bounds(10, 4)
    assert [[0], [1], [], []] == partition(range(2), 4, "scatter")


def test_partition_of_numpy_gives_sub_arrays():
    """An array is cut into sub-arrays (views of it), not lists."""
    np = pytest.importorskip("numpy")
    data = np.arange(5)
    blocks = partition(data, 2, "scatter")
    assert [[0, 1, 2], [3, 4]] == [block.tolist() for block in blocks]
    assert all(block.base is data for block in blocks)


@pytest.mark.parametrize("bad", [5, "text", {"a": 1}, None])
def test_partition_refuses_what_is_not_a_sequence(bad):
    """scatter of an int, a string, a dict or None is a one-line TypeError naming the type."""
    with pytest.raises(TypeError, match=f"scatter needs a sequence .* not {type(bad).__name__}"):
        partition(bad, 2, "scatter")


def test_only_block_distribution_is_offered():
    """dist='r' is refused with the reason rather than silently treated as 'b'."""
    with pytest.raises(ValueError, match="only 'b'"):
        check_dist("r")


def test_composite_error_raises_and_prints_the_chosen_error(capsys):
    """raise_exception(excid) re-raises that error; print_traceback() prints each one's traceback."""
    first = RemoteError("ValueError", "one", ["tb one\n"], {"engine_id": 0})
    second = RemoteError("KeyError", "two", ["tb two\n"], {"engine_id": 1})
    composite = CompositeError("failed", [first, second])
    with pytest.raises(RemoteError) as caught:
        composite.raise_exception(excid=1)
    assert second is caught.value
    composite.print_traceback()
    assert "tb one\n\ntb two\n\n" == capsys.readouterr().out
    composite.print_traceback(excid=0)
    assert "tb one\n\n" == capsys.readouterr().out


def test_every_error_class_is_public():
    """Each exception class of _errors.py can be imported from ipcluster.client."""
    classes = {name for name, value in vars(errors_module).items()
               if inspect.isclass(value) and issubclass(value, Exception)
               and value.__module__ == errors_module.__name__}
    assert set() == classes - set(public.__all__)
    assert {"Client", "DirectView", "LoadBalancedView", "AsyncResult", "AsyncMapResult", "Reference",
            "interactive", "remote", "parallel"} <= set(public.__all__)
    assert all(hasattr(public, name) for name in public.__all__)
