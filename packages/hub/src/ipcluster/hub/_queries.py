"""Clients' questions about tasks: db_query, result_status / get_result, purge_results, hub_history.

Answers come from the store. A client asking for the result of a task still
running can ask to be told when it finishes, so nobody polls the hub.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence

from ipcluster.hub._records import to_wire
from ipcluster.hub.stores import QueryError, StoreError, TaskStore
from ipcluster.protocol import Message, header_pb2
from ipcluster.protocol import records_pb2 as rec

MT = header_pb2.MsgType
RESULT_KEYS = ["engine_uuid", "engine_id", "submitted", "started", "completed", "status", "result_header",
               "result_content", "result_buffers", "result_buffers_omitted", "stdout", "stderr"]
SUMMARY_KEYS = ["msg_id", "status", "engine_id", "queue", "submitted", "started", "completed", "error"]
# (client idents, msg_type, parent msg_id, content, buffers) -> False when the client is gone
Send = Callable[[list[bytes], MT, str, object, list], bool]


class RecordQueries:
    def __init__(self, store: TaskStore, send: Send, log):
        self.store = store
        self.send = send
        self.log = log
        self.watchers: defaultdict[str, set[bytes]] = defaultdict(set)  # msg_id -> clients waiting for it

    def handlers(self) -> dict[int, Callable[[Message], None]]:
        return {
            MT.DB_QUERY_REQUEST: self._db_query,
            MT.RESULT_REQUEST: self._results,
            MT.PURGE_REQUEST: self._purge,
            MT.HISTORY_REQUEST: self._history,
        }

    def _find(self, query: dict, keys: Sequence[str] | None = None) -> list[dict]:
        return self._ask("answer a query", self.store.find, query, keys)

    def _ask(self, what: str, call: Callable, *args):
        """The store's answer; what it cannot answer is a ValueError for the asking client."""
        try:
            return call(*args)
        except (QueryError, StoreError) as exc:
            raise ValueError(str(exc)) from None
        except Exception as exc:  # the backend's own failure: a server gone away, a locked file
            self.log.error("task store failed", action=what, error=repr(exc))
            raise ValueError(f"the hub's task store failed to {what}: {exc}") from None

    def _db_query(self, msg: Message) -> None:
        request = msg.content(rec.DbQueryRequest)
        try:
            query = json.loads(request.query_json or "{}")
        except json.JSONDecodeError as exc:
            raise ValueError(f"the query is not valid JSON: {exc}") from None
        records, frames = to_wire(self._find(query, list(request.keys) or None))
        self.send(msg.idents, MT.DB_QUERY_REPLY, msg.header.msg_id, rec.DbQueryReply(records=records), frames)

    def _history(self, msg: Message) -> None:
        msg_ids = [record["msg_id"] for record in self._find({}, ["msg_id"])]
        self.send(msg.idents, MT.HISTORY_REPLY, msg.header.msg_id, rec.HistoryReply(msg_ids=msg_ids), [])

    def _results(self, msg: Message) -> None:
        request = msg.content(rec.ResultRequest)
        wanted = list(dict.fromkeys(request.msg_ids))
        found = {r["msg_id"]: r for r in self._find({"msg_id": {"$in": wanted}}, RESULT_KEYS)}
        unknown = [msg_id for msg_id in wanted if msg_id not in found]
        pending = [msg_id for msg_id in found if found[msg_id]["status"] == "pending"]
        finished, frames = to_wire([record for msg_id, record in found.items() if msg_id not in pending])
        if request.watch:
            for msg_id in pending:
                self.watchers[msg_id].add(msg.idents[0])
        reply = rec.ResultReply(finished=finished, pending=pending, unknown=unknown)
        self.send(msg.idents, MT.RESULT_REPLY, msg.header.msg_id, reply, frames)

    def lookup(self, msg_ids: list[str]) -> dict[str, dict]:
        """The summaries (status, engine, times, error) of the tasks the store has, by msg_id."""
        found = self._find({"msg_id": {"$in": msg_ids}}, SUMMARY_KEYS)
        return {record["msg_id"]: record for record in found}

    def notify(self, finished: Sequence[str]) -> None:
        """Send each newly finished task to the clients watching it."""
        watched = [msg_id for msg_id in finished if msg_id in self.watchers]
        if not watched:
            return
        for record in self._find_quietly(watched):
            message, frames = to_wire([record])
            for client in self.watchers.pop(record["msg_id"], ()):
                self.send([client], MT.TASK_RESULT, "", rec.ResultReply(finished=message), frames)

    def _find_quietly(self, msg_ids: list[str]) -> list[dict]:
        try:
            return self._find({"msg_id": {"$in": msg_ids}, "status": {"$ne": "pending"}}, RESULT_KEYS)
        except ValueError as exc:
            self.log.error("cannot send results to watching clients", reason=str(exc))
            return []

    def _purge(self, msg: Message) -> None:
        request = msg.content(rec.PurgeRequest)
        if request.all:
            query: dict = {}
        elif request.targets:
            query = {"engine_id": {"$in": list(request.targets)}}
        else:
            query = {"msg_id": {"$in": list(request.msg_ids)}}
            pending = [r["msg_id"] for r in self._find({**query, "status": "pending"}, ["msg_id"])]
            if pending:
                raise ValueError(f"cannot purge task {', '.join(pending[:5])}: still pending (wait for it, or abort "
                                 "it, first)")
        purged = self._ask("purge records", self.store.drop, {**query, "status": {"$ne": "pending"}})
        self.send(msg.idents, MT.PURGE_REPLY, msg.header.msg_id, rec.PurgeReply(purged=purged), [])
