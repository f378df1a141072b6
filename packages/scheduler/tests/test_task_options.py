"""Load-balanced tasks that ask for more: retries, dependencies, targets, time-outs, aborts."""

import pytest
import zmq
from test_routing import KEY, MT, Wiring, make_scheduler

from ipcluster.protocol import Message, Session, header_pb2, work_pb2


@pytest.fixture
def wiring():
    wiring = Wiring()
    yield wiring
    wiring.close()


def submit(wiring, scheduler, **options) -> str:
    header = wiring.session.header(MT.APPLY_REQUEST)
    if options:
        header.task.CopyFrom(header_pb2.TaskOptions(**options))
    wiring.session.send(wiring.client, header, work_pb2.ApplyRequest())
    wiring.pump(wiring.client_side, scheduler.from_client)
    return header.msg_id


def connect(wiring, scheduler, uuid: bytes, engine_id: int) -> zmq.Socket:
    engine = wiring.engine(uuid)
    scheduler.engine_registered(uuid, engine_id)
    wiring.hello(engine)
    wiring.pump(wiring.engine_side, scheduler.from_engine)
    return engine


def answer(wiring, scheduler, engine: zmq.Socket, ename: str = "") -> str:
    """The engine answers the task it was sent (with an error named `ename`, if given); returns its msg_id."""
    assert engine.poll(2000), "the engine got no task"
    session = Session(KEY)
    msg = session.unpack(engine.recv_multipart(copy=False))
    reply = work_pb2.TaskReply()
    if ename:
        reply.error.CopyFrom(work_pb2.RemoteErrorInfo(ename=ename, evalue="it failed"))
    header = session.header(MT.APPLY_REPLY, parent_id=msg.header.msg_id,
                            status=header_pb2.ERROR if ename else header_pb2.OK)
    session.send(engine, header, reply, idents=msg.idents)
    wiring.pump(wiring.engine_side, scheduler.from_engine)
    return msg.header.msg_id


def client_reply(wiring) -> Message:
    assert wiring.client.poll(2000), "the client got no reply"
    return wiring.session.unpack(wiring.client.recv_multipart(copy=False))


def error_of(reply: Message) -> str:
    return reply.content(work_pb2.TaskReply).error.ename


def after(*msg_ids: str, success=True, failure=False) -> header_pb2.Dependency:
    return header_pb2.Dependency(msg_ids=msg_ids, all=True, success=success, failure=failure)


def test_a_failed_task_is_rerun_on_another_engine(wiring):
    """With retries=1 the first failure stays in the scheduler and the task runs again elsewhere."""
    scheduler = make_scheduler(wiring, [])
    first, second = connect(wiring, scheduler, b"e0", 0), connect(wiring, scheduler, b"e1", 1)
    msg_id = submit(wiring, scheduler, retries=1)
    assert msg_id == answer(wiring, scheduler, first, "ValueError")
    assert not wiring.client.poll(50), "the failure the task is retried after is not the client's answer"
    assert msg_id == answer(wiring, scheduler, second)
    reply = client_reply(wiring)
    assert (msg_id, header_pb2.OK) == (reply.header.parent_id, reply.header.status)


def test_without_retries_the_failure_is_the_answer(wiring):
    """retries=0: the engine's error goes to the client as it is."""
    scheduler = make_scheduler(wiring, [])
    engine = connect(wiring, scheduler, b"e0", 0)
    submit(wiring, scheduler)
    answer(wiring, scheduler, engine, "ValueError")
    assert "ValueError" == error_of(client_reply(wiring))


def test_a_single_engine_runs_the_retry_itself(wiring):
    """With no other engine, the retry runs on the one that failed."""
    scheduler = make_scheduler(wiring, [])
    engine = connect(wiring, scheduler, b"e0", 0)
    msg_id = submit(wiring, scheduler, retries=1)
    answer(wiring, scheduler, engine, "ValueError")
    assert msg_id == answer(wiring, scheduler, engine)
    assert header_pb2.OK == client_reply(wiring).header.status


def test_after_waits_for_the_dependency_then_runs(wiring):
    """A task with after=[A] is held while A runs, even with an idle engine, and sent once A succeeds."""
    scheduler = make_scheduler(wiring, [])
    first, second = connect(wiring, scheduler, b"e0", 0), connect(wiring, scheduler, b"e1", 1)
    a = submit(wiring, scheduler)
    b = submit(wiring, scheduler, after=after(a))
    assert not second.poll(50), "b must wait for a"
    assert a == answer(wiring, scheduler, first)
    assert a == client_reply(wiring).header.parent_id
    assert b == answer(wiring, scheduler, first if first.poll(1000) else second)


