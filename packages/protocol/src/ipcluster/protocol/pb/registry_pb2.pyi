from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EngineInfo(_message.Message):
    __slots__ = ("engine_id", "uuid", "hostname", "pid")
    ENGINE_ID_FIELD_NUMBER: _ClassVar[int]
    UUID_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    PID_FIELD_NUMBER: _ClassVar[int]
    engine_id: int
    uuid: str
    hostname: str
    pid: int
    def __init__(self, engine_id: _Optional[int] = ..., uuid: _Optional[str] = ..., hostname: _Optional[str] = ..., pid: _Optional[int] = ...) -> None: ...

class RegistrationRequest(_message.Message):
    __slots__ = ("uuid", "requested_id", "hostname", "pid")
    UUID_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_ID_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    PID_FIELD_NUMBER: _ClassVar[int]
    uuid: str
    requested_id: int
    hostname: str
    pid: int
    def __init__(self, uuid: _Optional[str] = ..., requested_id: _Optional[int] = ..., hostname: _Optional[str] = ..., pid: _Optional[int] = ...) -> None: ...

class RegistrationReply(_message.Message):
    __slots__ = ("ok", "engine_id", "error")
    OK_FIELD_NUMBER: _ClassVar[int]
    ENGINE_ID_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ok: bool
    engine_id: int
    error: str
    def __init__(self, ok: _Optional[bool] = ..., engine_id: _Optional[int] = ..., error: _Optional[str] = ...) -> None: ...

class UnregistrationRequest(_message.Message):
    __slots__ = ("uuid", "reason")
    UUID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    uuid: str
    reason: str
    def __init__(self, uuid: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ConnectionRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ConnectionReply(_message.Message):
    __slots__ = ("engines", "task_scheme")
    ENGINES_FIELD_NUMBER: _ClassVar[int]
    TASK_SCHEME_FIELD_NUMBER: _ClassVar[int]
    engines: _containers.RepeatedCompositeFieldContainer[EngineInfo]
    task_scheme: str
    def __init__(self, engines: _Optional[_Iterable[_Union[EngineInfo, _Mapping]]] = ..., task_scheme: _Optional[str] = ...) -> None: ...

class ControllerShutdownRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ControllerShutdownReply(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class HubErrorReply(_message.Message):
    __slots__ = ("error",)
    ERROR_FIELD_NUMBER: _ClassVar[int]
    error: str
    def __init__(self, error: _Optional[str] = ...) -> None: ...

class QueueStatusRequest(_message.Message):
    __slots__ = ("targets",)
    TARGETS_FIELD_NUMBER: _ClassVar[int]
    targets: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, targets: _Optional[_Iterable[int]] = ...) -> None: ...

class EngineQueue(_message.Message):
    __slots__ = ("queue", "completed")
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    queue: int
    completed: int
    def __init__(self, queue: _Optional[int] = ..., completed: _Optional[int] = ...) -> None: ...

class QueueStatusReply(_message.Message):
    __slots__ = ("engines", "unassigned")
    class EnginesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: int
        value: EngineQueue
        def __init__(self, key: _Optional[int] = ..., value: _Optional[_Union[EngineQueue, _Mapping]] = ...) -> None: ...
    ENGINES_FIELD_NUMBER: _ClassVar[int]
    UNASSIGNED_FIELD_NUMBER: _ClassVar[int]
    engines: _containers.MessageMap[int, EngineQueue]
    unassigned: int
    def __init__(self, engines: _Optional[_Mapping[int, EngineQueue]] = ..., unassigned: _Optional[int] = ...) -> None: ...

class PeerHello(_message.Message):
    __slots__ = ("role",)
    ROLE_FIELD_NUMBER: _ClassVar[int]
    role: str
    def __init__(self, role: _Optional[str] = ...) -> None: ...

class PeerWelcome(_message.Message):
    __slots__ = ("engines",)
    ENGINES_FIELD_NUMBER: _ClassVar[int]
    engines: _containers.RepeatedCompositeFieldContainer[EngineInfo]
    def __init__(self, engines: _Optional[_Iterable[_Union[EngineInfo, _Mapping]]] = ...) -> None: ...

class EngineEvent(_message.Message):
    __slots__ = ("kind", "engine", "reason")
    class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        REGISTERED: _ClassVar[EngineEvent.Kind]
        UNREGISTERED: _ClassVar[EngineEvent.Kind]
    REGISTERED: EngineEvent.Kind
    UNREGISTERED: EngineEvent.Kind
    KIND_FIELD_NUMBER: _ClassVar[int]
    ENGINE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    kind: EngineEvent.Kind
    engine: EngineInfo
    reason: str
    def __init__(self, kind: _Optional[_Union[EngineEvent.Kind, str]] = ..., engine: _Optional[_Union[EngineInfo, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class HeartFailure(_message.Message):
    __slots__ = ("uuid", "missed_beats")
    UUID_FIELD_NUMBER: _ClassVar[int]
    MISSED_BEATS_FIELD_NUMBER: _ClassVar[int]
    uuid: str
    missed_beats: int
    def __init__(self, uuid: _Optional[str] = ..., missed_beats: _Optional[int] = ...) -> None: ...
