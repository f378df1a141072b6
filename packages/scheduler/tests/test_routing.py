"""Direct and load-balanced routing on real (inproc) sockets, driven one message at a time."""

import itertools

import pytest
import structlog
import zmq

from ipcluster.protocol import Session, header_pb2, work_pb2
from ipcluster.scheduler import DirectRouter, LeastLoad, TaskScheduler

MT = header_pb2.MsgType
KEY = b"key"
_names = itertools.count()


class Wiring:
    """A client DEALER and engine DEALERs around a pair of ROUTERs."""

    def __init__(self):
        self.context = zmq.Context()
        self.session = Session(KEY)
        name = next(_names)
        self.client_side = self._socket(zmq.ROUTER, bind=f"inproc://c{name}")
        self.engine_side = self._socket(zmq.ROUTER, bind=f"inproc://e{name}")
        self.client = self._socket(zmq.DEALER, connect=f"inproc://c{name}", identity=b"client")
        self._engine_url = f"inproc://e{name}"

    def _socket(self, kind, bind=None, connect=None, identity=None):
        socket = self.context.socket(kind)
        socket.linger = 0
        if identity:
            socket.identity = identity
        if bind:
            socket.bind(bind)
        if connect:
            socket.connect(connect)
        return socket

    def engine(self, uuid: bytes) -> zmq.Socket:
        return self._socket(zmq.DEALER, connect=self._engine_url, identity=uuid)

    def hello(self, engine: zmq.Socket) -> None:
        self.session.send(engine, self.session.header(MT.ENGINE_HELLO))

    def pump(self, socket: zmq.Socket, handler) -> None:
        assert socket.poll(2000), "nothing arrived"
        handler(socket.recv_multipart(copy=False))

    def close(self):
        self.context.destroy(linger=0)


@pytest.fixture
def wiring():
    wiring = Wiring()
    yield wiring
    wiring.close()


def reply_to(session: Session, engine: zmq.Socket, status=header_pb2.OK) -> str:
    msg = session.unpack(engine.recv_multipart(copy=False))
    header = session.header(MT.APPLY_REPLY, parent_id=msg.header.msg_id, status=status)
    session.send(engine, header, work_pb2.TaskReply(), idents=msg.idents)
    return msg.header.msg_id


def test_direct_request_waits_for_an_engine_that_has_not_connected(wiring):
    """A request for an engine not yet connected is parked, then delivered on its hello."""
    seen = []
    router = DirectRouter(wiring.client_side, wiring.engine_side, Session(KEY), structlog.get_logger(),
                          on_request=lambda *a: seen.append("request"), on_reply=lambda *a: seen.append("reply"))
    wiring.session.send(wiring.client, wiring.session.header(MT.APPLY_REQUEST), None, idents=[b"engine-1"])
    wiring.pump(wiring.client_side, router.from_client)
    assert 1 == len(router.parked[b"engine-1"])
    engine = wiring.engine(b"engine-1")
    wiring.hello(engine)
    wiring.pump(wiring.engine_side, router.from_engine)
    msg_id = reply_to(wiring.session, engine)
    wiring.pump(wiring.engine_side, router.from_engine)
    assert wiring.client.poll(2000)
    reply = wiring.session.unpack(wiring.client.recv_multipart(copy=False))
    assert [b"engine-1"] == reply.idents  # the client learns which engine answered
    assert msg_id == reply.header.parent_id
    assert ["request", "reply"] == seen


def make_scheduler(wiring, events, hwm=1, timers=None, aborts=None):
    return TaskScheduler(wiring.client_side, wiring.engine_side, Session(KEY), LeastLoad(), hwm,
                         lambda kind, *rest: events.append(kind), structlog.get_logger(),
                         lambda delay, callback: (timers if timers is not None else []).append(callback),
                         lambda uuid, msg_ids: (aborts if aborts is not None else []).append((uuid, msg_ids)))


def submit(wiring, scheduler, count=1):
    for _ in range(count):
        wiring.session.send(wiring.client, wiring.session.header(MT.APPLY_REQUEST), work_pb2.ApplyRequest())
        wiring.pump(wiring.client_side, scheduler.from_client)


