"""The Scheduler as a whole, on real loopback sockets in a thread."""

import threading

import structlog
import zmq

from ipcluster.protocol import PORT_NAMES, ControllerSpec, free_ports
from ipcluster.scheduler._scheduler import Scheduler


def test_close_ends_the_iopub_forwarder_and_frees_every_socket():
    """After run() and close(), the forwarder thread is gone and the zmq context can terminate."""
    spec = ControllerSpec(key="k", ports=dict(zip(PORT_NAMES, free_ports(len(PORT_NAMES)), strict=True)))
    context = zmq.Context()
    scheduler = Scheduler(spec, structlog.get_logger(), context)
    runner = threading.Thread(target=scheduler.run)
    runner.start()
    scheduler.loop.stop()
    runner.join(5)
    scheduler.close()
    assert not scheduler._iopub.is_alive()
    terminated = threading.Event()
    threading.Thread(target=lambda: (context.term(), terminated.set()), daemon=True).start()
    assert terminated.wait(5), "context.term() blocked: a socket was left open"
