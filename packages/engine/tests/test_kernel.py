"""Running user code in the engine's namespace, without sockets."""

import sys
import threading

import pytest

from ipcluster.engine import Kernel
from ipcluster.engine._kernel import error_info, utf8_safe
from ipcluster.engine._streams import PUBLISH_THRESHOLD, OutStream
from ipcluster.protocol import deserialize, serialize_apply


@pytest.fixture
def kernel():
    saved = sys.modules["__main__"]
    kernel = Kernel()
    yield kernel
    sys.modules["__main__"] = saved


def run(kernel, function, *args, **kwargs):
    count, frames = serialize_apply(function, args, kwargs)
    return deserialize(kernel.apply(frames, count))


def test_apply_calls_the_function_with_its_arguments(kernel):
    """A pickled function runs with its positional and keyword arguments."""
    assert 7 == run(kernel, lambda a, b=0: a + b, 3, b=4)


def test_execute_defines_names_in_the_namespace(kernel):
    """Code run by execute leaves its names behind for later calls."""
    kernel.execute("x = 6 * 7")
    assert 42 == kernel.namespace["x"]


def test_execute_not_silent_returns_the_repr_of_a_trailing_expression(kernel):
    """As IPython's Out[]: the last statement's value, when it is an expression and not None."""
    assert "'ab'" == kernel.execute("x = 'a'\nx + 'b'", silent=False)
    assert "" == kernel.execute("y = 1", silent=False)
    assert "" == kernel.execute("print('shown on stdout instead')", silent=False)
    assert "" == kernel.execute("x + 'b';", silent=False)  # hidden, as IPython hides it
    assert "" == kernel.execute("x + 'b'")  # silent, as rc[:].execute is by default


def test_execute_counts_only_what_is_not_silent(kernel):
    """The execution count of Out[engine:count] grows with each non-silent execute, errors included."""
    kernel.execute("1", silent=False)
    kernel.execute("1")
    with pytest.raises(ZeroDivisionError):
        kernel.execute("1 / 0", silent=False)
    assert 2 == kernel.execution_count


def test_trailing_expression_errors_point_at_its_line(kernel):
    """An error in the trailing expression reports the cell's own line number."""
    with pytest.raises(ZeroDivisionError) as caught:
        kernel.execute("a = 1\n\na / 0", silent=False)
    assert 'File "<execute>", line 3, in <module>' in "".join(error_info(caught.value, engine_id=0).traceback)


def test_main_function_reads_the_engine_namespace(kernel):
    """A function from the user's __main__ finds names defined on the engine."""
    kernel.execute("value = 'engine'")

    def read():
        return value  # noqa: F821  (defined on the engine)

    read.__module__ = "__main__"
    assert "engine" == run(kernel, read)


def test_captured_globals_of_main_functions_win_and_stay(kernel):
    """Globals captured from the user's session are what the function sees, and land on the engine."""
    kernel.execute("factor = 'engine'")
    count, frames = serialize_apply(_make_main_function(), (), {})
    assert "session" == deserialize(kernel.apply(frames, count))
    assert "session" == kernel.namespace["factor"]


def _make_main_function():
    namespace = {"__name__": "__main__", "factor": "session"}
    exec("def show():\n    return factor", namespace)
    return namespace["show"]


def test_map_items_calls_once_per_zipped_item(kernel):
    """A map chunk calls the function per item of the zipped sequences."""
    count, frames = serialize_apply(lambda a, b: a * b, ([1, 2, 3], [4, 5, 6]), {})
    assert [4, 10, 18] == deserialize(kernel.apply(frames, count, map_items=True))


def test_clear_empties_the_namespace(kernel):
    """clear forgets user names but keeps builtins working."""
    kernel.execute("y = 1")
    kernel.clear()
    assert "y" not in kernel.namespace
    kernel.execute("z = len('abc')")
    assert 3 == kernel.namespace["z"]


def test_classes_defined_on_the_engine_unpickle_by_reference(kernel):
    """The namespace is __main__, so objects referring to __main__ classes resolve there."""
    kernel.execute("class Point:\n    pass\np = Point()")
    assert "__main__" == type(kernel.namespace["p"]).__module__
    assert sys.modules["__main__"] is kernel.module


def test_error_info_keeps_only_user_frames(kernel):
    """The remote traceback starts at the user's code, not the engine's."""
    kernel.execute("def fail():\n    raise KeyError('missing')")
    try:
        kernel.execute("fail()")
    except KeyError as exc:
        info = error_info(exc, engine_id=3)
    assert ("KeyError", "'missing'", 3) == (info.ename, info.evalue, info.engine_id)
    text = "".join(info.traceback)
    assert "fail" in text and "ipcluster/engine" not in text


class Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("no text for you")


def test_error_info_survives_an_exception_whose_str_raises():
    """A failing __str__ gives the type name and a note, not a crash of the engine."""
    try:
        raise Unprintable()
    except Unprintable as exc:
        info = error_info(exc, engine_id=0)
    assert "Unprintable" == info.ename
    assert "<str() failed: RuntimeError: no text for you>" == info.evalue
    assert "Unprintable" in "".join(info.traceback)


def test_error_info_text_is_always_utf8():
    """Lone surrogates in a message are escaped, so the reply can be encoded."""
    try:
        raise ValueError("bad \udc80 text")
    except ValueError as exc:
        info = error_info(exc, engine_id=0)
    assert "bad \\udc80 text" == info.evalue
    info.SerializeToString()  # raises UnicodeEncodeError if any field is not UTF-8


def test_utf8_safe_escapes_only_what_utf8_cannot_encode():
    """ASCII and ordinary non-ASCII text pass unchanged; surrogates become backslash escapes."""
    assert ("plain", "héllo ✓", "a\\udc80b") == (utf8_safe("plain"), utf8_safe("héllo ✓"), utf8_safe("a\udc80b"))


def test_outstream_captures_and_publishes_in_chunks():
    """Output is kept for the reply and published once enough is waiting, and at the end."""
    published = []
    stream = OutStream("stdout", lambda name, text: published.append((name, text)), threading.Lock())
    stream.write("hello ")
    assert [] == published
    stream.write("x" * PUBLISH_THRESHOLD)
    assert 1 == len(published)
    stream.write("tail")
    assert "hello " + "x" * PUBLISH_THRESHOLD + "tail" == stream.take()
    assert ("stdout", "tail") == published[-1]
    assert "" == stream.take()


def test_mpi_is_initialised_only_when_asked_and_only_through_a_known_binding():
    """c.MPI.use='' initialises nothing; an unknown binding is a clear error naming the known ones."""
    from ipcluster.engine._mpi import MPIError, init_mpi

    assert init_mpi("") is None
    with pytest.raises(MPIError, match="can initialise mpi4py, pytrilinos"):
        init_mpi("boost")


def test_an_mpi_init_script_runs_instead_and_its_rank_is_the_engine_id():
    """c.MPI.init_script replaces use's script; the `rank` it sets is returned; failures are one clear line."""
    from ipcluster.engine._mpi import MPIError, init_mpi

    assert 7 == init_mpi("mpi4py", "rank = 3 + 4")
    assert init_mpi("", "import os") is None
    with pytest.raises(MPIError, match=r"c\.MPI\.init_script raised ZeroDivisionError"):
        init_mpi("", "1 / 0")
    with pytest.raises(MPIError, match=r"c.MPI.use = 'pytrilinos' cannot import PyTrilinos .*conda install"):
        init_mpi("pytrilinos")
