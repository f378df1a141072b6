from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Queue(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    QUEUE_UNSPECIFIED: _ClassVar[Queue]
    DIRECT: _ClassVar[Queue]
    TASK: _ClassVar[Queue]
    CONTROL: _ClassVar[Queue]
QUEUE_UNSPECIFIED: Queue
DIRECT: Queue
TASK: Queue
CONTROL: Queue

class ApplyRequest(_message.Message):
    __slots__ = ("function_buffers", "map")
    FUNCTION_BUFFERS_FIELD_NUMBER: _ClassVar[int]
    MAP_FIELD_NUMBER: _ClassVar[int]
    function_buffers: int
    map: bool
    def __init__(self, function_buffers: _Optional[int] = ..., map: _Optional[bool] = ...) -> None: ...

class ExecuteRequest(_message.Message):
    __slots__ = ("code", "silent")
    CODE_FIELD_NUMBER: _ClassVar[int]
    SILENT_FIELD_NUMBER: _ClassVar[int]
    code: str
    silent: bool
    def __init__(self, code: _Optional[str] = ..., silent: _Optional[bool] = ...) -> None: ...

class RemoteErrorInfo(_message.Message):
    __slots__ = ("ename", "evalue", "traceback", "engine_id")
    ENAME_FIELD_NUMBER: _ClassVar[int]
    EVALUE_FIELD_NUMBER: _ClassVar[int]
    TRACEBACK_FIELD_NUMBER: _ClassVar[int]
    ENGINE_ID_FIELD_NUMBER: _ClassVar[int]
    ename: str
    evalue: str
    traceback: _containers.RepeatedScalarFieldContainer[str]
    engine_id: int
    def __init__(self, ename: _Optional[str] = ..., evalue: _Optional[str] = ..., traceback: _Optional[_Iterable[str]] = ..., engine_id: _Optional[int] = ...) -> None: ...

class TaskReply(_message.Message):
    __slots__ = ("error", "started", "completed", "stdout", "stderr", "engine_id", "engine_uuid", "engine_died", "execute_result", "execution_count")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    STARTED_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    STDOUT_FIELD_NUMBER: _ClassVar[int]
    STDERR_FIELD_NUMBER: _ClassVar[int]
    ENGINE_ID_FIELD_NUMBER: _ClassVar[int]
    ENGINE_UUID_FIELD_NUMBER: _ClassVar[int]
    ENGINE_DIED_FIELD_NUMBER: _ClassVar[int]
    EXECUTE_RESULT_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_COUNT_FIELD_NUMBER: _ClassVar[int]
    error: RemoteErrorInfo
    started: float
    completed: float
    stdout: str
    stderr: str
    engine_id: int
    engine_uuid: str
    engine_died: bool
    execute_result: str
    execution_count: int
    def __init__(self, error: _Optional[_Union[RemoteErrorInfo, _Mapping]] = ..., started: _Optional[float] = ..., completed: _Optional[float] = ..., stdout: _Optional[str] = ..., stderr: _Optional[str] = ..., engine_id: _Optional[int] = ..., engine_uuid: _Optional[str] = ..., engine_died: _Optional[bool] = ..., execute_result: _Optional[str] = ..., execution_count: _Optional[int] = ...) -> None: ...

class ControlRequest(_message.Message):
    __slots__ = ("action", "msg_ids", "signum")
    class Action(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        SHUTDOWN: _ClassVar[ControlRequest.Action]
        CLEAR: _ClassVar[ControlRequest.Action]
        ABORT: _ClassVar[ControlRequest.Action]
        INTERRUPT: _ClassVar[ControlRequest.Action]
        SIGNAL: _ClassVar[ControlRequest.Action]
    SHUTDOWN: ControlRequest.Action
    CLEAR: ControlRequest.Action
    ABORT: ControlRequest.Action
    INTERRUPT: ControlRequest.Action
    SIGNAL: ControlRequest.Action
    ACTION_FIELD_NUMBER: _ClassVar[int]
    MSG_IDS_FIELD_NUMBER: _ClassVar[int]
    SIGNUM_FIELD_NUMBER: _ClassVar[int]
    action: ControlRequest.Action
    msg_ids: _containers.RepeatedScalarFieldContainer[str]
    signum: int
    def __init__(self, action: _Optional[_Union[ControlRequest.Action, str]] = ..., msg_ids: _Optional[_Iterable[str]] = ..., signum: _Optional[int] = ...) -> None: ...

class ControlReply(_message.Message):
    __slots__ = ("error",)
    ERROR_FIELD_NUMBER: _ClassVar[int]
    error: RemoteErrorInfo
    def __init__(self, error: _Optional[_Union[RemoteErrorInfo, _Mapping]] = ...) -> None: ...

class StreamOutput(_message.Message):
    __slots__ = ("name", "text")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    name: str
    text: str
    def __init__(self, name: _Optional[str] = ..., text: _Optional[str] = ...) -> None: ...

class TaskEvent(_message.Message):
    __slots__ = ("kind", "queue", "header", "client_id", "engine_uuid", "time", "frames", "omitted_bytes")
    class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        SUBMITTED: _ClassVar[TaskEvent.Kind]
        FINISHED: _ClassVar[TaskEvent.Kind]
        ASSIGNED: _ClassVar[TaskEvent.Kind]
    SUBMITTED: TaskEvent.Kind
    FINISHED: TaskEvent.Kind
    ASSIGNED: TaskEvent.Kind
    KIND_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    HEADER_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    ENGINE_UUID_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    FRAMES_FIELD_NUMBER: _ClassVar[int]
    OMITTED_BYTES_FIELD_NUMBER: _ClassVar[int]
    kind: TaskEvent.Kind
    queue: Queue
    header: bytes
    client_id: bytes
    engine_uuid: bytes
    time: float
    frames: int
    omitted_bytes: int
    def __init__(self, kind: _Optional[_Union[TaskEvent.Kind, str]] = ..., queue: _Optional[_Union[Queue, str]] = ..., header: _Optional[bytes] = ..., client_id: _Optional[bytes] = ..., engine_uuid: _Optional[bytes] = ..., time: _Optional[float] = ..., frames: _Optional[int] = ..., omitted_bytes: _Optional[int] = ...) -> None: ...

class TaskEvents(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[TaskEvent]
    def __init__(self, events: _Optional[_Iterable[_Union[TaskEvent, _Mapping]]] = ...) -> None: ...
