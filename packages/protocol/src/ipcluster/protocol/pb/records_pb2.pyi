from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TaskRecord(_message.Message):
    __slots__ = ("msg_id", "queue", "client_uuid", "engine_uuid", "engine_id", "header", "content", "buffers", "submitted", "started", "completed", "status", "result_header", "result_content", "result_buffers", "stdout", "stderr", "error", "resubmitted", "buffers_omitted", "result_buffers_omitted")
    MSG_ID_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    CLIENT_UUID_FIELD_NUMBER: _ClassVar[int]
    ENGINE_UUID_FIELD_NUMBER: _ClassVar[int]
    ENGINE_ID_FIELD_NUMBER: _ClassVar[int]
    HEADER_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    BUFFERS_FIELD_NUMBER: _ClassVar[int]
    SUBMITTED_FIELD_NUMBER: _ClassVar[int]
    STARTED_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    RESULT_HEADER_FIELD_NUMBER: _ClassVar[int]
    RESULT_CONTENT_FIELD_NUMBER: _ClassVar[int]
    RESULT_BUFFERS_FIELD_NUMBER: _ClassVar[int]
    STDOUT_FIELD_NUMBER: _ClassVar[int]
    STDERR_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    RESUBMITTED_FIELD_NUMBER: _ClassVar[int]
    BUFFERS_OMITTED_FIELD_NUMBER: _ClassVar[int]
    RESULT_BUFFERS_OMITTED_FIELD_NUMBER: _ClassVar[int]
    msg_id: str
    queue: str
    client_uuid: str
    engine_uuid: str
    engine_id: int
    header: bytes
    content: bytes
    buffers: int
    submitted: float
    started: float
    completed: float
    status: str
    result_header: bytes
    result_content: bytes
    result_buffers: int
    stdout: str
    stderr: str
    error: str
    resubmitted: str
    buffers_omitted: int
    result_buffers_omitted: int
    def __init__(self, msg_id: _Optional[str] = ..., queue: _Optional[str] = ..., client_uuid: _Optional[str] = ..., engine_uuid: _Optional[str] = ..., engine_id: _Optional[int] = ..., header: _Optional[bytes] = ..., content: _Optional[bytes] = ..., buffers: _Optional[int] = ..., submitted: _Optional[float] = ..., started: _Optional[float] = ..., completed: _Optional[float] = ..., status: _Optional[str] = ..., result_header: _Optional[bytes] = ..., result_content: _Optional[bytes] = ..., result_buffers: _Optional[int] = ..., stdout: _Optional[str] = ..., stderr: _Optional[str] = ..., error: _Optional[str] = ..., resubmitted: _Optional[str] = ..., buffers_omitted: _Optional[int] = ..., result_buffers_omitted: _Optional[int] = ...) -> None: ...

class DbQueryRequest(_message.Message):
    __slots__ = ("query_json", "keys")
    QUERY_JSON_FIELD_NUMBER: _ClassVar[int]
    KEYS_FIELD_NUMBER: _ClassVar[int]
    query_json: str
    keys: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, query_json: _Optional[str] = ..., keys: _Optional[_Iterable[str]] = ...) -> None: ...

class DbQueryReply(_message.Message):
    __slots__ = ("records",)
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[TaskRecord]
    def __init__(self, records: _Optional[_Iterable[_Union[TaskRecord, _Mapping]]] = ...) -> None: ...

class ResultRequest(_message.Message):
    __slots__ = ("msg_ids", "watch")
    MSG_IDS_FIELD_NUMBER: _ClassVar[int]
    WATCH_FIELD_NUMBER: _ClassVar[int]
    msg_ids: _containers.RepeatedScalarFieldContainer[str]
    watch: bool
    def __init__(self, msg_ids: _Optional[_Iterable[str]] = ..., watch: _Optional[bool] = ...) -> None: ...

class ResultReply(_message.Message):
    __slots__ = ("finished", "pending", "unknown")
    FINISHED_FIELD_NUMBER: _ClassVar[int]
    PENDING_FIELD_NUMBER: _ClassVar[int]
    UNKNOWN_FIELD_NUMBER: _ClassVar[int]
    finished: _containers.RepeatedCompositeFieldContainer[TaskRecord]
    pending: _containers.RepeatedScalarFieldContainer[str]
    unknown: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, finished: _Optional[_Iterable[_Union[TaskRecord, _Mapping]]] = ..., pending: _Optional[_Iterable[str]] = ..., unknown: _Optional[_Iterable[str]] = ...) -> None: ...

class PurgeRequest(_message.Message):
    __slots__ = ("msg_ids", "all", "targets")
    MSG_IDS_FIELD_NUMBER: _ClassVar[int]
    ALL_FIELD_NUMBER: _ClassVar[int]
    TARGETS_FIELD_NUMBER: _ClassVar[int]
    msg_ids: _containers.RepeatedScalarFieldContainer[str]
    all: bool
    targets: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, msg_ids: _Optional[_Iterable[str]] = ..., all: _Optional[bool] = ..., targets: _Optional[_Iterable[int]] = ...) -> None: ...

class PurgeReply(_message.Message):
    __slots__ = ("purged",)
    PURGED_FIELD_NUMBER: _ClassVar[int]
    purged: int
    def __init__(self, purged: _Optional[int] = ...) -> None: ...

class HistoryRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class HistoryReply(_message.Message):
    __slots__ = ("msg_ids",)
    MSG_IDS_FIELD_NUMBER: _ClassVar[int]
    msg_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, msg_ids: _Optional[_Iterable[str]] = ...) -> None: ...
