"""tcpdump inside a namespace host, so a test can look for (or rule out) plaintext on the wire.

The capture is live before the `with` body runs (tcpdump says "listening on" once its socket is open), and at
the end a marker datagram is sent across the interface and awaited in the file before tcpdump is stopped:
packets are written in the order they were seen, so everything the body sent is on disk by then.
"""

from __future__ import annotations

import os
import secrets
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from clusters import wait_until

if TYPE_CHECKING:
    from netns import Host

CAPTURE_WAIT = 10
SEND_DATAGRAM = """\
import socket, sys
sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sender.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
sender.sendto(sys.argv[2].encode(), (sys.argv[1], 9))
"""


@dataclass
class Capture:
    """Where the capture is written; `data` holds the whole pcap file once the `with` block has ended."""

    path: Path
    data: bytes = b""


def read_until(stream: IO[bytes], text: bytes, timeout: float) -> bytes:
    """What a pipe gave until `text` appeared in it; fails at end of stream or after `timeout`."""
    seen = b""
    deadline = time.monotonic() + timeout
    while text not in seen:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"timed out after {timeout} s waiting for {text!r}; got {seen!r}"
        if select.select([stream], [], [], remaining)[0]:
            chunk = os.read(stream.fileno(), 4096)
            assert chunk, f"stream ended before {text!r}; got {seen!r}"
            seen += chunk
    return seen


def send_marker(host: Host, interface: str, marker: str) -> None:
    """A datagram that crosses the interface: to the subnet's broadcast address, or to loopback for lo."""
    destination = "127.0.0.1" if interface == "lo" else str(host.network.subnet.broadcast_address)
    result = host.run([sys.executable, "-c", SEND_DATAGRAM, destination, marker])
    assert 0 == result.returncode, result.stderr


@contextmanager
def capture(host: Host, interface: str) -> Iterator[Capture]:
    """Capture every packet on the host's interface while the `with` block runs."""
    directory = host.network.workdir / host.name
    directory.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(prefix=f"{interface}-", suffix=".pcap", dir=directory)
    os.close(descriptor)
    result = Capture(Path(name))
    # -U: each packet is written when seen; --immediate-mode: seen at once, not per buffer timeout;
    # -Z root: tcpdump would otherwise drop to a user that cannot write into the private temp dir
    process = host.popen(["tcpdump", "-i", interface, "-n", "-U", "--immediate-mode", "-Z", "root", "-w", name],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    try:
        read_until(process.stderr, b"listening on", CAPTURE_WAIT)
        yield result
        marker = f"end of capture {secrets.token_hex(8)}"
        send_marker(host, interface, marker)
        wait_until(lambda: marker.encode() in result.path.read_bytes(), CAPTURE_WAIT, "the capture's end marker")
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=CAPTURE_WAIT)
        result.data = result.path.read_bytes()
