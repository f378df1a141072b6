"""The hub process's behaviour on real sockets."""

import pytest
import structlog
import zmq
from conftest import HubHarness
from traitlets.config import Config

from ipcluster.hub.stores import new_record, open_store
from ipcluster.protocol import header_pb2
from ipcluster.protocol import records_pb2 as rec
from ipcluster.protocol import registry_pb2 as reg
from ipcluster.protocol import work_pb2 as work

MT = header_pb2.MsgType


def test_registration_gives_ids_and_notifies_peers_and_clients(harness):
    """Registering engines assigns ids, tells connected peers, and clients see them."""
    peer = harness.dealer()
    welcome = harness.request(peer, MT.PEER_HELLO, reg.PeerHello(role="scheduler"))
    assert MT.PEER_WELCOME == welcome.header.msg_type
    engine = harness.dealer()
    reply = harness.request(engine, MT.REGISTRATION_REQUEST, reg.RegistrationRequest(uuid="e-1", requested_id=-1))
    assert reg.RegistrationReply(ok=True, engine_id=0) == reply.content(reg.RegistrationReply)
    event = harness.receive(peer).content(reg.EngineEvent)
    assert (reg.EngineEvent.REGISTERED, "e-1") == (event.kind, event.engine.uuid)
    client = harness.dealer()
    info = harness.request(client, MT.CONNECTION_REQUEST, reg.ConnectionRequest()).content(reg.ConnectionReply)
    assert [0] == [e.engine_id for e in info.engines]
    assert "leastload" == info.task_scheme


def test_heart_failure_unregisters_and_publishes(harness):
    """A heart failure removes the engine and is published to subscribed clients."""
    subscriber = harness.socket(zmq.SUB, "notification")
    subscriber.subscribe(b"")
    engine = harness.dealer()
    harness.request(engine, MT.REGISTRATION_REQUEST, reg.RegistrationRequest(uuid="e-1", requested_id=-1))
    heart = harness.dealer()
    harness.session.send(heart, harness.session.header(MT.HEART_FAILURE), reg.HeartFailure(uuid="e-1", missed_beats=5))
    client = harness.dealer()
    # the SUB socket may have joined after the registration event: read until the unregistration
    for _ in range(2):
        event = harness.receive(subscriber).content(reg.EngineEvent)
        if event.kind == reg.EngineEvent.UNREGISTERED:
            break
    assert reg.EngineEvent.UNREGISTERED == event.kind
    assert "5 periods" in event.reason
    info = harness.request(client, MT.CONNECTION_REQUEST, reg.ConnectionRequest()).content(reg.ConnectionReply)
    assert [] == list(info.engines)


def test_a_message_signed_with_another_key_is_refused_with_our_signature(harness):
    """Another key's request is logged and answered with an error the intruder cannot verify; the hub keeps serving."""
    from ipcluster.protocol import KeyMismatch, Session

    socket = harness.dealer()
    intruder = Session(b"wrong-key")
    with structlog.testing.capture_logs() as logs:
        intruder.send(socket, intruder.header(MT.CONNECTION_REQUEST), reg.ConnectionRequest())
        answer = socket.recv_multipart(copy=False) if socket.poll(5000) else None
        reply = harness.request(socket, MT.CONNECTION_REQUEST, reg.ConnectionRequest())  # served in order, after it
    refused = [entry["event"] for entry in logs if entry["log_level"] == "warning"]
    assert ["refused a message signed with another key (a connection file of another controller?)"] == refused
    assert answer is not None
    with pytest.raises(KeyMismatch):
        intruder.unpack(answer)
    assert MT.HUB_ERROR_REPLY == harness.session.unpack(answer).header.msg_type
    assert MT.CONNECTION_REPLY == reply.header.msg_type


def test_other_protocol_version_gets_a_clear_error(harness):
    """A peer with another protocol version is answered with an error, not silence."""
    socket = harness.dealer()
    frames = harness.session.frames(harness.session.header(MT.CONNECTION_REQUEST), reg.ConnectionRequest())
    frames[0] = b"<IPC|2>"
    socket.send_multipart(frames)
    reply = harness.receive(socket)
    assert MT.HUB_ERROR_REPLY == reply.header.msg_type
    assert "<IPC|2>" in reply.content(reg.HubErrorReply).error


