"""What every ipcluster process must agree on: messages, signing, files, logs."""

from ipcluster.protocol._connection import (
    CLIENT_FILE,
    ENGINE_FILE,
    PORT_NAMES,
    SPEC_FILE,
    ConnectionFileError,
    ControllerSpec,
    free_ports,
    guess_location,
    is_wildcard,
    read_connection_file,
    url,
    write_connection_file,
)
from ipcluster.protocol._frames import drain, readable, recv_frames, send_frames
from ipcluster.protocol._logging import configure_logging
from ipcluster.protocol._loop import Loop
from ipcluster.protocol._peer import HubPeer
from ipcluster.protocol._profile import ProfileDir, ipython_dir
from ipcluster.protocol._reach import no_answer
from ipcluster.protocol._serialize import deserialize, deserialize_apply, serialize, serialize_apply
from ipcluster.protocol._session import (
    DELIMITER,
    NO_ENGINE,
    PROTOCOL_VERSION,
    MalformedMessage,
    Message,
    ProtocolVersionError,
    Session,
    SignatureError,
    new_key,
    parse,
    split_idents,
)
from ipcluster.protocol._stores import STORE_CLASSES, UnknownStore, resolve_store_name
from ipcluster.protocol._tunnel import SshSettings, Tunnel, TunnelError, open_tunnel
from ipcluster.protocol.pb import header_pb2, records_pb2, registry_pb2, work_pb2

__all__ = [
    "CLIENT_FILE",
    "DELIMITER",
    "ENGINE_FILE",
    "NO_ENGINE",
    "PORT_NAMES",
    "PROTOCOL_VERSION",
    "SPEC_FILE",
    "STORE_CLASSES",
    "ConnectionFileError",
    "ControllerSpec",
    "HubPeer",
    "Loop",
    "MalformedMessage",
    "Message",
    "ProfileDir",
    "ProtocolVersionError",
    "Session",
    "SignatureError",
    "SshSettings",
    "Tunnel",
    "TunnelError",
    "UnknownStore",
    "configure_logging",
    "deserialize",
    "deserialize_apply",
    "drain",
    "free_ports",
    "guess_location",
    "header_pb2",
    "ipython_dir",
    "is_wildcard",
    "new_key",
    "no_answer",
    "open_tunnel",
    "parse",
    "read_connection_file",
    "readable",
    "records_pb2",
    "recv_frames",
    "registry_pb2",
    "resolve_store_name",
    "send_frames",
    "serialize",
    "serialize_apply",
    "split_idents",
    "url",
    "work_pb2",
    "write_connection_file",
]
