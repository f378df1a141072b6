"""The MongoDB store: records as documents on a shared server, queried natively."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from traitlets import Dict, List, Unicode

from ipcluster.hub.stores._base import RECORD_KEYS, Query, Record, StoreError, TaskStore
from ipcluster.hub.stores._query import COMPARISONS, check_keys, check_query, is_operators, project

if TYPE_CHECKING:
    import pymongo


def never_matches(query: Query) -> bool:
    """Whether the query orders against None: nothing matches that here, while MongoDB's
    ``{'$gte': None}`` would match null fields."""
    return any(
        is_operators(condition) and any(name in COMPARISONS and arg is None for name, arg in condition.items())
        for condition in query.values()
    )


class MongoDB(TaskStore):
    """One document per record, None stored as null so queries on None mean what they mean elsewhere."""

    connection_args: List[Any] = List(help="Positional arguments of pymongo.MongoClient: a mongodb:// URI.").tag(
        config=True
    )
    connection_kwargs = Dict(help="Keyword arguments of pymongo.MongoClient.").tag(config=True)
    database = Unicode("", help="The database; empty means one named after the session.").tag(config=True)
    collection = Unicode("task_records", help="The collection in that database.").tag(config=True)

    def __init__(self, session: str, profile_dir: Path, **kwargs: Any):
        super().__init__(session, profile_dir, **kwargs)
        try:
            import pymongo
        except ImportError as error:
            raise StoreError("MongoDB needs the pymongo package: pip install 'ipcluster-hub[mongodb]'") from error
        self._pymongo = pymongo
        options = {"serverSelectionTimeoutMS": 3000, **self.connection_kwargs}
        try:
            self._client: pymongo.MongoClient[Record] = pymongo.MongoClient(*self.connection_args, **options)
        except pymongo.errors.PyMongoError as error:
            raise StoreError(f"c.MongoDB.connection_args or connection_kwargs: {error}") from error
        try:
            self._client.admin.command("ping")
            self._records = self._client[self.database or session][self.collection]
            self._records.create_index("msg_id", unique=True)
            self._records.create_index("submitted")
        except pymongo.errors.PyMongoError as error:
            self._client.close()
            address = self._address()
            raise StoreError(f"cannot reach MongoDB at {address} (is mongod running there?): {error}") from error

    def _address(self) -> str:
        servers = self._client.topology_description.server_descriptions()
        return ", ".join(f"{host}:{port}" for host, port in servers) or "the address in c.MongoDB.connection_args"

    def add(self, records: Sequence[Record]) -> None:
        for record in records:
            check_keys(list(record))
        latest = {record["msg_id"]: record for record in records}  # unordered writes: one per msg_id
        if latest:
            replace = self._pymongo.ReplaceOne
            requests = [
                replace({"msg_id": msg_id}, {**dict.fromkeys(RECORD_KEYS), **record}, upsert=True)
                for msg_id, record in latest.items()
            ]
            self._records.bulk_write(requests, ordered=False)

    def update(self, changes: Mapping[str, Record]) -> None:
        for fields in changes.values():
            check_keys(list(fields))
        requests = [
            self._pymongo.UpdateOne({"msg_id": msg_id}, {"$set": dict(fields)})
            for msg_id, fields in changes.items()
            if fields
        ]
        if requests:
            self._records.bulk_write(requests, ordered=False)

    def find(self, query: Query, keys: Sequence[str] | None = None) -> list[Record]:
        check_query(query)
        check_keys(keys)
        if never_matches(query):
            return []
        wanted = list(RECORD_KEYS) if keys is None else ["msg_id", *keys]
        projection = {"_id": 0, **{key: 1 for key in wanted}}
        documents = self._records.find(dict(query), projection, sort=[("submitted", 1), ("_id", 1)])
        return [project({key: document.get(key) for key in wanted}, keys) for document in documents]

    def drop(self, query: Query) -> int:
        check_query(query)
        return 0 if never_matches(query) else self._records.delete_many(dict(query)).deleted_count

    def close(self) -> None:
        self._client.close()
