"""Load-balanced flags, dependencies, time limits, aborts and interrupts on a real cluster of four engines."""

from __future__ import annotations

import itertools
import os
import signal
import time

import pytest
from clusters import alive, processes_of, wait_until

from ipcluster.client import (
    Dependency,
    ImpossibleDependency,
    InvalidDependency,
    RemoteError,
    TaskAborted,
    TaskTimeout,
    depend,
    interactive,
    require,
)


@pytest.fixture(scope="module")
def rc(shared_cluster):
    return shared_cluster[1]


@pytest.fixture
def lview(rc):
    return rc.load_balanced_view()


@interactive
def fail_first_time(marker: str) -> int:
    """Fails on the first engine that runs it (leaving its pid in `marker`), succeeds on the next."""
    import os

    if not os.path.exists(marker):
        with open(marker, "w") as out:
            out.write(str(os.getpid()))
        raise RuntimeError("first try")
    return os.getpid()


@interactive
def wait_for_file(path: str, value=None):
    import os
    import time

    deadline = time.monotonic() + 60
    while not os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.01)
    return value


@interactive
def announce_then_sleep(path: str, seconds: float) -> str:
    import time

    open(path, "w").close()
    time.sleep(seconds)
    return "slept"


def test_retries_rerun_a_failed_task_on_another_engine(lview, tmp_path):
    """retries=1: the task fails on one engine and succeeds on a different one."""
    marker = tmp_path / "tried"
    with lview.temp_flags(retries=1):
        pid = lview.apply_async(fail_first_time, str(marker)).get(30)
    assert int(marker.read_text()) != pid


def test_without_retries_the_failure_is_raised(lview, tmp_path):
    """retries=0 (the default): the first failure is the result."""
    with pytest.raises(RemoteError, match="first try"):
        lview.apply_async(fail_first_time, str(tmp_path / "tried")).get(30)


def test_after_waits_for_a_dependency(lview):
    """after=[ar]: the task starts only once ar has finished, though engines are idle."""
    first = lview.apply_async(time.sleep, 0.3)
    with lview.temp_flags(after=first):
        started = lview.apply_async(time.time).get(30)
    first.get(30)
    assert started >= first.metadata["completed"].timestamp()


def test_after_a_failed_task_is_impossible_unless_failure_counts(lview):
    """after=[failed] fails with ImpossibleDependency; Dependency(failure=True) runs."""
    failed = lview.apply_async(lambda: 1 / 0)
    with pytest.raises(RemoteError):
        failed.get(30)
    with lview.temp_flags(after=failed), pytest.raises(ImpossibleDependency):
        lview.apply_async(abs, -1).get(30)
    with lview.temp_flags(after=Dependency(failed, success=False, failure=True)):
        assert 1 == lview.apply_async(abs, -1).get(30)


def test_any_of_several_dependencies(lview):
    """Dependency(all=False) is met by one successful task among failures."""
    good, bad = lview.apply_async(abs, -2), lview.apply_async(lambda: 1 / 0)
    with lview.temp_flags(after=Dependency([good, bad], all=False)):
        assert 3 == lview.apply_async(abs, -3).get(30)


def test_unknown_dependency_is_invalid(lview):
    """A dependency on a msg_id the scheduler never saw fails with InvalidDependency."""
    with lview.temp_flags(after="nosuch-1"), pytest.raises(InvalidDependency, match="nosuch-1"):
        lview.apply_async(abs, -1).get(30)


def test_follow_runs_where_the_dependency_ran(rc, lview, tmp_path):
    """follow=[ar]: the task runs on the engine that ran ar, though a lower-id engine is idle."""
    gate = tmp_path / "go"
    busy = [rc.load_balanced_view(targets=[i]).apply_async(wait_for_file, str(gate)) for i in (0, 1, 2)]
    first = lview.apply_async(os.getpid)  # engines 0-2 are busy: it lands on engine 3
    first_pid = first.get(30)
    assert 3 == first.engine_id
    gate.touch()
    for result in busy:
        result.get(30)
    with lview.temp_flags(follow=first):
        follower = lview.apply_async(os.getpid)
        assert (first_pid, 3) == (follower.get(30), follower.engine_id)


def test_targets_restrict_the_engines(rc):
    """A load-balanced view on targets [1, 3] runs its map there only."""
    view = rc.load_balanced_view(targets=[1, 3])
    result = view.map_async(abs, range(12))
    assert list(range(12)) == result.get(30)
    assert {1, 3} >= {meta["engine_id"] for meta in result.metadata}


def test_timeout_fails_a_task_that_found_no_engine(rc, tmp_path):
    """With its one target engine busy, a task with timeout=0.5 fails with TaskTimeout; the engine goes on."""
    view = rc.load_balanced_view(targets=[0])
    gate = tmp_path / "go"
    busy = view.apply_async(wait_for_file, str(gate), "done")
    with view.temp_flags(timeout=0.5), pytest.raises(TaskTimeout, match=r"timeout of 0\.5 s"):
        view.apply_async(abs, -1).get(30)
    gate.touch()
    assert "done" == busy.get(30)


def test_time_limit_interrupts_a_long_task_and_the_engine_carries_on(rc, tmp_path):
    """time_limit=0.5: a 60 s sleep fails with TaskTimeout soon after, on both views; the engine still works."""
    lview = rc.load_balanced_view(targets=[2])
    with lview.temp_flags(time_limit=0.5), pytest.raises(TaskTimeout, match=r"time limit of 0\.5 s"):
        lview.apply_async(time.sleep, 60).get(30)
    direct = rc[3]
    with direct.temp_flags(time_limit=0.5), pytest.raises(TaskTimeout):
        direct.apply_async(time.sleep, 60).get(30)
    assert [4, 4] == [rc[2].apply_sync(abs, -4), rc[3].apply_sync(abs, -4)]


