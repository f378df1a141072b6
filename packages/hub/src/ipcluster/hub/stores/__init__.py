"""Task-record stores: where the hub keeps what it knows of every task.

Five backends share one interface (`TaskStore`) and one record schema
(`RECORD_KEYS`); `open_store` picks one by class name, as ``ipcontroller
--sqlitedb`` and ``c.HubFactory.db_class`` do.
"""

from __future__ import annotations

from pathlib import Path

from traitlets.config import Config

from ipcluster.hub.stores._base import RECORD_KEYS, QueryError, StoreError, TaskStore, new_record
from ipcluster.hub.stores.dictdb import DictDB
from ipcluster.hub.stores.mongodb import MongoDB
from ipcluster.hub.stores.nodb import NoDB
from ipcluster.hub.stores.redisdb import RedisDB
from ipcluster.hub.stores.sqlitedb import SQLiteDB

BACKENDS: dict[str, type[TaskStore]] = {cls.__name__: cls for cls in (DictDB, SQLiteDB, RedisDB, MongoDB, NoDB)}

__all__ = [
    "BACKENDS",
    "RECORD_KEYS",
    "DictDB",
    "MongoDB",
    "NoDB",
    "QueryError",
    "RedisDB",
    "SQLiteDB",
    "StoreError",
    "TaskStore",
    "new_record",
    "open_store",
]


def open_store(name: str, session: str, profile_dir: Path, config: Config | None = None) -> TaskStore:
    """The backend `name` opened for this session; a misspelt setting is an error, not silently ignored."""
    if name not in BACKENDS:
        raise StoreError(f"unknown task store {name!r}: choose one of {', '.join(BACKENDS)}")
    cls = BACKENDS[name]
    known = cls.class_trait_names(config=True)
    for key in (config or Config()).get(name, {}):
        if key not in known:
            has = f"{name} has {', '.join(known)}" if known else f"{name} has no settings"
            raise StoreError(f"unknown setting c.{name}.{key}: {has}")
    return cls(session, profile_dir, config=config)
