"""Signing, verification, replay and version checks of the message framing."""

import pytest
import zmq

from ipcluster.protocol import (
    ProtocolVersionError,
    Session,
    SignatureError,
    header_pb2,
    registry_pb2,
)

MT = header_pb2.MsgType


@pytest.fixture
def session() -> Session:
    return Session(b"secret-key")


def test_round_trip_keeps_idents_header_content_and_buffers(session):
    """A message unpacks to the routing ids, header, content and buffers it was sent with."""
    header = session.header(MT.REGISTRATION_REQUEST, parent_id="p-1", engine_id=3)
    content = registry_pb2.RegistrationRequest(uuid="abc", requested_id=-1)
    frames = [b"router-id", *session.frames(header, content, [b"buffer-1", memoryview(b"buffer-2")])]

    msg = Session(b"secret-key").unpack(frames)

    assert [b"router-id"] == msg.idents
    assert header == msg.header
    assert content == msg.content(registry_pb2.RegistrationRequest)
    assert [b"buffer-1", b"buffer-2"] == [bytes(b) for b in msg.buffers]


def test_wrong_key_is_rejected(session):
    """A message signed with another key fails verification."""
    frames = Session(b"other-key").frames(session.header(MT.CONNECTION_REQUEST))
    with pytest.raises(SignatureError, match="signed with another key"):
        session.unpack(frames)


@pytest.mark.parametrize("index", [2, 3])
def test_tampered_header_or_content_is_rejected(session, index):
    """Changing the header or the content after signing breaks the signature."""
    frames = session.frames(session.header(MT.CONNECTION_REQUEST), registry_pb2.HubErrorReply(error="x"))
    frames[index] = frames[index] + b"\x00"
    with pytest.raises(SignatureError):
        Session(b"secret-key").unpack(frames)


@pytest.mark.parametrize("swapped", [b"pickle", b"pickle-B"], ids=["shorter", "same-length"])
def test_changed_small_buffer_is_rejected(session, swapped):
    """Small buffers are signed byte for byte: a pickle swapped for another is caught, code cannot be injected."""
    frames = session.frames(session.header(MT.APPLY_REQUEST), None, [b"pickle-A"])
    frames[-1] = swapped
    with pytest.raises(SignatureError):
        Session(b"secret-key").unpack(frames)


def test_replayed_message_is_rejected(session):
    """The same signed message is accepted once only."""
    frames = session.frames(session.header(MT.CONNECTION_REQUEST))
    receiver = Session(b"secret-key")
    receiver.unpack(frames)
    with pytest.raises(SignatureError, match="replayed"):
        receiver.unpack(frames)


def test_replay_history_is_bounded():
    """The replay history forgets the oldest signatures beyond its size."""
    sender, receiver = Session(b"k"), Session(b"k", history_size=2)
    first = sender.frames(sender.header(MT.CONNECTION_REQUEST))
    receiver.unpack(first)
    for _ in range(2):
        receiver.unpack(sender.frames(sender.header(MT.CONNECTION_REQUEST)))
    receiver.unpack(first)  # forgotten, so accepted again


def test_other_protocol_version_is_named(session):
    """A peer with another delimiter gets an error naming both versions."""
    frames = session.frames(session.header(MT.CONNECTION_REQUEST))
    frames[0] = b"<IPC|99>"
    with pytest.raises(ProtocolVersionError, match=r"<IPC\|99>.*<IPC\|1>"):
        session.unpack(frames)


def test_message_without_delimiter_is_rejected(session):
    """Frames with no protocol delimiter are not a message."""
    with pytest.raises(ValueError, match="delimiter"):
        session.unpack([b"a", b"b"])


def test_msg_ids_are_unique_and_carry_the_session(session):
    """Message ids are distinct and start with the session id."""
    ids = {session.new_msg_id() for _ in range(1000)}
    assert 1000 == len(ids)
    assert all(msg_id.startswith(session.session_id) for msg_id in ids)


def test_empty_key_is_refused():
    """Signing cannot be switched off by an empty key."""
    with pytest.raises(ValueError, match="empty key"):
        Session(b"")


def test_zmq_frames_verify_like_bytes(session):
    """Frames received from a real socket verify and expose their buffers."""
    context = zmq.Context()
    a, b = context.socket(zmq.PAIR), context.socket(zmq.PAIR)
    try:
        a.bind("inproc://session-test")
        b.connect("inproc://session-test")
        session.send(a, session.header(MT.STREAM), None, [b"x" * 5000])
        msg = Session(b"secret-key").unpack(b.recv_multipart(copy=False))
        assert b"x" * 5000 == bytes(msg.buffers[0].buffer)
    finally:
        a.close()
        b.close()
        context.term()


def test_bytes_moved_between_header_and_content_are_rejected(session):
    """The frame lengths are signed, so shifting bytes from content to header breaks the signature."""
    header = session.header(MT.CONNECTION_REQUEST).SerializeToString()
    content = registry_pb2.RegistrationRequest(uuid="abc").SerializeToString()
    signature = session.sign(header, content, [])
    assert signature != session.sign(header + content[:2], content[2:], [])


def test_large_buffers_are_signed_by_length_only(session):
    """Out-of-band data above the limit is covered by its length, so pushes are not hashed per hop."""
    from ipcluster.protocol._session import FULLY_SIGNED_LIMIT

    big = bytearray(FULLY_SIGNED_LIMIT + 1)
    frames = session.frames(session.header(MT.APPLY_REQUEST), None, [bytes(big)])
    big[0] = 1
    frames[-1] = bytes(big)
    Session(b"secret-key").unpack(frames)