def test_task_events_feed_queue_status(harness):
    """Submitted and finished events from a scheduler show up in queue_status."""
    engine = harness.dealer()
    harness.request(engine, MT.REGISTRATION_REQUEST, reg.RegistrationRequest(uuid="e-1", requested_id=-1))
    push = harness.socket(zmq.PUSH, "hub_events")
    session = harness.session
    requests = [session.header(MT.APPLY_REQUEST) for _ in range(3)]
    batch = work.TaskEvents()
    for request in requests:
        batch.events.add(kind=work.TaskEvent.SUBMITTED, queue=work.DIRECT, header=request.SerializeToString(),
                         client_id=b"c", engine_uuid=b"e-1")
    session.send(push, session.header(MT.TASK_EVENT), batch)
    reply_header = session.header(MT.APPLY_REPLY, parent_id=requests[0].msg_id, status=header_pb2.OK)
    done = work.TaskEvent(kind=work.TaskEvent.FINISHED, queue=work.DIRECT, header=reply_header.SerializeToString(),
                          client_id=b"c", engine_uuid=b"e-1", time=1.0)
    session.send(push, session.header(MT.TASK_EVENT), work.TaskEvents(events=[done]))
    client = harness.dealer()
    expected = reg.EngineQueue(queue=2, completed=1)
    for _ in range(500):  # events and the query travel on different sockets: ask until both are in
        status = harness.request(client, MT.QUEUE_STATUS_REQUEST, reg.QueueStatusRequest())
        status = status.content(reg.QueueStatusReply)
        if status.engines[0] == expected:
            break
    assert expected == status.engines[0]


def test_unknown_request_type_is_answered_with_an_error(harness):
    """The hub says what it cannot handle instead of ignoring it."""
    socket = harness.dealer()
    reply = harness.request(socket, MT.STREAM, None)
    assert MT.HUB_ERROR_REPLY == reply.header.msg_type
    assert "STREAM" in reply.content(reg.HubErrorReply).error


def test_admin_service_reports_statistics_to_key_holders_only(harness):
    """The gRPC admin surface answers with the hub's counts, and refuses a caller without the key."""
    import grpc

    from ipcluster.hub._admin import KEY_METADATA
    from ipcluster.protocol.pb import admin_pb2, admin_pb2_grpc

    engine = harness.dealer()
    harness.request(engine, MT.REGISTRATION_REQUEST, reg.RegistrationRequest(uuid="e-1", requested_id=-1))
    with grpc.insecure_channel(harness.spec.connect_url("admin").split("://", 1)[1]) as channel:
        admin = admin_pb2_grpc.AdminStub(channel)
        key = [(KEY_METADATA, "test-key")]
        stats = admin.Statistics(admin_pb2.StatisticsRequest(), metadata=key, timeout=10)
        assert 1 == stats.engines
        assert ["e-1"] == [e.uuid for e in admin.Engines(admin_pb2.EnginesRequest(), metadata=key, timeout=10).engines]
        with pytest.raises(grpc.RpcError) as refused:
            admin.Statistics(admin_pb2.StatisticsRequest(), metadata=[(KEY_METADATA, "wrong")], timeout=10)
        assert grpc.StatusCode.UNAUTHENTICATED == refused.value.code()


def test_garbage_task_header_is_dropped_and_the_hub_keeps_serving(harness):
    """A client's unparsable header, passed on by the scheduler, is skipped; the next event is recorded."""
    harness.request(harness.dealer(), MT.REGISTRATION_REQUEST, reg.RegistrationRequest(uuid="e"))
    push = harness.socket(zmq.PUSH, "hub_events")
    bad = work.TaskEvent(kind=work.TaskEvent.SUBMITTED, queue=work.DIRECT, header=b"\xff\xff garbage",
                         client_id=b"c", engine_uuid=b"e")
    good = work.TaskEvent(kind=work.TaskEvent.SUBMITTED, queue=work.DIRECT, client_id=b"c", engine_uuid=b"e",
                          header=harness.session.header(MT.APPLY_REQUEST).SerializeToString())
    harness.session.send(push, harness.session.header(MT.TASK_EVENT), work.TaskEvents(events=[bad, good]))
    assert 1 == len(harness.history_once_seen())
    assert harness.thread.is_alive()


