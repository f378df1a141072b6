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
