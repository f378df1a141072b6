from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MsgType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MSG_TYPE_UNSPECIFIED: _ClassVar[MsgType]
    REGISTRATION_REQUEST: _ClassVar[MsgType]
    REGISTRATION_REPLY: _ClassVar[MsgType]
    UNREGISTRATION_REQUEST: _ClassVar[MsgType]
    CONNECTION_REQUEST: _ClassVar[MsgType]
    CONNECTION_REPLY: _ClassVar[MsgType]
    QUEUE_STATUS_REQUEST: _ClassVar[MsgType]
    QUEUE_STATUS_REPLY: _ClassVar[MsgType]
    HUB_ERROR_REPLY: _ClassVar[MsgType]
    CONTROLLER_SHUTDOWN_REQUEST: _ClassVar[MsgType]
    CONTROLLER_SHUTDOWN_REPLY: _ClassVar[MsgType]
    PEER_HELLO: _ClassVar[MsgType]
    PEER_WELCOME: _ClassVar[MsgType]
    ENGINE_EVENT: _ClassVar[MsgType]
    HEART_FAILURE: _ClassVar[MsgType]
    TASK_EVENT: _ClassVar[MsgType]
    APPLY_REQUEST: _ClassVar[MsgType]
    APPLY_REPLY: _ClassVar[MsgType]
    EXECUTE_REQUEST: _ClassVar[MsgType]
    EXECUTE_REPLY: _ClassVar[MsgType]
    CONTROL_REQUEST: _ClassVar[MsgType]
    CONTROL_REPLY: _ClassVar[MsgType]
    STREAM: _ClassVar[MsgType]
    ENGINE_HELLO: _ClassVar[MsgType]
    DB_QUERY_REQUEST: _ClassVar[MsgType]
    DB_QUERY_REPLY: _ClassVar[MsgType]
    RESULT_REQUEST: _ClassVar[MsgType]
    RESULT_REPLY: _ClassVar[MsgType]
    TASK_RESULT: _ClassVar[MsgType]
    PURGE_REQUEST: _ClassVar[MsgType]
    PURGE_REPLY: _ClassVar[MsgType]
    HISTORY_REQUEST: _ClassVar[MsgType]
    HISTORY_REPLY: _ClassVar[MsgType]

class ReplyStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REPLY_STATUS_UNSPECIFIED: _ClassVar[ReplyStatus]
    OK: _ClassVar[ReplyStatus]
    ERROR: _ClassVar[ReplyStatus]
MSG_TYPE_UNSPECIFIED: MsgType
REGISTRATION_REQUEST: MsgType
REGISTRATION_REPLY: MsgType
UNREGISTRATION_REQUEST: MsgType
CONNECTION_REQUEST: MsgType
CONNECTION_REPLY: MsgType
QUEUE_STATUS_REQUEST: MsgType
QUEUE_STATUS_REPLY: MsgType
HUB_ERROR_REPLY: MsgType
CONTROLLER_SHUTDOWN_REQUEST: MsgType
CONTROLLER_SHUTDOWN_REPLY: MsgType
PEER_HELLO: MsgType
PEER_WELCOME: MsgType
ENGINE_EVENT: MsgType
HEART_FAILURE: MsgType
TASK_EVENT: MsgType
APPLY_REQUEST: MsgType
APPLY_REPLY: MsgType
EXECUTE_REQUEST: MsgType
EXECUTE_REPLY: MsgType
CONTROL_REQUEST: MsgType
CONTROL_REPLY: MsgType
STREAM: MsgType
ENGINE_HELLO: MsgType
DB_QUERY_REQUEST: MsgType
DB_QUERY_REPLY: MsgType
RESULT_REQUEST: MsgType
RESULT_REPLY: MsgType
TASK_RESULT: MsgType
PURGE_REQUEST: MsgType
PURGE_REPLY: MsgType
HISTORY_REQUEST: MsgType
HISTORY_REPLY: MsgType
REPLY_STATUS_UNSPECIFIED: ReplyStatus
OK: ReplyStatus
ERROR: ReplyStatus

class Header(_message.Message):
    __slots__ = ("msg_id", "msg_type", "session", "parent_id", "engine_id", "date", "status", "resubmit_of", "task")
    MSG_ID_FIELD_NUMBER: _ClassVar[int]
    MSG_TYPE_FIELD_NUMBER: _ClassVar[int]
    SESSION_FIELD_NUMBER: _ClassVar[int]
    PARENT_ID_FIELD_NUMBER: _ClassVar[int]
    ENGINE_ID_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    RESUBMIT_OF_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    msg_id: str
    msg_type: MsgType
    session: str
    parent_id: str
    engine_id: int
    date: float
    status: ReplyStatus
    resubmit_of: str
    task: TaskOptions
    def __init__(self, msg_id: _Optional[str] = ..., msg_type: _Optional[_Union[MsgType, str]] = ..., session: _Optional[str] = ..., parent_id: _Optional[str] = ..., engine_id: _Optional[int] = ..., date: _Optional[float] = ..., status: _Optional[_Union[ReplyStatus, str]] = ..., resubmit_of: _Optional[str] = ..., task: _Optional[_Union[TaskOptions, _Mapping]] = ...) -> None: ...

class Dependency(_message.Message):
    __slots__ = ("msg_ids", "all", "success", "failure")
    MSG_IDS_FIELD_NUMBER: _ClassVar[int]
    ALL_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    msg_ids: _containers.RepeatedScalarFieldContainer[str]
    all: bool
    success: bool
    failure: bool
    def __init__(self, msg_ids: _Optional[_Iterable[str]] = ..., all: _Optional[bool] = ..., success: _Optional[bool] = ..., failure: _Optional[bool] = ...) -> None: ...

class TaskOptions(_message.Message):
    __slots__ = ("retries", "timeout", "after", "follow", "targets", "time_limit")
    RETRIES_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    AFTER_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_FIELD_NUMBER: _ClassVar[int]
    TARGETS_FIELD_NUMBER: _ClassVar[int]
    TIME_LIMIT_FIELD_NUMBER: _ClassVar[int]
    retries: int
    timeout: float
    after: Dependency
    follow: Dependency
    targets: _containers.RepeatedScalarFieldContainer[int]
    time_limit: float
    def __init__(self, retries: _Optional[int] = ..., timeout: _Optional[float] = ..., after: _Optional[_Union[Dependency, _Mapping]] = ..., follow: _Optional[_Union[Dependency, _Mapping]] = ..., targets: _Optional[_Iterable[int]] = ..., time_limit: _Optional[float] = ...) -> None: ...
