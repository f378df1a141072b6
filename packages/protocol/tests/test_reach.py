"""The one line saying why a controller did not answer: the address tried, and the likely cause."""

import socket

import pytest
import zmq

from ipcluster.protocol import no_answer, refused_at_once
from ipcluster.protocol._addresses import routable_address
from ipcluster.protocol._tunnel import Tunnel

HINT = "or tunnel through an ssh server (ipengine --ssh, Client(sshserver=))"


def info_for(port: int, host: str = "127.0.0.1") -> dict:
    return {"interface": f"tcp://{host}", "registration": port}


def test_nothing_listening_on_loopback_points_at_ip():
    """A loopback address where nothing listens: the controller may be elsewhere, on its own loopback."""
    port = free_port()
    assert (f"no answer from the controller at tcp://127.0.0.1:{port} within 2 s: nothing listens on that port of "
            "this host; a controller started without --ip listens on loopback only, for its own host: start it "
            f"with --ip=* (or --ip=ADDRESS) and copy its new files, {HINT}"
            ) == no_answer("the controller", info_for(port), "registration", 2)


def test_a_refused_address_of_another_interface_asks_if_it_runs_there():
    """A non-loopback address that refuses: is the controller running, and listening on that address?"""
    address = routable_address()
    if address is None:
        pytest.skip("this host has no address but loopback")
    port = free_port()
    assert (f"no answer from the controller at tcp://{address}:{port} within 2 s: the connection was refused: is "
            "the controller running, and listening on that address (--ip)? A firewall may refuse it too; "
            f"{HINT}") == no_answer("the controller", info_for(port, address), "registration", 2)


def test_something_listening_that_does_not_answer_is_not_that_controller():
    """A port that accepts connections but never answers: another controller, or one still starting."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        message = no_answer("the hub", info_for(port), "registration", 1.5)
    assert (f"no answer from the hub at tcp://127.0.0.1:{port} within 1.5 s: something listens there but did not "
            "answer: a controller still starting, or one with another key (a restart without --reuse makes a new "
            "key and new ports)") == message


def test_through_a_tunnel_what_ssh_said_is_the_cause():
    """With a tunnel, the address is the controller's (not the tunnel's end) and ssh's complaint is the cause."""
    tunnel = Tunnel("login", {"registration": ("10.0.0.5", 5555)})
    tunnel._said.append("channel 3: open failed: connect failed: Connection refused")
    assert ("no answer from the controller at tcp://10.0.0.5:5555 through the ssh tunnel via login within 5 s: "
            "ssh said: channel 3: open failed: connect failed: Connection refused"
            ) == no_answer("the controller", info_for(5555, "10.0.0.5"), "registration", 5, tunnel)


def test_through_a_quiet_tunnel_the_question_is_whether_the_server_reaches_it():
    """A tunnel whose ssh said nothing: is the controller running, and reachable from the ssh server?"""
    tunnel = Tunnel("login", {"registration": ("10.0.0.5", 5555)})
    assert ("no answer from the controller at tcp://10.0.0.5:5555 through the ssh tunnel via login within 5 s: "
            "is it running, and can login reach 10.0.0.5:5555? (the controller's --location is the address the "
            "ssh server dials)") == no_answer("the controller", info_for(5555, "10.0.0.5"), "registration", 5, tunnel)


@pytest.mark.parametrize(("event", "tunnelled", "at_once"), [
    (zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL, False, True),
    (zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL, True, False),  # what a tunnel dropping a connection looks like
    (zmq.EVENT_DISCONNECTED, True, False),
    (zmq.EVENT_HANDSHAKE_FAILED_AUTH, True, True),  # a refused key is one however it came
])
def test_a_failed_handshake_through_a_tunnel_waits_for_what_ssh_says(event, tunnelled, at_once):
    """Directly, a failed handshake is a refusal at once; through a tunnel only a refused key is."""
    assert at_once == refused_at_once(event, tunnelled)


def test_a_quiet_tunnel_and_a_failed_handshake_mean_a_refusal():
    """Through a tunnel whose ssh said nothing, a handshake that failed is the cause; ssh's words win over it."""
    tunnel = Tunnel("login", {"registration": ("10.0.0.5", 5555)})
    info = info_for(5555, "10.0.0.5")
    assert "keys do not match" == no_answer("the hub", info, "registration", 5, tunnel, "keys do not match")
    tunnel._said.append("channel 3: open failed: connect failed: Connection refused")
    assert no_answer("the hub", info, "registration", 5, tunnel, "keys do not match").endswith(
        "ssh said: channel 3: open failed: connect failed: Connection refused")


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as server:
        return server.getsockname()[1]
