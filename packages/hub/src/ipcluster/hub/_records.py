"""Task events become task records: one batch of scheduler events, one write to the store.

The hub reads protobuf headers and replies here (times, output, errors) but
never unpickles: the payload frames are stored as the bytes they arrived as.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ipcluster.hub.stores import RECORD_KEYS, TaskStore, new_record
from ipcluster.hub.stores._base import BUFFER_KEYS, Record
from ipcluster.protocol import header_pb2, parse
from ipcluster.protocol import records_pb2 as rec
from ipcluster.protocol import work_pb2 as work

QUEUE_NAMES = {work.DIRECT: "mux", work.TASK: "task"}


class RecordBatch:
    """The records one batch of events creates and changes, merged so the store sees each once."""

    def __init__(self) -> None:
        self.new: dict[str, Record] = {}
        self.changes: dict[str, Record] = {}
        self.finished: list[str] = []

    def add(self, record: Record) -> None:
        self.new[record["msg_id"]] = record

    def change(self, msg_id: str, fields: Record) -> None:
        target = self.new.get(msg_id)
        if target is None:
            target = self.changes.setdefault(msg_id, {})
        target.update(fields)
        if fields.get("completed") is not None:
            self.finished.append(msg_id)

    def write(self, store: TaskStore) -> None:
        if self.new:
            store.add(list(self.new.values()))
        if self.changes:
            store.update(self.changes)


def submission(event: work.TaskEvent, header: header_pb2.Header, payload: Sequence, engine_id: int | None) -> Record:
    """The record of a task as its scheduler received it."""
    return new_record(
        header.msg_id,
        queue=QUEUE_NAMES.get(event.queue, "task"),
        client_uuid=header.session,
        engine_uuid=event.engine_uuid.decode() or None,
        engine_id=engine_id,
        header=event.header,
        content=bytes(payload[0]) if payload else None,
        buffers=[bytes(frame) for frame in payload[1:]],
        buffers_omitted=event.omitted_bytes or None,
        submitted=header.date,
    )


def result(event: work.TaskEvent, header: header_pb2.Header, payload: Sequence, engine_id: int | None) -> Record:
    """What a reply adds to its task's record."""
    fields: Record = {
        "status": "ok" if header.status == header_pb2.OK else "error",
        "completed": event.time,
        "result_header": event.header,
    }
    if engine_id is not None:  # else it has left since: the record keeps what it knew
        fields.update(engine_uuid=event.engine_uuid.decode(), engine_id=engine_id)
    if payload:
        content = bytes(payload[0])
        reply = parse(work.TaskReply, content)
        fields.update(
            result_content=content,
            result_buffers=[bytes(frame) for frame in payload[1:]],
            result_buffers_omitted=event.omitted_bytes or None,
            started=reply.started or None,
            completed=reply.completed or event.time,
            stdout=reply.stdout,
            stderr=reply.stderr,
            error=f"{reply.error.ename}: {reply.error.evalue}" if reply.HasField("error") else None,
        )
    return fields


def failure(ename: str, evalue: str, engine_id: int | None, when: float) -> Record:
    """What the hub records for a task that cannot finish: its engine died, or the controller restarted."""
    known_id = -1 if engine_id is None else engine_id
    reply = work.TaskReply(error=work.RemoteErrorInfo(ename=ename, evalue=evalue, engine_id=known_id),
                           engine_died=ename == "EngineError", engine_id=known_id)
    return {"status": "error", "completed": when, "error": f"{ename}: {evalue}",
            "result_content": reply.SerializeToString(), "result_buffers": []}


def to_wire(records: Sequence[Record]) -> tuple[list[rec.TaskRecord], list[Any]]:
    """Records as protobuf messages and the buffer frames that follow them, in RECORD_KEYS order."""
    messages, frames = [], []
    for record in records:
        message = rec.TaskRecord(msg_id=record["msg_id"])
        for key in RECORD_KEYS:
            value = record.get(key)
            if key == "msg_id" or value is None:
                continue
            if key in BUFFER_KEYS:
                setattr(message, key, len(value))
                frames.extend(value)
            else:
                setattr(message, key, value)
        messages.append(message)
    return messages, frames