def test_malformed_content_gets_an_error_reply(harness):
    """A signed request whose content does not parse is answered with an error."""
    socket = harness.dealer()
    header = harness.session.header(MT.REGISTRATION_REQUEST)
    header_bytes = header.SerializeToString()
    content = b"\xff\xff"
    frames = [b"<IPC|1>", harness.session.sign(header_bytes, content, []), header_bytes, content]
    socket.send_multipart(frames)
    reply = harness.receive(socket)
    assert MT.HUB_ERROR_REPLY == reply.header.msg_type
    assert "malformed RegistrationRequest" in reply.content(reg.HubErrorReply).error



def test_task_event_with_a_binary_engine_id_is_dropped_and_the_hub_keeps_serving(harness):
    """A routing id that is not UTF-8 (a peer without our identity) is skipped; the next event is recorded."""
    harness.request(harness.dealer(), MT.REGISTRATION_REQUEST, reg.RegistrationRequest(uuid="e"))
    push = harness.socket(zmq.PUSH, "hub_events")
    events = [
        work.TaskEvent(kind=work.TaskEvent.SUBMITTED, queue=work.DIRECT, client_id=b"c", engine_uuid=engine,
                       header=harness.session.header(MT.APPLY_REQUEST).SerializeToString())
        for engine in (b"\xff", b"e")
    ]
    harness.session.send(push, harness.session.header(MT.TASK_EVENT), work.TaskEvents(events=events))
    assert 1 == len(harness.history_once_seen())
    assert harness.thread.is_alive()


def test_work_sent_to_an_engine_that_already_left_leaves_no_pending_record(harness):
    """A submission reported after its engine was unregistered is not recorded: it could never finish."""
    push = harness.socket(zmq.PUSH, "hub_events")
    events = [
        work.TaskEvent(kind=work.TaskEvent.SUBMITTED, queue=work.DIRECT, client_id=b"c", engine_uuid=engine,
                       header=harness.session.header(MT.APPLY_REQUEST).SerializeToString())
        for engine in (b"gone", b"e")
    ]
    harness.request(harness.dealer(), MT.REGISTRATION_REQUEST, reg.RegistrationRequest(uuid="e"))
    harness.session.send(push, harness.session.header(MT.TASK_EVENT), work.TaskEvents(events=events))
    assert 1 == len(harness.history_once_seen())


def test_tasks_left_pending_by_a_previous_controller_are_failed_at_start(tmp_path):
    """A persistent store's pending records from an earlier run are marked TaskAborted, so nobody waits on them."""
    config = {"SQLiteDB": {"table": "kept", "location": str(tmp_path)}}
    old = open_store("SQLiteDB", "old-session", tmp_path, Config(config))
    old.add([new_record("orphan", submitted=1.0), new_record("done", submitted=2.0, status="ok", completed=3.0)])
    old.close()
    harness = HubHarness("SQLiteDB", config)
    harness.thread.start()
    try:
        reply = harness.request(harness.dealer(), MT.DB_QUERY_REQUEST,
                                rec.DbQueryRequest(keys=["status", "error", "completed"]))
        records = {r.msg_id: r for r in reply.content(rec.DbQueryReply).records}
    finally:
        harness.close()
    assert ("error", "TaskAborted: the controller restarted before the task finished") == (
        records["orphan"].status, records["orphan"].error)
    assert ("ok", 3.0) == (records["done"].status, records["done"].completed)


def test_nodb_refuses_queries_with_the_reason(tmp_path):
    """With NoDB a query is answered by an error saying no records are kept."""
    harness = HubHarness("NoDB")
    harness.thread.start()
    try:
        reply = harness.request(harness.dealer(), MT.HISTORY_REQUEST, rec.HistoryRequest())
    finally:
        harness.close()
    assert MT.HUB_ERROR_REPLY == reply.header.msg_type
    assert "keeps no task records" in reply.content(reg.HubErrorReply).error