def test_tasks_wait_for_a_registered_connected_engine_and_respect_hwm(wiring):
    """Tasks queue until an engine is both registered and connected; hwm=1 holds one at a time."""
    events = []
    scheduler = make_scheduler(wiring, events)
    submit(wiring, scheduler, 2)
    engine = wiring.engine(b"e1")
    scheduler.engine_registered(b"e1", 0)
    assert 2 == len(scheduler.queue)
    wiring.hello(engine)
    wiring.pump(wiring.engine_side, scheduler.from_engine)
    assert 1 == len(scheduler.queue)
    reply_to(wiring.session, engine)
    wiring.pump(wiring.engine_side, scheduler.from_engine)
    assert 0 == len(scheduler.queue)
    assert wiring.client.poll(2000)
    T = work_pb2.TaskEvent
    assert [T.SUBMITTED, T.SUBMITTED, T.ASSIGNED, T.FINISHED, T.ASSIGNED] == events


def test_engine_death_fails_its_task_and_others_take_the_queue(wiring):
    """When an engine dies its task fails with EngineError and queued work moves on."""
    scheduler = make_scheduler(wiring, [])
    doomed, survivor = wiring.engine(b"doomed"), wiring.engine(b"survivor")
    scheduler.engine_registered(b"doomed", 0)
    wiring.hello(doomed)
    wiring.pump(wiring.engine_side, scheduler.from_engine)
    submit(wiring, scheduler, 2)
    scheduler.engine_registered(b"survivor", 1)
    wiring.hello(survivor)
    wiring.pump(wiring.engine_side, scheduler.from_engine)
    assert {s.engine_id: len(s.outstanding) for s in scheduler.slots.values()} == {0: 1, 1: 1}
    submit(wiring, scheduler)  # queued: both engines are at hwm
    scheduler.engine_unregistered(b"doomed")
    assert wiring.client.poll(2000)
    failure = wiring.session.unpack(wiring.client.recv_multipart(copy=False))
    reply = failure.content(work_pb2.TaskReply)
    assert (failure.header.status, reply.error.ename) == (header_pb2.ERROR, "EngineError")
    assert "engine 0 died" in reply.error.evalue
    reply_to(wiring.session, survivor)
    wiring.pump(wiring.engine_side, scheduler.from_engine)
    assert 0 == len(scheduler.queue)
    assert 1 == len(scheduler.slots[b"survivor"].outstanding)


def test_forged_task_is_dropped(wiring):
    """A task signed with another key never reaches an engine."""
    scheduler = make_scheduler(wiring, [])
    forger = Session(b"other")
    forger.send(wiring.client, forger.header(MT.APPLY_REQUEST), work_pb2.ApplyRequest())
    wiring.pump(wiring.client_side, scheduler.from_client)
    assert 0 == len(scheduler.queue)


def test_direct_router_drops_forged_short_and_departed_traffic(wiring):
    """Unsigned or truncated messages are dropped; requests for an engine that left are neither parked nor
    recorded."""
    recorded = []
    router = DirectRouter(wiring.client_side, wiring.engine_side, Session(KEY), structlog.get_logger(),
                          on_request=lambda *args: recorded.append(args))
    forger = Session(b"other")
    forger.send(wiring.client, forger.header(MT.APPLY_REQUEST), None, idents=[b"engine-1"])
    wiring.pump(wiring.client_side, router.from_client)
    wiring.client.send(b"short")
    wiring.pump(wiring.client_side, router.from_client)
    assert {} == dict(router.parked)
    router.forget(b"gone")
    wiring.session.send(wiring.client, wiring.session.header(MT.APPLY_REQUEST), None, idents=[b"gone"])
    wiring.pump(wiring.client_side, router.from_client)
    assert {} == dict(router.parked)
    assert [] == recorded


def test_short_engine_message_is_dropped_by_the_task_scheduler(wiring):
    """A message too short to be a reply, from anyone on the engine side, does not break the scheduler."""
    scheduler = make_scheduler(wiring, [])
    stranger = wiring.engine(b"stranger")
    stranger.send(b"x")
    wiring.pump(wiring.engine_side, scheduler.from_engine)
    assert {} == scheduler.slots
    assert b"stranger" not in scheduler.connected
