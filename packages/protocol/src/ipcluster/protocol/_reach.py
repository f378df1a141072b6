"""Why a controller did not answer: one line naming the address tried and the likely cause.

ZMQ retries silently whatever goes wrong, so once the wait is over a plain TCP connect tells the
cases apart: refused (nothing listens there), timed out (a firewall drops it), or accepted (it
listens, but is not the controller this file describes). Through an ssh tunnel, what ssh said.
"""

from __future__ import annotations

import socket
from typing import Any

import zmq

from ipcluster.protocol._addresses import is_loopback
from ipcluster.protocol._connection import url
from ipcluster.protocol._tunnel import Tunnel

PROBE_TIMEOUT = 1.0
TUNNEL_HINT = "or tunnel through an ssh server (ipengine --ssh, Client(sshserver=))"


def refused_at_once(handshake_event: int, tunnelled: bool) -> bool:
    """Whether a failed handshake with the hub (a monitor event before any success) is a refusal to report now.

    Through an ssh tunnel it may not be: ssh accepts every connection, then drops it mid-handshake when its
    server cannot connect on. Only what ssh said, once the wait is over, tells the two apart (`no_answer`);
    a key the controller refused is unmistakable either way.
    """
    return not tunnelled or handshake_event == zmq.EVENT_HANDSHAKE_FAILED_AUTH


def no_answer(who: str, info: dict[str, Any], name: str, seconds: float, tunnel: Tunnel | None = None,
              refusal: str = "") -> str:
    """`who` did not answer on socket `name` of connection file `info` (the controller's addresses, not a
    tunnel's local ones) within `seconds`. `refusal`: what a handshake through the tunnel that failed
    would mean if ssh said nothing (see `refused_at_once`)."""
    address = url(info, name)
    host, port = info["interface"].split("://", 1)[1], info[name]
    if tunnel is not None:
        said = tunnel.complaint()
        if refusal and not said:
            return refusal
        cause = f"ssh said: {said}" if said else (f"is it running, and can {tunnel.server} reach {host}:{port}? "
                                                  "(the controller's --location is the address the ssh server dials)")
        return f"no answer from {who} at {address} through the ssh tunnel via {tunnel.server} within {seconds:g} s: " \
               f"{cause}"
    return f"no answer from {who} at {address} within {seconds:g} s: {_cause(host, port)}"


def _cause(host: str, port: int) -> str:
    try:
        socket.create_connection((host, port), timeout=PROBE_TIMEOUT).close()
    except ConnectionRefusedError:
        if is_loopback(host):
            return ("nothing listens on that port of this host; a controller started without --ip listens on "
                    "loopback only, for its own host: start it with --ip=* (or --ip=ADDRESS) and copy its new "
                    f"files, {TUNNEL_HINT}")
        return ("the connection was refused: is the controller running, and listening on that address (--ip)? "
                f"A firewall may refuse it too; {TUNNEL_HINT}")
    except TimeoutError:
        return ("connections to it time out: a firewall may drop them, or the address is wrong (--location); "
                f"{TUNNEL_HINT}")
    except OSError as exc:  # no route, say
        return f"cannot connect to it ({exc.strerror or exc}): is the address right (--location)? {TUNNEL_HINT}"
    return ("something listens there but did not answer: a controller still starting, or one with another key "
            "(a restart without --reuse makes a new key and new ports)")
