"""The store that keeps nothing, for controllers whose users never look tasks up."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ipcluster.hub.stores._base import Query, Record, StoreError, TaskStore

NO_RECORDS = (
    "this controller keeps no task records (it runs with NoDB, --nodb): "
    "start ipcontroller with --dictdb, --sqlitedb, --redisdb or --mongodb to keep them"
)


class NoDB(TaskStore):
    """Writes cost nothing and are forgotten; lookups say why they cannot be answered."""

    keeps_records = False

    def add(self, records: Sequence[Record]) -> None:
        """Nothing is kept: that is this store's purpose."""

    def update(self, changes: Mapping[str, Record]) -> None:
        """Nothing is kept: that is this store's purpose."""

    def find(self, query: Query, keys: Sequence[str] | None = None) -> list[Record]:
        raise StoreError(NO_RECORDS)

    def drop(self, query: Query) -> int:
        raise StoreError(NO_RECORDS)
