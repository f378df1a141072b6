"""This host's own IPv4 addresses: what a controller listening on every interface tells other hosts to dial.

No name service is asked: the host name often resolves to 127.0.1.1, or (in a container or a network
namespace) to an address of another network stack entirely.
"""

from __future__ import annotations

import fcntl
import ipaddress
import socket
import struct
import sys

# a documentation address (TEST-NET-1): a UDP connect to it only asks the kernel for a route; nothing is sent
_OUTSIDE = ("192.0.2.1", 9)
_SIOCGIFADDR = 0x8915  # Linux: an interface's IPv4 address


def is_loopback(host: str) -> bool:
    """Whether `host` (an address, or "localhost") can only be dialled from its own host."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def routable_address() -> str | None:
    """The address other hosts can reach this one at, or None when it has only loopback.

    First the source address of the route outside (the default route's interface), then the first
    interface with an address: a host on an isolated network has no default route.
    """
    candidates = [_route_source(), *_interface_addresses()]
    return next((address for address in candidates if address and not is_loopback(address)), None)


def _route_source() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(_OUTSIDE)
        except OSError:  # no route out
            return None
        return probe.getsockname()[0]


def _interface_addresses() -> list[str]:
    """The IPv4 address of each interface that has one, in interface order (Linux only; elsewhere none)."""
    if not sys.platform.startswith("linux"):
        return []
    found = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as query:
        for _, name in socket.if_nameindex():
            request = struct.pack("256s", name.encode()[:15])
            try:
                reply = fcntl.ioctl(query.fileno(), _SIOCGIFADDR, request)
            except OSError:  # no IPv4 address on this interface
                continue
            found.append(socket.inet_ntoa(reply[20:24]))
    return found
