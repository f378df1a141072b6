"""The SQLite store: records in one table of a local file, kept across controller restarts."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from traitlets import Unicode

from ipcluster.hub.stores._base import (
    BUFFER_KEYS,
    RECORD_KEYS,
    Query,
    Record,
    StoreError,
    TaskStore,
    pack_buffers,
    unpack_buffers,
)
from ipcluster.hub.stores._query import check_keys, check_query, is_operators, project

SQL_TYPES = {str: "TEXT", int: "INTEGER", float: "REAL", bytes: "BLOB", list: "BLOB"}
COMPARISONS = {"$lt": "<", "$lte": "<=", "$gt": ">", "$gte": ">="}
COLUMNS = ", ".join(RECORD_KEYS)
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _comparable(key: str, value: Any) -> bool:
    """Whether SQLite compares `value` with `key`'s column as Python does: column affinity
    would otherwise turn '1' into 1 for a number column, and 1 into '1' for a text one."""
    kinds = RECORD_KEYS[key]
    if int in kinds or float in kinds:
        return isinstance(value, int | float)
    return isinstance(value, kinds)


def _condition(key: str, name: str, argument: Any, params: list[Any]) -> str:
    """One checked condition as SQL with the semantics of `matches` (None equals only None, orders against nothing)."""
    if name in ("$in", "$nin"):
        values = [value for value in argument if value is not None and _comparable(key, value)]
        params += values
        inside = f"{key} IN ({', '.join('?' * len(values))})" if values else "0"
        if name == "$in":
            return f"({inside} OR {key} IS NULL)" if None in argument else f"({inside})"
        if None in argument:
            return f"({key} IS NOT NULL AND NOT {inside})"
        return f"({key} IS NULL OR NOT {inside})"
    if argument is None:
        return {"$eq": f"{key} IS NULL", "$ne": f"{key} IS NOT NULL"}.get(name, "0")
    if not _comparable(key, argument):
        return "1" if name == "$ne" else "0"
    params.append(argument)
    if name == "$ne":
        return f"({key} IS NULL OR {key} != ?)"
    return f"{key} {COMPARISONS.get(name, '=')} ?"


def where(query: Query) -> tuple[str, list[Any]]:
    """A checked query as a parameterised WHERE clause; column names come from RECORD_KEYS only."""
    clauses: list[str] = []
    params: list[Any] = []
    for key, condition in query.items():
        for name, argument in (condition if is_operators(condition) else {"$eq": condition}).items():
            clauses.append(_condition(key, name, argument, params))
    return " AND ".join(clauses) or "1", params


def _to_sql(key: str, value: Any) -> Any:
    return pack_buffers(value) if key in BUFFER_KEYS and value is not None else value


def _from_sql(key: str, value: Any) -> Any:
    return unpack_buffers(value) if key in BUFFER_KEYS and value is not None else value


class SQLiteDB(TaskStore):
    """Records as rows, one column per record key; buffers packed into one BLOB per list."""

    filename = Unicode("tasks.db", help="The database file, in `location`.").tag(config=True)
    location = Unicode("", help="The folder of the database file; empty means the profile folder.").tag(config=True)
    table = Unicode(
        "", help="The table; empty means one named after the session, so each controller run starts empty."
    ).tag(config=True)

    def __init__(self, session: str, profile_dir: Path, **kwargs: Any):
        super().__init__(session, profile_dir, **kwargs)
        self._table = self.table or "ipcluster_" + re.sub(r"[^A-Za-z0-9]", "", session)
        if not IDENTIFIER.fullmatch(self._table):
            raise StoreError(
                f"c.SQLiteDB.table = {self.table!r} is not an SQL table name: use letters, digits and _,"
                " not starting with a digit"
            )
        self.path = Path(self.location or profile_dir) / self.filename
        columns = ", ".join(f"{key} {SQL_TYPES[kinds[0]]}" for key, kinds in RECORD_KEYS.items())
        try:
            # opened by whoever builds the hub, used by the thread that runs its loop: one at a time, never both
            self._db = sqlite3.connect(self.path, check_same_thread=False)
        except sqlite3.Error as error:
            raise StoreError(f"cannot open the task database {self.path}: {error}") from error
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            with self._db:
                self._db.execute(f"CREATE TABLE IF NOT EXISTS {self._table} ({columns}, PRIMARY KEY (msg_id))")
                self._db.execute(f"CREATE INDEX IF NOT EXISTS {self._table}_submitted ON {self._table} (submitted)")
        except sqlite3.Error as error:
            self._db.close()
            raise StoreError(f"cannot use the task database {self.path}: {error}") from error

    def add(self, records: Sequence[Record]) -> None:
        for record in records:
            check_keys(list(record))
        insert = f"INSERT OR REPLACE INTO {self._table} ({COLUMNS}) VALUES ({', '.join('?' * len(RECORD_KEYS))})"
        rows = [[_to_sql(key, record.get(key)) for key in RECORD_KEYS] for record in records]
        with self._db:
            self._db.executemany(insert, rows)

    def update(self, changes: Mapping[str, Record]) -> None:
        for fields in changes.values():
            check_keys(list(fields))
        with self._db:
            for msg_id, fields in changes.items():
                if fields:
                    assignments = ", ".join(f"{key} = ?" for key in fields)
                    values = [_to_sql(key, value) for key, value in fields.items()]
                    self._db.execute(f"UPDATE {self._table} SET {assignments} WHERE msg_id = ?", [*values, msg_id])

    def find(self, query: Query, keys: Sequence[str] | None = None) -> list[Record]:
        check_query(query)
        check_keys(keys)
        columns = list(RECORD_KEYS) if keys is None else list(dict.fromkeys(["msg_id", *keys]))
        clause, params = where(query)
        rows = self._db.execute(
            f"SELECT {', '.join(columns)} FROM {self._table} WHERE {clause} ORDER BY submitted, rowid", params
        )
        records = ({key: _from_sql(key, value) for key, value in zip(columns, row, strict=True)} for row in rows)
        return [project(record, keys) for record in records]

    def drop(self, query: Query) -> int:
        check_query(query)
        clause, params = where(query)
        with self._db:
            return self._db.execute(f"DELETE FROM {self._table} WHERE {clause}", params).rowcount

    def close(self) -> None:
        self._db.close()