def test_abort_answers_a_queued_task(rc, tmp_path):
    """A task waiting behind a busy engine is answered with TaskAborted by ar.abort()."""
    view = rc.load_balanced_view(targets=[0])
    gate = tmp_path / "go"
    busy = view.apply_async(wait_for_file, str(gate), "done")
    queued = view.apply_async(abs, -1)
    queued.abort()
    with pytest.raises(TaskAborted):
        queued.get(30)
    gate.touch()
    assert "done" == busy.get(30)


@pytest.mark.parametrize("view_of", [lambda rc: rc[1], lambda rc: rc.load_balanced_view(targets=[1])],
                         ids=["direct", "load-balanced"])
def test_abort_interrupts_a_running_task(rc, tmp_path, view_of):
    """ar.abort() of a running task interrupts it with TaskAborted; its engine carries on."""
    started = tmp_path / "started"
    running = view_of(rc).apply_async(announce_then_sleep, str(started), 60)
    wait_until(started.exists, 30, "the task to start")
    running.abort()
    with pytest.raises(TaskAborted, match="aborted"):
        running.get(30)
    assert 5 == rc[1].apply_sync(abs, -5)


def test_sigint_interrupts_the_running_task_only(rc, tmp_path):
    """send_signal(SIGINT) raises KeyboardInterrupt in the running task; the engine carries on."""
    started = tmp_path / "started"
    running = rc[2].apply_async(announce_then_sleep, str(started), 60)
    wait_until(started.exists, 30, "the task to start")
    rc.send_signal(signal.SIGINT, targets=2, block=True)
    with pytest.raises(RemoteError) as raised:
        running.get(30)
    assert "KeyboardInterrupt" == raised.value.ename
    assert 6 == rc[2].apply_sync(abs, -6)


def test_depend_runs_only_where_the_condition_holds(rc, lview):
    """@depend(f): the task moves on until it reaches an engine where f is true; never true is impossible."""
    wanted = rc[3].apply_sync(os.getpid)

    def is_pid(pid: int) -> bool:
        import os

        return os.getpid() == pid

    @depend(is_pid, wanted)
    def where() -> int:
        import os

        return os.getpid()

    assert [wanted] * 3 == [lview.apply_async(where).get(30) for _ in range(3)]

    @depend(lambda: False)
    def nowhere() -> None:
        return None

    with pytest.raises(ImpossibleDependency):
        lview.apply_async(nowhere).get(30)


def test_require_imports_on_the_engine_or_moves_on(lview):
    """@require('json'): json is there in the call; a module no engine has is impossible."""

    @require("json")
    @interactive
    def dumps() -> str:
        return json.dumps([1])  # noqa: F821  (imported on the engine by @require)

    assert "[1]" == lview.apply_async(dumps).get(30)

    @require("no_such_module_here")
    def never() -> None:
        return None

    with pytest.raises(ImpossibleDependency, match="no_such_module_here"):
        lview.apply_async(never).get(30)


def test_imap_unordered_yields_every_result(lview):
    """imap(ordered=False) yields each result once, in whatever order they finish."""
    assert list(range(0, 20, 2)) == sorted(lview.imap(lambda x: 2 * x, range(10), ordered=False))


def test_shutdown_with_hub_stops_the_whole_cluster(make_cluster):
    """rc.shutdown(hub=True) stops every engine, then the controller; `ipcluster start` then exits."""
    cluster = make_cluster(n=2)
    with cluster.client() as client:
        client.shutdown(hub=True)
    assert 0 == cluster.process.wait(30)
    wait_until(lambda: not [p for p in processes_of(cluster.ipython_dir) if alive(p)], 30, "every process to exit")


def test_a_bad_signal_number_is_refused_before_sending(rc):
    """send_signal(99) fails at once with one line naming it; the engines are untouched."""
    with pytest.raises(ValueError, match=r"send_signal\(99\): not a signal number"):
        rc.send_signal(99)
    assert [1] * len(rc.ids) == rc[:].apply_sync(abs, -1)


def test_an_abort_of_a_queued_direct_task_is_answered_while_the_engine_is_busy(rc, tmp_path):
    """A blocking abort of a direct task queued behind a running one returns at once: the engine's watch thread
    answers it, and the queued task is answered TaskAborted without running."""
    started, gate = tmp_path / "started", tmp_path / "go"
    busy = rc[0].apply_async(announce_then_sleep, str(started), 0)
    first = rc[0].apply_async(wait_for_file, str(gate), "done")
    queued = rc[0].apply_async(abs, -1)
    wait_until(started.exists, 30, "the engine to be busy")
    busy.get(30)
    rc.abort(queued, block=True)  # waits for the engine's answer, which must not wait for `first`
    gate.touch()
    assert "done" == first.get(30)
    with pytest.raises(TaskAborted):
        queued.get(30)


def test_imap_draws_items_only_as_results_come_back(lview):
    """imap over an endless generator works: items are drawn as chunks finish, at most max_outstanding ahead."""
    drawn = []

    def endless():
        for number in itertools.count():
            drawn.append(number)
            yield number

    results = lview.imap(lambda x: x * 10, endless(), max_outstanding=3)
    assert [0, 10, 20, 30, 40] == list(itertools.islice(results, 5))
    assert len(drawn) <= 5 + 3 + 1  # the 5 taken, 3 in flight, and the one that found the window full
