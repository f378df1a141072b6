"""Stop signals: they stop the loop, and interrupt user code, but never split engine code inside it."""

import os
import signal
import threading
import time

import pytest

from ipcluster.engine._signals import EngineStopped, StopSignals, TaskAborted, TaskTimeout


@pytest.fixture
def stops():
    """What the handler asked of the loop."""
    return []


@pytest.fixture
def signals(stops):
    """StopSignals installed in this (main) thread, the previous handlers restored afterwards."""
    saved = {signum: signal.getsignal(signum) for signum in (*StopSignals.SIGNALS, signal.SIGALRM)}
    handler = StopSignals(lambda: stops.append("stop"))
    handler.install()
    yield handler
    for signum, previous in saved.items():
        signal.signal(signum, previous)


def test_sigterm_interrupts_user_code_and_stops(signals, stops):
    """SIGTERM during user code raises EngineStopped in it at once, and stops the loop."""
    started = time.monotonic()
    with pytest.raises(EngineStopped, match="SIGTERM"), signals:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(30)
    assert time.monotonic() - started < 5
    assert ["stop"] == stops


def test_sigint_outside_user_code_only_stops(signals, stops):
    """Between tasks a stop signal raises nothing: the loop ends on its own."""
    os.kill(os.getpid(), signal.SIGINT)
    assert ["stop"] == stops
    assert signal.SIGINT == signals.received


def test_signal_before_user_code_interrupts_it_on_entry(signals):
    """A signal that arrived while a task was unpacked stops the task before it starts."""
    os.kill(os.getpid(), signal.SIGTERM)
    ran = []
    with pytest.raises(EngineStopped), signals:
        ran.append("user code")
    assert [] == ran


def test_a_task_interrupted_on_entry_leaves_engine_code_uninterruptible(signals, stops):
    """After an interrupt raised from inside `with signals:`, a second signal only stops the loop."""
    os.kill(os.getpid(), signal.SIGTERM)
    with pytest.raises(EngineStopped), signals:
        pass
    os.kill(os.getpid(), signal.SIGTERM)  # e.g. sending the reply: must not be cut in half
    assert ["stop", "stop"] == stops


def test_deferred_section_finishes_before_the_interrupt(signals):
    """Engine code called from user code (a multipart send) completes; the interrupt follows it."""
    done = []
    with pytest.raises(EngineStopped), signals:
        with signals.deferred():
            os.kill(os.getpid(), signal.SIGTERM)
            done.append("sent")
        done.append("after")
    assert ["sent"] == done


def test_a_time_limit_interrupts_only_its_task(signals, stops):
    """A task past its time limit gets TaskTimeout; the engine is not stopped and the next task runs whole."""
    started = time.monotonic()
    with pytest.raises(TaskTimeout, match=r"time limit of 0\.2 s"), signals.running("m1", 0.2):
        time.sleep(30)
    assert time.monotonic() - started < 5
    with signals.running("m2", 0.0):
        time.sleep(0.3)
    assert [] == stops


def test_a_handler_user_code_installed_does_not_disable_the_next_time_limit(signals):
    """User code that takes SIGALRM over cannot make a later task's time limit silently vanish."""
    with signals.running("m1", 0.0):
        signal.signal(signal.SIGALRM, lambda *_: None)
    with pytest.raises(TaskTimeout), signals.running("m2", 0.2):
        time.sleep(30)


def test_an_interrupt_reaches_only_the_task_it_names(signals):
    """interrupt_task from another thread raises in the named running task; one naming another task does nothing."""
    stale = threading.Timer(0.05, lambda: signals.interrupt_task("m0", TaskAborted("too late")))
    stale.start()
    with signals.running("m1", 0.0):
        stale.join()  # sent while m1 runs: it must pass m1 by
        time.sleep(0.05)  # time for a wrongly delivered SIGALRM to land inside m1
    timer = threading.Timer(0.1, lambda: signals.interrupt_task("m2", TaskAborted("aborted")))
    timer.start()
    with pytest.raises(TaskAborted, match="aborted"), signals.running("m2", 0.0):
        time.sleep(30)
    timer.join()
