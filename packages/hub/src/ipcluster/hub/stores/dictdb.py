"""The in-memory store: fast, bounded, and gone when the controller stops."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from traitlets import Float, Integer

from ipcluster.hub.stores._base import BUFFER_KEYS, RECORD_KEYS, Query, Record, TaskStore
from ipcluster.hub.stores._query import check_keys, check_query, matches, named_ids, project

BYTES_KEYS = ("header", "content", "result_header", "result_content")


def record_size(record: Record) -> int:
    """What a record weighs against `size_limit`: its bytes fields and buffers."""
    size = sum(len(record.get(key) or b"") for key in BYTES_KEYS)
    return size + sum(len(buffer) for key in BUFFER_KEYS for buffer in record.get(key) or ())


def _copy(record: Record) -> Record:
    """A copy whose buffer lists are not shared with the caller's."""
    return {key: list(value) if key in BUFFER_KEYS and value is not None else value for key, value in record.items()}


class DictDB(TaskStore):
    """Records in a dict, the oldest finished ones evicted past either limit.

    Pending records are never evicted: the hub needs them to answer queue
    status. Eviction goes down to (1 - cull_fraction) of the limit, so it
    happens once every many inserts rather than on each.
    """

    record_limit = Integer(10000, help="Most records kept before the oldest finished ones go.").tag(config=True)
    size_limit = Integer(1024**3, help="Most bytes of contents and buffers kept, in bytes.").tag(config=True)
    cull_fraction = Float(0.1, help="Share of a limit freed at each eviction.").tag(config=True)

    def __init__(self, session: str, profile_dir: Path, **kwargs: Any):
        super().__init__(session, profile_dir, **kwargs)
        self._records: dict[str, Record] = {}
        self._sizes: dict[str, int] = {}
        self._finished: OrderedDict[str, None] = OrderedDict()  # finished msg_ids, oldest first
        self._bytes = 0

    def statistics(self) -> dict[str, int]:
        return {"records": len(self._records), "bytes": self._bytes}

    def add(self, records: Sequence[Record]) -> None:
        for record in records:
            check_keys(list(record))
        for record in records:
            self._forget(record["msg_id"])
            self._keep(_copy({**dict.fromkeys(RECORD_KEYS), **record}))
        self._cull()

    def update(self, changes: Mapping[str, Record]) -> None:
        for fields in changes.values():
            check_keys(list(fields))
        for msg_id, fields in changes.items():
            record = self._records.get(msg_id)
            if record is None:
                continue
            self._bytes -= self._sizes[msg_id]
            record.update(_copy(fields))
            self._sizes[msg_id] = size = record_size(record)
            self._bytes += size
            if record.get("status") == "pending":
                self._finished.pop(msg_id, None)
            elif msg_id not in self._finished:
                self._finished[msg_id] = None
        self._cull()

    def find(self, query: Query, keys: Sequence[str] | None = None) -> list[Record]:
        check_query(query)
        check_keys(keys)
        named = named_ids(query)
        candidates = self._records.values() if named is None else filter(None, map(self._records.get, named))
        found = [record for record in candidates if matches(record, query)]
        found.sort(key=lambda record: (record["submitted"] is not None, record["submitted"] or 0.0))
        return [_copy(project(record, keys)) for record in found]

    def drop(self, query: Query) -> int:
        check_query(query)
        doomed = [msg_id for msg_id, record in self._records.items() if matches(record, query)]
        for msg_id in doomed:
            self._forget(msg_id)
        return len(doomed)

    def _keep(self, record: Record) -> None:
        msg_id = record["msg_id"]
        self._records[msg_id] = record
        self._sizes[msg_id] = size = record_size(record)
        self._bytes += size
        if record.get("status") != "pending":
            self._finished[msg_id] = None

    def _forget(self, msg_id: str) -> None:
        if self._records.pop(msg_id, None) is not None:
            self._bytes -= self._sizes.pop(msg_id)
            self._finished.pop(msg_id, None)

    def _cull(self) -> None:
        if len(self._records) <= self.record_limit and self._bytes <= self.size_limit:
            return
        keep_records = int(self.record_limit * (1 - self.cull_fraction))
        keep_bytes = int(self.size_limit * (1 - self.cull_fraction))
        while self._finished and (len(self._records) > keep_records or self._bytes > keep_bytes):
            self._forget(next(iter(self._finished)))
