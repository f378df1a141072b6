"""The programs that netns tests run inside their hosts: a ZMQ echo server, a ZMQ asker and a TCP prober.

    netns_peers.py serve URL                      REP: answers every message with b"echo: " + message
    netns_peers.py ask URL MESSAGE TIMEOUT_MS      REQ: prints the answer; exit 1 with "timeout" if none came
    netns_peers.py connect ADDRESS PORT TIMEOUT_S  prints "connected", "refused" or "timeout"
"""

from __future__ import annotations

import socket
import sys

import zmq


def serve(url: str) -> None:
    server = zmq.Context.instance().socket(zmq.REP)
    server.bind(url)
    while True:
        server.send(b"echo: " + server.recv())


def ask(url: str, message: str, timeout_ms: int) -> int:
    asker = zmq.Context.instance().socket(zmq.REQ)
    asker.linger = 0  # a question nobody received must not keep the process alive
    asker.connect(url)
    asker.send(message.encode())
    if not asker.poll(timeout_ms):
        print("timeout")
        return 1
    print(asker.recv().decode())
    return 0


def connect(address: str, port: int, timeout_s: float) -> None:
    try:
        socket.create_connection((address, port), timeout=timeout_s).close()
        print("connected")
    except ConnectionRefusedError:
        print("refused")
    except TimeoutError:
        print("timeout")


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "serve":
        serve(args[0])
    elif command == "ask":
        sys.exit(ask(args[0], args[1], int(args[2])))
    else:
        connect(args[0], int(args[1]), float(args[2]))
