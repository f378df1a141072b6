"""The scheduler's guard for revoked keys, over real Curve sockets and a real ZAP handler."""

from __future__ import annotations

import structlog
import zmq

from ipcluster.protocol import ControllerSpec, Loop, new_key_pair
from ipcluster.protocol._curve import Gatekeeper, dial, serve, write_keys
from ipcluster.scheduler._revoked import RevokedKeys


def test_messages_of_a_revoked_key_are_dropped_and_others_still_handled(tmp_path):
    """Before any revocation the plain handler runs; after `check` sees alice revoked, hers are dropped, bob's pass."""
    server, alice, bob = new_key_pair(), new_key_pair(), new_key_pair()
    keys_file = tmp_path / "keys.json"
    write_keys(keys_file, {"alice": {"public": alice["public"]}, "bob": {"public": bob["public"]}})
    spec = ControllerSpec(key="k", curve_server=server, curve_keys_file=str(keys_file))
    context = zmq.Context()
    log = structlog.get_logger()
    Gatekeeper(context, RevokedKeys(spec, Loop(), log).allow, log).start()
    router = context.socket(zmq.ROUTER)
    serve(router, server["secret"])
    port = router.bind_to_random_port("tcp://127.0.0.1")
    peers = {}
    for name, pair in (("alice", alice), ("bob", bob)):
        peers[name] = context.socket(zmq.DEALER)
        dial(peers[name], {"serverkey": server["public"], "publickey": pair["public"], "secretkey": pair["secret"]})
        peers[name].connect(f"tcp://127.0.0.1:{port}")
    loop = Loop()
    guard = RevokedKeys(spec, loop, log)
    handled: list[bytes] = []
    guard.add_reader(router, lambda frames: handled.append(frames[-1].bytes))

    def deliver(name: str, body: bytes) -> None:
        peers[name].send(body)
        assert router.poll(5000)
        loop._handlers[router](router.recv_multipart(copy=False))  # what the loop would call

    deliver("alice", b"before")
    write_keys(keys_file, {"alice": {"public": alice["public"], "revoked": True}, "bob": {"public": bob["public"]}})
    guard.check()
    deliver("alice", b"after")
    deliver("bob", b"still")
    assert [b"before", b"still"] == handled
    assert {"alice": 1} == guard.dropped
    for socket in (*peers.values(), router):
        socket.close(linger=0)
    context.term()
