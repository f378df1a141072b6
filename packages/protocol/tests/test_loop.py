"""The service poll loop: readers, timers and stopping."""

import threading

import zmq

from ipcluster.protocol import Loop


def test_reader_gets_each_message_and_timers_fire_in_order():
    """Messages reach their handler; timers run by due time; stop ends run()."""
    context = zmq.Context()
    pull, push = context.socket(zmq.PULL), context.socket(zmq.PUSH)
    pull.bind("inproc://loop-test")
    push.connect("inproc://loop-test")
    loop = Loop()
    received, fired = [], []
    loop.add_reader(pull, lambda frames: received.append(frames[0].bytes))
    loop.call_later(0.02, lambda: fired.append("late"))
    loop.call_later(0.0, lambda: fired.append("early"))
    loop.call_later(0.03, loop.stop)
    for i in range(3):
        push.send(b"%d" % i)
    loop.run()
    assert [b"0", b"1", b"2"] == received
    assert ["early", "late"] == fired
    loop.close()
    pull.close()
    push.close()
    context.term()


def test_stop_from_another_thread_wakes_the_loop():
    """A loop blocked in poll with no timers stops when another thread asks."""
    loop = Loop()
    runner = threading.Thread(target=loop.run)
    runner.start()
    loop.stop()
    runner.join(timeout=5)
    assert not runner.is_alive()
    loop.close()


def test_a_callback_from_another_thread_runs_on_the_loop_thread():
    """call_soon_threadsafe wakes a blocked loop and runs the callback on the loop's own thread."""
    loop = Loop()
    ran_on = []
    runner = threading.Thread(target=loop.run)
    runner.start()
    loop.call_soon_threadsafe(lambda: ran_on.append(threading.current_thread()))
    loop.call_soon_threadsafe(loop.stop)
    runner.join(timeout=5)
    assert [runner] == ran_on
    loop.close()


def _pipe(context, name):
    """A connected PULL/PUSH pair on inproc."""
    pull, push = context.socket(zmq.PULL), context.socket(zmq.PUSH)
    pull.bind(f"inproc://{name}")
    push.connect(f"inproc://{name}")
    return pull, push


def test_priority_reader_goes_before_the_next_queued_message():
    """A message for a priority reader, arriving while work is queued, is handled before the next work item."""
    context = zmq.Context()
    work, work_in = _pipe(context, "work")
    urgent, urgent_in = _pipe(context, "urgent")
    loop = Loop()
    handled = []

    def on_work(frames):
        handled.append(frames[0].bytes)
        if frames[0].bytes == b"w0":
            urgent_in.send(b"u")  # arrives while the first item runs

    loop.add_reader(work, on_work)
    loop.add_reader(urgent, lambda frames: handled.append(frames[0].bytes), priority=True)
    for i in range(3):
        work_in.send(b"w%d" % i)
    loop.call_later(0.05, loop.stop)
    loop.run()
    assert [b"w0", b"u", b"w1", b"w2"] == handled
    loop.close()
    context.destroy(linger=0)


def test_stop_from_a_handler_leaves_the_rest_unread():
    """Once a handler stops the loop, no further queued message is handled."""
    context = zmq.Context()
    work, work_in = _pipe(context, "stop")
    loop = Loop()
    handled = []

    def on_work(frames):
        handled.append(frames[0].bytes)
        loop.stop()

    loop.add_reader(work, on_work)
    for i in range(3):
        work_in.send(b"w%d" % i)
    loop.run()
    assert [b"w0"] == handled
    assert b"w1" == work.recv()
    loop.close()
    context.destroy(linger=0)


def test_priority_socket_emptied_before_its_turn_does_not_block_the_loop():
    """Work and two priority readers all ready in one poll: each message is handled once, and run() returns."""
    context = zmq.Context()
    work, work_in = _pipe(context, "work-first")
    urgent, urgent_in = _pipe(context, "urgent-later")
    other, other_in = _pipe(context, "urgent-other")
    loop = Loop()
    handled = []
    loop.add_reader(work, lambda frames: handled.append(frames[0].bytes))  # registered first: polled first
    loop.add_reader(urgent, lambda frames: handled.append(frames[0].bytes), priority=True)
    loop.add_reader(other, lambda frames: handled.append(frames[0].bytes), priority=True)
    work_in.send(b"w")
    urgent_in.send(b"u")
    other_in.send(b"o")
    loop.call_later(0.05, loop.stop)
    runner = threading.Thread(target=loop.run)
    runner.start()
    runner.join(timeout=5)
    try:
        assert not runner.is_alive(), "the loop blocked receiving from an empty socket"
        assert [b"u", b"o", b"w"] == handled
    finally:
        loop.stop()
        runner.join(timeout=5)
        loop.close()
        context.destroy(linger=0)
