"""What every task-record store is: one record schema, one small interface.

A record is a flat dict with exactly the keys of `RECORD_KEYS`. Times are
seconds since the epoch (floats); `header`, `content`, `result_header` and
`result_content` are the raw protobuf bytes of the request and its reply;
`buffers` and `result_buffers` are lists of bytes (the pickled payloads, never
unpickled here). A field not known yet is None. Every backend stores and
returns the same values, so a record read back equals the record written.

The hub writes in batches (one per batch of scheduler events), so a backend
can turn a batch into one transaction, pipeline or bulk write.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from traitlets.config import LoggingConfigurable

Record = dict[str, Any]
Query = Mapping[str, Any]

# key -> the types its non-None values have
RECORD_KEYS: dict[str, tuple[type, ...]] = {
    "msg_id": (str,),
    "queue": (str,),  # "mux" (direct) or "task" (load-balanced)
    "client_uuid": (str,),  # the submitting client's session id
    "engine_uuid": (str,),
    "engine_id": (int,),
    "header": (bytes,),
    "content": (bytes,),
    "buffers": (list,),
    "submitted": (float,),
    "started": (float,),
    "completed": (float,),
    "status": (str,),  # "pending", "ok" or "error"
    "result_header": (bytes,),
    "result_content": (bytes,),
    "result_buffers": (list,),
    "stdout": (str,),
    "stderr": (str,),
    "error": (str,),  # "ename: evalue" of a failed task
    "resubmitted": (str,),  # the msg_id this task was resubmitted as
    # bytes of request or reply buffers left out of the record: over the controller's record_buffer_limit
    "buffers_omitted": (int,),
    "result_buffers_omitted": (int,),
}
BUFFER_KEYS = frozenset({"buffers", "result_buffers"})


class StoreError(Exception):
    """The store cannot be opened or used: a bad setting or an unreachable server."""


class QueryError(ValueError):
    """A query or key list the store cannot answer; the message names the problem."""


def new_record(msg_id: str, **fields: Any) -> Record:
    """A complete record: `fields` over None (and empty buffer lists) for the rest."""
    record: Record = {key: None for key in RECORD_KEYS}
    record.update(buffers=[], result_buffers=[], status="pending", msg_id=msg_id)
    record.update(fields)
    return record


def pack_buffers(buffers: Sequence[bytes | memoryview]) -> bytes:
    """Buffers as one blob, for stores without a list type: a count, the lengths, the data."""
    lengths = [len(memoryview(b).cast("B")) for b in buffers]
    return b"".join([struct.pack(f"<I{len(lengths)}Q", len(lengths), *lengths), *map(bytes, buffers)])


def unpack_buffers(blob: bytes) -> list[bytes]:
    (count,) = struct.unpack_from("<I", blob)
    lengths = struct.unpack_from(f"<{count}Q", blob, 4)
    offset = 4 + 8 * count
    buffers = []
    for length in lengths:
        buffers.append(bytes(blob[offset : offset + length]))
        offset += length
    return buffers


class TaskStore(LoggingConfigurable):
    """A backend. Subclasses are traitlets-configurable (``c.SQLiteDB.table = 'tasks'``).

    `session` is the hub's session id: backends name their default table,
    prefix or database after it, so each run starts empty unless a fixed name
    is configured. `profile_dir` is where file-based stores put relative paths.
    """

    keeps_records: ClassVar[bool] = True

    def __init__(self, session: str, profile_dir: Path, **kwargs: Any):
        super().__init__(**kwargs)
        self.session = session
        self.profile_dir = profile_dir

    def add(self, records: Sequence[Record]) -> None:
        """Insert new, complete records (a msg_id already stored is replaced)."""
        raise NotImplementedError

    def update(self, changes: Mapping[str, Record]) -> None:
        """Set fields of stored records: msg_id -> {key: value}. Unknown msg_ids are ignored."""
        raise NotImplementedError

    def find(self, query: Query, keys: Sequence[str] | None = None) -> list[Record]:
        """Records matching a MongoDB-style query, oldest submitted first.

        `keys` limits the fields returned (msg_id is always included); None
        returns whole records. Raises QueryError for what `check_query` refuses.
        """
        raise NotImplementedError

    def drop(self, query: Query) -> int:
        """Delete the records matching `query`; returns how many went."""
        raise NotImplementedError

    def close(self) -> None:
        """Release connections and files."""
