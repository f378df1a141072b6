"""The engine table: who is registered, under which id."""

from __future__ import annotations

from dataclasses import dataclass

from ipcluster.protocol import registry_pb2

MAX_ENGINE_ID = 2**31 - 1  # engine ids travel as int32


class RegistrationRefused(ValueError):
    """An engine cannot be registered (its uuid is already taken)."""


@dataclass
class EngineRegistry:
    """Assigns engine ids.

    Ids only grow (until the int32 range is used up), so within a hub's life a
    result can be traced to the engine that produced it. An engine may ask for
    an id (``ipengine --id``, an MPI rank); it gets it when no registered
    engine holds it, and later automatic ids start above it.
    """

    _by_uuid: dict[str, registry_pb2.EngineInfo]
    _next_id: int = 0

    @classmethod
    def empty(cls) -> EngineRegistry:
        return cls({})

    def register(self, request: registry_pb2.RegistrationRequest) -> registry_pb2.EngineInfo:
        if request.uuid in self._by_uuid:
            raise RegistrationRefused(f"an engine with uuid {request.uuid} is already registered")
        taken = {info.engine_id for info in self._by_uuid.values()}
        if request.requested_id >= 0 and request.requested_id not in taken:
            engine_id = request.requested_id
        else:
            if self._next_id > MAX_ENGINE_ID:  # used up: start again from the bottom
                self._next_id = 0
            while self._next_id in taken:
                self._next_id += 1
            engine_id = self._next_id
        self._next_id = max(self._next_id, engine_id + 1)
        info = registry_pb2.EngineInfo(
            engine_id=engine_id, uuid=request.uuid, hostname=request.hostname, pid=request.pid
        )
        self._by_uuid[request.uuid] = info
        return info

    def engine_id(self, uuid: str) -> int | None:
        """The id of a registered engine; None for any other uuid."""
        info = self._by_uuid.get(uuid)
        return None if info is None else info.engine_id

    def unregister(self, uuid: str) -> registry_pb2.EngineInfo | None:
        return self._by_uuid.pop(uuid, None)

    def engines(self) -> list[registry_pb2.EngineInfo]:
        return sorted(list(self._by_uuid.values()), key=lambda info: info.engine_id)
