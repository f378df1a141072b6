"""The client's inbox: engine bookkeeping from signed messages, built with a real Session."""

import pytest

from ipcluster.client import EngineError
from ipcluster.client._asyncresult import TaskFuture
from ipcluster.client._inbox import Inbox
from ipcluster.protocol import Session, header_pb2
from ipcluster.protocol import registry_pb2 as reg
from ipcluster.protocol import work_pb2 as work

KEY = b"inbox-test-key"


def engine_event(session, kind, engine_id, uuid):
    engine = reg.EngineInfo(engine_id=engine_id, uuid=uuid)
    return session.frames(session.header(header_pb2.MsgType.ENGINE_EVENT), reg.EngineEvent(kind=kind, engine=engine))


@pytest.fixture
def inbox_with_two_engines():
    sender = Session(KEY)
    inbox = Inbox(Session(KEY))
    for engine_id, uuid in [(0, "uuid-0"), (1, "uuid-1")]:
        inbox.receive("registration", engine_event(sender, reg.EngineEvent.REGISTERED, engine_id, uuid))
    return sender, inbox


def test_scheduler_death_notice_removes_the_engine_before_the_hub_says_so(inbox_with_two_engines):
    """A task failed because its engine died: the engine leaves at once, and the later hub event is harmless."""
    sender, inbox = inbox_with_two_engines
    balanced = TaskFuture("lb-task")
    direct = TaskFuture("direct-task", engine_uuid="uuid-1")
    inbox.expect(balanced)
    inbox.expect(direct)
    error = work.RemoteErrorInfo(ename="EngineError", evalue="engine 1 died", engine_id=1)
    reply = work.TaskReply(error=error, engine_id=1, engine_uuid="uuid-1", engine_died=True)
    inbox.receive("task", sender.frames(sender.header(header_pb2.MsgType.APPLY_REPLY, parent_id="lb-task"), reply))
    assert {0: "uuid-0"} == inbox.engines
    assert isinstance(balanced.exception(timeout=0), EngineError)
    assert isinstance(direct.exception(timeout=0), EngineError)
    inbox.receive("registration", engine_event(sender, reg.EngineEvent.UNREGISTERED, 1, "uuid-1"))
    assert {0: "uuid-0"} == inbox.engines


def test_a_user_error_named_engine_error_keeps_the_engine(inbox_with_two_engines):
    """Only the scheduler's death notice removes an engine; user code raising EngineError does not."""
    sender, inbox = inbox_with_two_engines
    future = TaskFuture("task", engine_uuid="uuid-1")
    inbox.expect(future)
    error = work.RemoteErrorInfo(ename="EngineError", evalue="raised by user code", engine_id=1)
    reply = work.TaskReply(error=error, engine_id=1, engine_uuid="uuid-1")
    inbox.receive("mux", sender.frames(sender.header(header_pb2.MsgType.APPLY_REPLY, parent_id="task"), reply))
    assert {0: "uuid-0", 1: "uuid-1"} == inbox.engines
    assert isinstance(future.exception(timeout=0), EngineError)
