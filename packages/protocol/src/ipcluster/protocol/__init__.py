"""What every ipcluster process must agree on: messages, signing, files, logs."""

from ipcluster.protocol._addresses import is_loopback
from ipcluster.protocol._connection import (
    ADMIN_TOKEN_METADATA,
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
)
from ipcluster.protocol._curve import (
    HANDSHAKE_EVENTS,
    KEYS_FILE,
    AllowList,
    CurveError,
    curve_wanted,
    handshake_failure,
    key_of,
    new_key_pair,
)
from ipcluster.protocol._curve import MODES as CURVE_MODES
from ipcluster.protocol._curve import client_options as curve_options
from ipcluster.protocol._curve import dial as dial_curve
from ipcluster.protocol._frames import drain, readable, recv_frames, send_frames
from ipcluster.protocol._logging import configure_logging
from ipcluster.protocol._loop import Loop
from ipcluster.protocol._peer import HubPeer
from ipcluster.protocol._private import write_private_json as write_connection_file
from ipcluster.protocol._profile import ProfileDir, ipython_dir
from ipcluster.protocol._reach import no_answer, refused_at_once
from ipcluster.protocol._serialize import deserialize, deserialize_apply, serialize, serialize_apply
from ipcluster.protocol._session import (
    DELIMITER,
    KEY_MISMATCH,
    NO_ENGINE,
    PROTOCOL_VERSION,
    KeyMismatch,
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
    "ADMIN_TOKEN_METADATA",
    "CLIENT_FILE",
    "CURVE_MODES",
    "DELIMITER",
    "ENGINE_FILE",
    "HANDSHAKE_EVENTS",
    "KEYS_FILE",
    "KEY_MISMATCH",
    "NO_ENGINE",
    "PORT_NAMES",
    "PROTOCOL_VERSION",
    "SPEC_FILE",
    "STORE_CLASSES",
    "AllowList",
    "ConnectionFileError",
    "ControllerSpec",
    "CurveError",
    "HubPeer",
    "KeyMismatch",
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
    "curve_options",
    "curve_wanted",
    "deserialize",
    "deserialize_apply",
    "dial_curve",
    "drain",
    "free_ports",
    "guess_location",
    "handshake_failure",
    "header_pb2",
    "ipython_dir",
    "is_loopback",
    "is_wildcard",
    "key_of",
    "new_key",
    "new_key_pair",
    "no_answer",
    "open_tunnel",
    "parse",
    "read_connection_file",
    "readable",
    "records_pb2",
    "recv_frames",
    "refused_at_once",
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
