"""The client's I/O thread, on a real inproc socket."""

import pytest
import zmq

from ipcluster.client._io import IOThread


def test_sending_after_the_thread_ended_is_an_error_not_a_write_to_a_reused_fd():
    """Once the I/O thread has closed its eventfd, send and stop raise instead of writing to that fd number."""
    context = zmq.Context()
    try:
        socket = context.socket(zmq.DEALER)
        socket.bind("inproc://io-test")
        thread = IOThread({"task": socket}, lambda channel, frames: None, lambda error: None)
        thread.start()
        thread.stop()
        thread.join(5)
        assert not thread.is_alive()
        with pytest.raises(RuntimeError, match="closed"):
            thread.send("task", [b"frame"])
        with pytest.raises(RuntimeError, match="closed"):
            thread.stop()
    finally:
        context.destroy(linger=0)
