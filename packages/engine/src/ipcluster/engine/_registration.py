"""Registering with the hub: waiting for its answer, and saying in one line why none came or why it said no."""

from __future__ import annotations

import time
from typing import Any

import zmq
from zmq.utils import monitor as zmq_monitor

from ipcluster.protocol import (
    KEY_MISMATCH,
    KeyMismatch,
    Session,
    handshake_failure,
    header_pb2,
    no_answer,
    refused_at_once,
    url,
)
from ipcluster.protocol import registry_pb2 as reg

MT = header_pb2.MsgType


class RegistrationError(RuntimeError):
    """The controller did not accept this engine, or did not answer in time."""


def await_answer(hub: zmq.Socket, watch: zmq.Socket, timeout: float, info: dict[str, Any], tunnel: Any) -> None:
    """Until the hub answers on `hub`; RegistrationError when the handshake (seen on `watch`, the hub socket's
    monitor, closed here) is refused or `timeout` passes."""
    deadline = time.monotonic() + timeout
    poller = zmq.Poller()
    poller.register(hub, zmq.POLLIN)
    poller.register(watch, zmq.POLLIN)
    shook_hands = False  # a drop after the handshake is a lost controller, which the time-out reports
    refusal = ""  # what a failed handshake through a tunnel means, unless ssh says otherwise
    try:
        while (left := deadline - time.monotonic()) > 0:
            ready = dict(poller.poll(max(1, int(left * 1000))))
            if hub in ready:
                return
            if watch in ready:
                event = zmq_monitor.recv_monitor_message(watch)["event"]
                shook_hands = shook_hands or event == zmq.EVENT_HANDSHAKE_SUCCEEDED
                if not shook_hands:
                    refusal = handshake_failure(event, url(info, "registration"), "engine")
                    if refused_at_once(event, tunnel is not None):
                        raise RegistrationError(refusal)
    finally:
        hub.disable_monitor()
        watch.close(linger=0)
    raise RegistrationError(no_answer("the controller", info, "registration", timeout, tunnel, refusal))


def engine_id_from_reply(session: Session, hub: zmq.Socket, address: str) -> int:
    """The engine id in the hub's answer waiting on `hub`; RegistrationError for a refusal or a foreign answer."""
    try:
        msg = session.unpack(hub.recv_multipart(copy=False))
        if msg.header.msg_type == MT.HUB_ERROR_REPLY:
            raise RegistrationError(f"the controller at {address} refused: {msg.content(reg.HubErrorReply).error}")
        reply = msg.content(reg.RegistrationReply)
    except KeyMismatch:
        raise RegistrationError(KEY_MISMATCH.format(kind="engine")) from None
    except ValueError as exc:  # a replayed signature, another protocol version, an unreadable reply
        raise RegistrationError(f"the controller at {address} sent a message this engine rejects: {exc}") from None
    if not reply.ok:
        raise RegistrationError(f"the controller at {address} refused this engine: {reply.error}")
    return reply.engine_id
