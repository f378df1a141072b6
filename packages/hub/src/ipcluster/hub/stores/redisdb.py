"""The Redis store: records on a shared server, optionally expiring once finished."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from traitlets import Float, Unicode

from ipcluster.hub.stores._base import RECORD_KEYS, Query, Record, StoreError, TaskStore, pack_buffers, unpack_buffers
from ipcluster.hub.stores._query import check_keys, check_query, matches, named_ids, project

if TYPE_CHECKING:
    import redis

# Sets fields of a record only if it still exists (an update must not bring back
# a dropped or expired record). KEYS: the record's hash, the submitted index.
# ARGV: msg_id, expiry in ms (>0 expire, <0 persist, 0 leave), new submitted
# score or '', the number of fields set, field value pairs, fields to delete.
UPDATE_SCRIPT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local nset = tonumber(ARGV[4])
if nset > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, 5, 4 + 2 * nset)) end
if #ARGV > 4 + 2 * nset then redis.call('HDEL', KEYS[1], unpack(ARGV, 5 + 2 * nset)) end
if ARGV[3] ~= '' then redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1]) end
local expiry = tonumber(ARGV[2])
if expiry > 0 then redis.call('PEXPIRE', KEYS[1], expiry) elseif expiry < 0 then redis.call('PERSIST', KEYS[1]) end
return 1
"""


def encode(key: str, value: Any) -> bytes:
    """A field as a hash value; the schema's type of `key` says how to read it back exactly."""
    kind = RECORD_KEYS[key][0]
    if kind is list:
        return pack_buffers(value)
    if kind is bytes:
        return bytes(value)
    if kind is str:
        return value.encode()
    return repr(kind(value)).encode()  # repr round-trips floats exactly


def decode(key: str, raw: bytes) -> Any:
    kind = RECORD_KEYS[key][0]
    if kind is list:
        return unpack_buffers(raw)
    if kind is bytes:
        return raw
    if kind is str:
        return raw.decode()
    return kind(raw)


def score(submitted: float | None) -> float:
    return float("-inf") if submitted is None else submitted


class RedisDB(TaskStore):
    """One hash per record (None fields left out) and a sorted set of msg_ids by submitted time."""

    url = Unicode("redis://127.0.0.1:6379/0", help="The Redis server and database.").tag(config=True)
    prefix = Unicode("", help="Prefix of every key; empty means one made from the session.").tag(config=True)
    expiry = Float(0, help="Seconds a finished record is kept; 0 keeps it until dropped.").tag(config=True)

    def __init__(self, session: str, profile_dir: Path, **kwargs: Any):
        super().__init__(session, profile_dir, **kwargs)
        try:
            import redis
        except ImportError as error:
            raise StoreError("RedisDB needs the redis package: pip install 'ipcluster-hub[redis]'") from error
        self._prefix = self.prefix or f"ipcluster:{session}"
        self._index = f"{self._prefix}:submitted"
        shown = self.url.replace(f":{password}@", ":***@") if (password := urlsplit(self.url).password) else self.url
        try:
            self._redis: redis.Redis = redis.Redis.from_url(self.url)
        except ValueError as error:
            raise StoreError(f"c.RedisDB.url = {shown!r} is not a Redis URL: {error}") from error
        try:
            self._redis.ping()
        except redis.RedisError as error:
            self._redis.close()
            raise StoreError(f"cannot reach Redis at {shown} (is redis-server running there?): {error}") from error
        self._update = self._redis.register_script(UPDATE_SCRIPT)

    def _key(self, msg_id: str) -> str:
        return f"{self._prefix}:record:{msg_id}"

    def _expiry_ms(self, status: Any) -> int:
        if self.expiry <= 0:
            return 0
        return -1 if status == "pending" else max(1, round(self.expiry * 1000))

    def add(self, records: Sequence[Record]) -> None:
        for record in records:
            check_keys(list(record))
        pipe = self._redis.pipeline()
        for record in records:
            key = self._key(record["msg_id"])
            pipe.delete(key)
            pipe.hset(key, mapping={k: encode(k, v) for k, v in record.items() if v is not None})
            pipe.zadd(self._index, {record["msg_id"]: score(record.get("submitted"))})
            expiry = self._expiry_ms(record.get("status"))
            if expiry > 0:
                pipe.pexpire(key, expiry)
        pipe.execute()

    def update(self, changes: Mapping[str, Record]) -> None:
        for fields in changes.values():
            check_keys(list(fields))
        pipe = self._redis.pipeline()
        for msg_id, fields in changes.items():
            kept = {key: encode(key, value) for key, value in fields.items() if value is not None}
            dropped = [key for key, value in fields.items() if value is None]
            expiry = self._expiry_ms(fields["status"]) if "status" in fields else 0
            submitted = repr(score(fields["submitted"])) if "submitted" in fields else ""
            args = [msg_id, expiry, submitted, len(kept), *(x for pair in kept.items() for x in pair), *dropped]
            self._update(keys=[self._key(msg_id), self._index], args=args, client=pipe)
        pipe.execute()

    def find(self, query: Query, keys: Sequence[str] | None = None) -> list[Record]:
        check_query(query)
        check_keys(keys)
        fields = list(RECORD_KEYS) if keys is None else list(dict.fromkeys(["msg_id", "submitted", *query, *keys]))
        named = named_ids(query)
        ids = named if named is not None else [
            member.decode() for member in cast(list[bytes], self._redis.zrange(self._index, 0, -1))]
        pipe = self._redis.pipeline(transaction=False)
        for msg_id in ids:
            pipe.hmget(self._key(msg_id), fields)
        found, expired = [], []
        for msg_id, row in zip(ids, pipe.execute(), strict=True):
            if row[0] is None:  # msg_id is always stored: the hash expired, or never was
                expired.append(msg_id)
                continue
            record = {key: None if raw is None else decode(key, raw) for key, raw in zip(fields, row, strict=True)}
            if matches(record, query):
                found.append(record)
        if expired:
            self._redis.zrem(self._index, *expired)
        if named is not None:  # in the asker's order; the index's are in submission order already
            found.sort(key=lambda record: score(record["submitted"]))
        return [project(record, keys) for record in found]

    def drop(self, query: Query) -> int:
        doomed = [record["msg_id"] for record in self.find(query, keys=[])]
        if not doomed:
            return 0
        pipe = self._redis.pipeline()
        pipe.delete(*map(self._key, doomed))
        pipe.zrem(self._index, *doomed)
        deleted, _ = pipe.execute()
        return int(deleted)

    def close(self) -> None:
        self._redis.close()