def test_after_a_failed_dependency_is_impossible(wiring):
    """after=[A] (success only) fails with ImpossibleDependency when A fails."""
    scheduler = make_scheduler(wiring, [])
    engine = connect(wiring, scheduler, b"e0", 0)
    a = submit(wiring, scheduler)
    b = submit(wiring, scheduler, after=after(a))
    answer(wiring, scheduler, engine, "ValueError")
    replies = {reply.header.parent_id: error_of(reply) for reply in (client_reply(wiring), client_reply(wiring))}
    assert {a: "ValueError", b: "ImpossibleDependency"} == replies


def test_after_may_accept_failure(wiring):
    """after=[A] with failure=True runs when A fails."""
    scheduler = make_scheduler(wiring, [])
    engine = connect(wiring, scheduler, b"e0", 0)
    a = submit(wiring, scheduler)
    b = submit(wiring, scheduler, after=after(a, success=False, failure=True))
    answer(wiring, scheduler, engine, "ValueError")
    assert b == answer(wiring, scheduler, engine)


def test_unknown_dependency_is_invalid(wiring):
    """A dependency on a msg_id this scheduler never saw fails at once with InvalidDependency."""
    scheduler = make_scheduler(wiring, [])
    submit(wiring, scheduler, after=after("nosuch-1"))
    reply = client_reply(wiring)
    assert "InvalidDependency" == error_of(reply)
    assert "nosuch-1" in reply.content(work_pb2.TaskReply).error.evalue


def test_follow_runs_where_the_dependency_ran(wiring):
    """follow=[A] sends the task to the engine that ran A, though another is idle."""
    scheduler = make_scheduler(wiring, [])
    first, second = connect(wiring, scheduler, b"e0", 0), connect(wiring, scheduler, b"e1", 1)
    a = submit(wiring, scheduler, targets=[1])
    assert a == answer(wiring, scheduler, second)
    client_reply(wiring)
    b = submit(wiring, scheduler, follow=after(a))
    assert not first.poll(50)
    assert b == answer(wiring, scheduler, second)


def test_targets_restrict_and_unregistered_targets_are_impossible(wiring):
    """targets=[1] runs only on engine 1; targets=[7] with no engine 7 fails ImpossibleDependency."""
    scheduler = make_scheduler(wiring, [])
    first, second = connect(wiring, scheduler, b"e0", 0), connect(wiring, scheduler, b"e1", 1)
    msg_id = submit(wiring, scheduler, targets=[1])
    assert not first.poll(50)
    assert msg_id == answer(wiring, scheduler, second)
    client_reply(wiring)
    submit(wiring, scheduler, targets=[7])
    assert "ImpossibleDependency" == error_of(client_reply(wiring))


def test_timeout_fails_a_task_still_waiting(wiring):
    """A task that found no engine within its timeout fails with TaskTimeout."""
    timers: list = []
    scheduler = make_scheduler(wiring, [], timers=timers)
    msg_id = submit(wiring, scheduler, timeout=5)
    assert 1 == len(timers)
    timers[0]()
    reply = client_reply(wiring)
    assert (msg_id, "TaskTimeout") == (reply.header.parent_id, error_of(reply))
    assert 0 == len([task for task in scheduler.queue if not task.done])


def test_timeout_does_not_touch_a_running_task(wiring):
    """timeout bounds the wait for an engine; a task already running is left alone."""
    timers: list = []
    scheduler = make_scheduler(wiring, [], timers=timers)
    engine = connect(wiring, scheduler, b"e0", 0)
    submit(wiring, scheduler, timeout=5)
    timers[0]()
    assert not wiring.client.poll(50)
    answer(wiring, scheduler, engine)
    assert header_pb2.OK == client_reply(wiring).header.status


def test_abort_answers_queued_tasks_and_asks_engines_for_the_others(wiring):
    """Aborting a queued task answers it with TaskAborted; a task an engine holds is aborted there."""
    aborts: list = []
    scheduler = make_scheduler(wiring, [], aborts=aborts)
    connect(wiring, scheduler, b"e0", 0)
    running, queued = submit(wiring, scheduler), submit(wiring, scheduler)
    request = work_pb2.ControlRequest(action=work_pb2.ControlRequest.ABORT, msg_ids=[running, queued])
    wiring.session.send(wiring.client, wiring.session.header(MT.CONTROL_REQUEST), request)
    wiring.pump(wiring.client_side, scheduler.from_client)
    aborted = client_reply(wiring)
    assert (queued, "TaskAborted") == (aborted.header.parent_id, error_of(aborted))
    assert MT.CONTROL_REPLY == client_reply(wiring).header.msg_type
    assert [(b"e0", [running])] == aborts


