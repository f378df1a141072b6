"""Liveness: beats answered keep an engine alive, silence gets it reported."""

import threading

import structlog
import zmq

from ipcluster.heartmonitor import Beats, HeartMonitor
from ipcluster.protocol import PORT_NAMES, ControllerSpec, Session, free_ports, header_pb2
from ipcluster.protocol import registry_pb2 as reg

MT = header_pb2.MsgType


def test_engine_is_dead_after_more_than_max_misses():
    """An engine that stops answering is reported once, after max_misses silent beats."""
    beats = Beats(max_misses=2)
    beats.expect(b"e")
    beats.next_beat()
    beats.answered(b"e", 1)
    assert [] == beats.next_beat()[1]  # beat 2: last answer 1
    assert [] == beats.next_beat()[1]  # beat 3: two behind
    assert [b"e"] == beats.next_beat()[1]  # beat 4: three behind
    assert [] == beats.next_beat()[1]  # reported once


def test_answers_from_unknown_hearts_are_ignored():
    """Only engines the hub announced are watched."""
    beats = Beats(max_misses=1)
    beats.answered(b"stranger", 1)
    assert {} == beats.last_answer


def test_an_answer_to_a_beat_not_yet_sent_is_ignored():
    """A forged pong for a future beat cannot keep a dead engine alive."""
    beats = Beats(max_misses=1)
    beats.expect(b"e")
    beats.answered(b"e", 2**63)
    beats.next_beat()
    assert [b"e"] == beats.next_beat()[1]


def test_silent_engine_is_reported_to_the_hub():
    """On real sockets: an engine that answers pings, then stops, is reported as a heart failure."""
    ports = dict(zip(PORT_NAMES, free_ports(len(PORT_NAMES)), strict=True))
    spec = ControllerSpec(key="k", ports=ports, heartbeat_period_ms=50, heartbeat_misses=3)
    context = zmq.Context()
    session = Session(b"k")
    hub = context.socket(zmq.ROUTER)
    hub.bind(spec.bind_url("registration"))
    monitor = HeartMonitor(spec, structlog.get_logger(), context)
    runner = threading.Thread(target=monitor.run, daemon=True)
    ping, pong = context.socket(zmq.SUB), context.socket(zmq.DEALER)
    ping.subscribe(b"")
    pong.identity = b"engine-uuid"
    ping.connect(spec.connect_url("hb_ping"))
    pong.connect(spec.connect_url("hb_pong"))
    try:
        runner.start()
        assert hub.poll(5000)
        hello = session.unpack(hub.recv_multipart(copy=False))
        assert MT.PEER_HELLO == hello.header.msg_type
        welcome = reg.PeerWelcome(engines=[reg.EngineInfo(engine_id=0, uuid="engine-uuid")])
        session.send(hub, session.header(MT.PEER_WELCOME), welcome, idents=hello.idents)
        for _ in range(10):  # answer ten pings: the engine is alive meanwhile
            assert ping.poll(5000)
            pong.send(ping.recv())
            assert not hub.poll(0)
        assert hub.poll(5000), "no heart failure reported"
        failure = session.unpack(hub.recv_multipart(copy=False))
        assert MT.HEART_FAILURE == failure.header.msg_type
        assert "engine-uuid" == failure.content(reg.HeartFailure).uuid
    finally:
        monitor.loop.stop()
        runner.join(timeout=5)
        monitor.close()
        context.destroy(linger=0)
