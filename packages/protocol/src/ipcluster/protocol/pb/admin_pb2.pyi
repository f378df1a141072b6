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
