from ipcluster.protocol.pb import registry_pb2 as _registry_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class StatisticsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class HubStatistics(_message.Message):
    __slots__ = ("engines", "clients", "peers", "pending_tasks", "completed_tasks")
    ENGINES_FIELD_NUMBER: _ClassVar[int]
    CLIENTS_FIELD_NUMBER: _ClassVar[int]
    PEERS_FIELD_NUMBER: _ClassVar[int]
    PENDING_TASKS_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_TASKS_FIELD_NUMBER: _ClassVar[int]
    engines: int
    clients: int
    peers: int
    pending_tasks: int
    completed_tasks: int
    def __init__(self, engines: _Optional[int] = ..., clients: _Optional[int] = ..., peers: _Optional[int] = ..., pending_tasks: _Optional[int] = ..., completed_tasks: _Optional[int] = ...) -> None: ...

class EnginesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class EngineList(_message.Message):
    __slots__ = ("engines",)
    ENGINES_FIELD_NUMBER: _ClassVar[int]
    engines: _containers.RepeatedCompositeFieldContainer[_registry_pb2.EngineInfo]
    def __init__(self, engines: _Optional[_Iterable[_Union[_registry_pb2.EngineInfo, _Mapping]]] = ...) -> None: ...

class TaskLookupRequest(_message.Message):
    __slots__ = ("msg_ids",)
    MSG_IDS_FIELD_NUMBER: _ClassVar[int]
    msg_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, msg_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class TaskSummary(_message.Message):
    __slots__ = ("msg_id", "status", "engine_id", "queue", "submitted", "started", "completed", "error")
    MSG_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ENGINE_ID_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    SUBMITTED_FIELD_NUMBER: _ClassVar[int]
    STARTED_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    msg_id: str
    status: str
    engine_id: int
    queue: str
    submitted: float
    started: float
    completed: float
    error: str
    def __init__(self, msg_id: _Optional[str] = ..., status: _Optional[str] = ..., engine_id: _Optional[int] = ..., queue: _Optional[str] = ..., submitted: _Optional[float] = ..., started: _Optional[float] = ..., completed: _Optional[float] = ..., error: _Optional[str] = ...) -> None: ...

class TaskLookupReply(_message.Message):
    __slots__ = ("tasks",)
    TASKS_FIELD_NUMBER: _ClassVar[int]
    tasks: _containers.RepeatedCompositeFieldContainer[TaskSummary]
    def __init__(self, tasks: _Optional[_Iterable[_Union[TaskSummary, _Mapping]]] = ...) -> None: ...

class StopEngineRequest(_message.Message):
    __slots__ = ("engine_id",)
    ENGINE_ID_FIELD_NUMBER: _ClassVar[int]
    engine_id: int
    def __init__(self, engine_id: _Optional[int] = ...) -> None: ...

class StopEngineReply(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ShutdownRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ShutdownReply(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class HealthRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class HealthReply(_message.Message):
    __slots__ = ("status", "uptime", "engines", "peers", "task_store", "encrypted")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    UPTIME_FIELD_NUMBER: _ClassVar[int]
    ENGINES_FIELD_NUMBER: _ClassVar[int]
    PEERS_FIELD_NUMBER: _ClassVar[int]
    TASK_STORE_FIELD_NUMBER: _ClassVar[int]
    ENCRYPTED_FIELD_NUMBER: _ClassVar[int]
    status: str
    uptime: float
    engines: int
    peers: int
    task_store: str
    encrypted: bool
    def __init__(self, status: _Optional[str] = ..., uptime: _Optional[float] = ..., engines: _Optional[int] = ..., peers: _Optional[int] = ..., task_store: _Optional[str] = ..., encrypted: _Optional[bool] = ...) -> None: ...
