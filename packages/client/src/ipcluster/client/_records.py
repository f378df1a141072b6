"""What the hub remembers of tasks: db_query, hub_history, result_status, get_result, resubmit, purge_results.

Times travel as seconds since the epoch and come back as UTC datetimes;
datetimes in a query are turned into seconds on the way out. Headers come
back as dicts; contents and buffers as the bytes the hub stored.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ipcluster.client._asyncresult import AsyncResult, TaskFuture, moment, msg_ids_of
from ipcluster.client._errors import HubError
from ipcluster.client._inbox import with_result_buffers
from ipcluster.protocol import header_pb2, parse
from ipcluster.protocol import records_pb2 as rec
from ipcluster.protocol import work_pb2 as work

if TYPE_CHECKING:
    from ipcluster.client._inbox import Inbox
    from ipcluster.protocol import Message, Session

MT = header_pb2.MsgType
RECORD_FIELDS = [field.name for field in rec.TaskRecord.DESCRIPTOR.fields]
BUFFER_FIELDS = ("buffers", "result_buffers")
TIME_FIELDS = ("submitted", "started", "completed")
HEADER_FIELDS = ("header", "result_header")
# what a stored request's header names -> (its type, its content's class), for resubmit
REQUESTS: dict[str, tuple[Any, type]] = {
    "APPLY_REQUEST": (MT.APPLY_REQUEST, work.ApplyRequest),
    "EXECUTE_REQUEST": (MT.EXECUTE_REQUEST, work.ExecuteRequest),
}
Jobs = str | AsyncResult | Sequence[str | AsyncResult]
RECORD_GRACE = 2.0  # seconds a msg_id unknown to the hub is asked for again
RECORD_POLL = 0.02


def header_dict(data: bytes) -> dict[str, Any]:
    header = parse(header_pb2.Header, data)
    return {
        "msg_id": header.msg_id, "msg_type": MT.Name(header.msg_type), "session": header.session,
        "parent_id": header.parent_id, "engine_id": header.engine_id,
        "date": datetime.fromtimestamp(header.date, UTC), "status": header_pb2.ReplyStatus.Name(header.status),
        "resubmit_of": header.resubmit_of,
    }


def records_from(messages: Sequence[rec.TaskRecord], frames: Sequence, keys: Sequence[str] | None) -> list[dict]:
    """Wire records as dicts: asked-for keys the hub did not send are None."""
    wanted = keys or RECORD_FIELDS
    frames = list(frames)
    records = []
    for message in messages:
        record: dict[str, Any] = {"msg_id": message.msg_id}
        for field in RECORD_FIELDS[1:]:
            present = message.HasField(field)
            value: Any = getattr(message, field) if present else None
            if field in BUFFER_FIELDS:
                count = value or 0
                value, frames = [bytes(f) for f in frames[:count]], frames[count:]
                value = value if present else None
            elif present and field in TIME_FIELDS:
                value = datetime.fromtimestamp(value, UTC)
            elif present and field in HEADER_FIELDS:
                value = header_dict(value)
            if field in wanted:
                record[field] = value
        records.append(record)
    return records


def _seconds(value: Any) -> Any:
    """A query with its datetimes as seconds since the epoch, the hub's unit of time."""
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {key: _seconds(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_seconds(item) for item in value]
    return value


class RecordQueries:
    """The Client's methods about the hub's task records (a mixin of `Client`)."""

    if TYPE_CHECKING:  # what Client provides
        session: Session
        _inbox: Inbox

        @property
        def ids(self) -> list[int]: ...

        def _hub_request(self, msg_type: MT, content: Any) -> Message: ...

        def send(self, channel: str, header: header_pb2.Header, content: Any, buffers: list,
                 engine_id: int | None = None) -> TaskFuture: ...

    def db_query(self, query: dict, keys: Sequence[str] | None = None) -> list[dict]:
        """Records matching a MongoDB-style query (``{'completed': {'$ne': None}}``), oldest first."""
        try:
            query_json = json.dumps(_seconds(query))
        except TypeError as exc:
            raise TypeError(f"a query holds strings, numbers, None, datetimes, lists and dicts: {exc}") from None
        request = rec.DbQueryRequest(query_json=query_json, keys=list(keys or []))
        reply = self._hub_request(MT.DB_QUERY_REQUEST, request)
        return records_from(reply.content(rec.DbQueryReply).records, reply.buffers, keys)

    def hub_history(self) -> list[str]:
        """Every msg_id the hub has a record of, oldest submitted first."""
        return list(self._hub_request(MT.HISTORY_REQUEST, rec.HistoryRequest()).content(rec.HistoryReply).msg_ids)

    def result_status(self, msg_ids: Jobs, status_only: bool = True) -> dict[str, Any]:
        """``{'pending': [...], 'completed': [...]}``, plus each completed result (or its error) by msg_id."""
        finished, pending = self._ask_results(msg_ids_of(msg_ids), watch=False)
        status: dict[str, Any] = {"pending": pending, "completed": [future.msg_id for future in finished]}
        if not status_only:
            for future in finished:
                status[future.msg_id] = future.exception() or future.result()
        return status

    def _ask_results(self, msg_ids: list[str], watch: bool) -> tuple[list[TaskFuture], list[str]]:
        """The hub's finished results (as settled futures) and pending msg_ids.

        The hub hears of tasks in batches (every 10 ms), so a msg_id it does not
        know yet is asked again for up to RECORD_GRACE seconds before it is an error.
        """
        finished: list[TaskFuture] = []
        pending: list[str] = []
        deadline = time.monotonic() + RECORD_GRACE
        while msg_ids:
            reply = self._hub_request(MT.RESULT_REQUEST, rec.ResultRequest(msg_ids=msg_ids, watch=watch))
            content = reply.content(rec.ResultReply)
            finished += self._stored_futures(content.finished, reply.buffers)
            pending += content.pending
            msg_ids = list(content.unknown)
            if msg_ids and time.monotonic() > deadline:
                raise HubError(f"no record of task {', '.join(msg_ids[:5])}{' ...' if len(msg_ids) > 5 else ''}: "
                               "purged, evicted, or never submitted to this controller")
            if msg_ids:
                time.sleep(RECORD_POLL)
        return finished, pending

    def get_result(self, indices_or_msg_ids: Jobs, block: bool = False,
                   timeout: float | None = None) -> AsyncResult:
        """The result of tasks by msg_id, this client's or another's, finished or still running.

        Tasks still running resolve when they finish: the hub tells this client.
        """
        ids = msg_ids_of(indices_or_msg_ids)
        futures = {msg_id: self._inbox.pending[msg_id] for msg_id in ids if msg_id in self._inbox.pending}
        asked = [msg_id for msg_id in dict.fromkeys(ids) if msg_id not in futures]
        for msg_id in asked:  # expected before asking, so a result the hub sends at once finds its future
            futures[msg_id] = TaskFuture(msg_id)
            self._inbox.expect(futures[msg_id])
        try:
            finished, _ = self._ask_results(asked, watch=True)
        except BaseException:
            for msg_id in asked:
                self._inbox.forget(msg_id)
            raise
        for future in finished:
            self._inbox.forget(future.msg_id)
            futures[future.msg_id] = future
        result = AsyncResult([futures[msg_id] for msg_id in ids], single=isinstance(indices_or_msg_ids, str),
                             label="get_result")
        if block:
            result.wait(timeout)
        return result

    def _stored_futures(self, finished: Sequence[rec.TaskRecord], frames: list) -> list[TaskFuture]:
        """Futures settled with the finished results a RESULT_REPLY carries."""
        futures = []
        for message, buffers in with_result_buffers(finished, frames):
            future = TaskFuture(message.msg_id, message.engine_uuid)
            future.metadata["submitted"] = moment(message.submitted)
            self._inbox.settle_stored(future, message, buffers)
            futures.append(future)
        return futures

    def resubmit(self, indices_or_msg_ids: Jobs, block: bool = False) -> AsyncResult:
        """Run finished tasks again, from the requests the hub stored, on whichever engines have room.

        The new tasks get new msg_ids; each old record's ``resubmitted`` names its new one.
        """
        ids = msg_ids_of(indices_or_msg_ids)
        found = {r["msg_id"]: r for r in self.db_query({"msg_id": {"$in": ids}},
                                                      ["header", "content", "buffers", "buffers_omitted", "status"])}
        missing = [msg_id for msg_id in ids if msg_id not in found]
        if missing:
            raise HubError(f"cannot resubmit {', '.join(missing)}: the hub has no record of it")
        pending = [msg_id for msg_id in ids if found[msg_id]["status"] == "pending"]
        if pending:
            raise HubError(f"cannot resubmit {', '.join(pending)}: still pending; wait for it first")
        unrecorded = [msg_id for msg_id in ids if found[msg_id]["buffers_omitted"]]
        if unrecorded:
            raise HubError(f"cannot resubmit {', '.join(unrecorded)}: its buffers were over the controller's "
                           "c.HubFactory.record_buffer_limit, so the hub did not keep them")
        futures = []
        for msg_id in ids:
            record = found[msg_id]
            msg_type, content_class = REQUESTS[record["header"]["msg_type"]]
            header = self.session.header(msg_type)
            content: Any = parse(content_class, record["content"])
            header.resubmit_of = msg_id
            futures.append(self.send("task", header, content, record["buffers"]))
        result = AsyncResult(futures, single=isinstance(indices_or_msg_ids, str), label="resubmit")
        if block:
            result.wait()
        return result

    def purge_results(self, jobs: Jobs | None = None, targets: int | Sequence[int] | str | None = None) -> int:
        """Drop finished records from the hub: `jobs` (msg_ids, AsyncResults or 'all') or those of `targets`.

        Pending tasks are never dropped: naming one is an error. Returns how many records went.
        """
        if not jobs and targets is None:
            raise ValueError("purge_results needs jobs (msg_ids, AsyncResults or 'all') or targets")
        if jobs == "all":
            request = rec.PurgeRequest(all=True)
        elif jobs:
            request = rec.PurgeRequest(msg_ids=msg_ids_of(jobs))
        else:  # engines that left have records too: ids are taken as given
            ids: list[int] = (self.ids if targets == "all" else [targets] if isinstance(targets, int)
                              else [int(t) for t in targets or []])
            request = rec.PurgeRequest(targets=ids)
        return self._hub_request(MT.PURGE_REQUEST, request).content(rec.PurgeReply).purged

    purge_hub_results = purge_results

    def purge_everything(self) -> int:
        """Drop every finished record from the hub."""
        return self.purge_results("all")
