"""The engine's view of its controller's heartbeat, without a controller (its sockets connect to nothing)."""

import struct

import pytest
import structlog
import zmq

from ipcluster.engine import Engine
from ipcluster.protocol import NO_ENGINE, free_ports

NAMES = ["registration", "mux", "task", "control", "iopub", "hb_ping", "hb_pong"]


@pytest.fixture
def engine():
    info = {"key": "k", "interface": "tcp://127.0.0.1", **dict(zip(NAMES, free_ports(len(NAMES)), strict=True))}
    engine = Engine(info, structlog.get_logger())
    engine.engine_id = 3
    yield engine
    engine.engine_id = NO_ENGINE  # registered with nobody: nothing to unregister
    engine.close()


def ping(engine, beat):
    engine._on_ping([zmq.Frame(struct.pack("<Q", beat))])


def test_rising_beats_keep_the_engine_running(engine):
    """Each ping's counter is above the last: the engine keeps serving."""
    for beat in (1, 2, 5):
        ping(engine, beat)
    assert (0, False) == (engine.exit_code, engine.loop._stopped)


def test_beat_counter_going_back_means_a_restarted_controller(engine, capfd):
    """A new heart monitor counts from 1 again: the engine stops with exit code 1 and one line on stderr."""
    for beat in (40, 41, 2):
        ping(engine, beat)
    assert (1, True, NO_ENGINE) == (engine.exit_code, engine.loop._stopped, engine.engine_id)
    lines = capfd.readouterr().err.splitlines()
    assert 1 == len(lines)
    assert lines[0].startswith("ipengine: the controller at tcp://127.0.0.1:")
    assert "restarted (its heartbeat counter went back from 41 to 2)" in lines[0]


def test_pings_of_another_shape_only_count_as_life(engine):
    """A ping that is not one 8-byte counter refreshes the liveness clock and nothing else."""
    ping(engine, 9)
    engine._on_ping([zmq.Frame(b"short")])
    ping(engine, 10)
    assert (0, False) == (engine.exit_code, engine.loop._stopped)