def test_an_engine_that_cannot_run_a_task_is_skipped_without_a_retry(wiring):
    """UnmetDependency moves the task to another engine for free; when no engine can, it is impossible."""
    scheduler = make_scheduler(wiring, [])
    first, second = connect(wiring, scheduler, b"e0", 0), connect(wiring, scheduler, b"e1", 1)
    msg_id = submit(wiring, scheduler)
    answer(wiring, scheduler, first, "UnmetDependency")
    assert msg_id == answer(wiring, scheduler, second, "UnmetDependency")
    assert "ImpossibleDependency" == error_of(client_reply(wiring))


def test_a_task_of_a_dead_engine_is_rerun_when_it_has_retries(wiring):
    """An engine's death counts as a failure: with retries left the task runs elsewhere."""
    scheduler = make_scheduler(wiring, [])
    connect(wiring, scheduler, b"e0", 0)
    msg_id = submit(wiring, scheduler, retries=1)
    survivor = connect(wiring, scheduler, b"e1", 1)
    scheduler.engine_unregistered(b"e0")
    assert msg_id == answer(wiring, scheduler, survivor)
    assert header_pb2.OK == client_reply(wiring).header.status


def test_a_long_chain_of_impossible_dependencies_fails_without_recursion(wiring):
    """1,000 tasks each after the one before: when the first fails, every one fails ImpossibleDependency."""
    scheduler = make_scheduler(wiring, [])
    engine = connect(wiring, scheduler, b"e0", 0)
    previous = submit(wiring, scheduler)
    for _ in range(1000):
        previous = submit(wiring, scheduler, after=after(previous))
    answer(wiring, scheduler, engine, "ValueError")
    errors = [error_of(client_reply(wiring)) for _ in range(1001)]
    assert ["ValueError"] + ["ImpossibleDependency"] * 1000 == errors


def test_retries_stay_within_the_targets(wiring):
    """targets=[0] with retries=1 re-runs the failed task on engine 0, though engine 1 is free."""
    scheduler = make_scheduler(wiring, [])
    first, second = connect(wiring, scheduler, b"e0", 0), connect(wiring, scheduler, b"e1", 1)
    msg_id = submit(wiring, scheduler, targets=[0], retries=1)
    answer(wiring, scheduler, first, "ValueError")
    assert not second.poll(50)
    assert msg_id == answer(wiring, scheduler, first)
    assert header_pb2.OK == client_reply(wiring).header.status


def test_an_aborted_task_held_by_an_engine_is_not_rerun(wiring):
    """After an abort reached the engine holding it, a failure of that task is final, retries or not."""
    scheduler = make_scheduler(wiring, [])
    first, second = connect(wiring, scheduler, b"e0", 0), connect(wiring, scheduler, b"e1", 1)
    msg_id = submit(wiring, scheduler, retries=3)
    request = work_pb2.ControlRequest(action=work_pb2.ControlRequest.ABORT, msg_ids=[msg_id])
    wiring.session.send(wiring.client, wiring.session.header(MT.CONTROL_REQUEST), request)
    wiring.pump(wiring.client_side, scheduler.from_client)
    assert MT.CONTROL_REPLY == client_reply(wiring).header.msg_type
    answer(wiring, scheduler, first, "ValueError")
    assert "ValueError" == error_of(client_reply(wiring))
    assert not second.poll(50)


def test_a_reply_from_an_engine_given_up_on_is_dropped(wiring):
    """Once a dead engine's task was re-run elsewhere, its late reply does not reach the client twice."""
    scheduler = make_scheduler(wiring, [])
    doomed = connect(wiring, scheduler, b"e0", 0)
    msg_id = submit(wiring, scheduler, retries=1)
    survivor = connect(wiring, scheduler, b"e1", 1)
    scheduler.engine_unregistered(b"e0")
    answer(wiring, scheduler, doomed)  # too late: the scheduler gave up on e0
    assert msg_id == answer(wiring, scheduler, survivor)
    assert msg_id == client_reply(wiring).header.parent_id
    assert not wiring.client.poll(50)
