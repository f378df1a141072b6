"""Raw pyzmq floors: what the same traffic costs with no framework at all.

Two shapes, each with worker processes that echo (mode ``e``) or acknowledge
(mode ``a``) what they get:

* direct: the client's DEALER talks straight to each worker's ROUTER;
* broker: client DEALER -> broker ROUTER | ROUTER -> worker DEALER and back,
  the hops a load-balancing scheduler adds. Client messages carry a target
  frame first: empty for round-robin, or a worker's index.

Run as ``python floors.py worker|broker ...``; `Floor` starts and drives them.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import psutil
import zmq

PAYLOAD = b"x" * 100  # about the size of a small serialized task
LOCAL = "tcp://127.0.0.1"


def _socket(context: zmq.Context, kind: int) -> zmq.Socket:
    sock = context.socket(kind)
    sock.sndhwm = sock.rcvhwm = 0
    sock.linger = 0
    return sock


def worker_main(broker_url: str | None) -> None:
    """Echo or acknowledge forever: a ROUTER bound here (direct) or a DEALER dialing the broker."""
    context = zmq.Context()
    if broker_url is None:
        sock = _socket(context, zmq.ROUTER)
        port = sock.bind_to_random_port(LOCAL)
        print(f"{LOCAL}:{port}", flush=True)
    else:
        sock = _socket(context, zmq.DEALER)
        sock.connect(broker_url)
        sock.send(b"READY")
    while True:
        frames = sock.recv_multipart(copy=False)
        if frames[1].bytes == b"a":
            sock.send(frames[0], zmq.SNDMORE, copy=False)
            sock.send(b"ok")
        else:
            sock.send_multipart(frames, copy=False)


def broker_main(n_workers: int) -> None:
    """Forward client requests to workers (round-robin or by index) and replies back."""
    context = zmq.Context()
    front, back = _socket(context, zmq.ROUTER), _socket(context, zmq.ROUTER)
    urls = [f"{LOCAL}:{sock.bind_to_random_port(LOCAL)}" for sock in (front, back)]
    print(*urls, flush=True)
    workers = [back.recv_multipart()[0] for _ in range(n_workers)]
    print("ready", flush=True)
    poller = zmq.Poller()
    poller.register(front, zmq.POLLIN)
    poller.register(back, zmq.POLLIN)
    turn = 0
    while True:
        for sock, _ in poller.poll():
            while True:  # drain what is there before polling again, as a scheduler would
                try:
                    frames = sock.recv_multipart(zmq.NOBLOCK, copy=False)
                except zmq.Again:
                    break
                if sock is back:
                    front.send_multipart(frames[1:], copy=False)
                    continue
                client, target, *rest = frames
                if target.bytes:
                    worker = workers[int(target.bytes)]
                else:
                    worker, turn = workers[turn], (turn + 1) % n_workers
                back.send_multipart([worker, client, *rest], copy=False)


def _spawn(*args: str) -> tuple[subprocess.Popen, str]:
    """Start this file in a mode; returns the process and its first line (its address)."""
    process = subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline().strip()
    if not line:
        raise RuntimeError(f"floors.py {' '.join(args)} exited before printing its address")
    return process, line


class Floor:
    """Started workers (and broker), and the client sockets that measure them."""

    def __init__(self, kind: str, n_workers: int = 2):
        if kind not in ("direct", "broker"):
            raise ValueError(kind)
        self.kind = kind
        self.context = zmq.Context()
        self.children: list[subprocess.Popen] = []
        self.broker: subprocess.Popen | None = None
        if kind == "direct":
            urls = []
            for _ in range(n_workers):
                process, url = _spawn("worker")
                self.children.append(process)
                urls.append(url)
            self.targeted = [self._dealer(url) for url in urls]
            self.shared = self._dealer(*urls)  # DEALER round-robins over both workers
            self.prefix: list[bytes] = []
        else:
            self.broker, line = _spawn("broker", str(n_workers))
            self.children.append(self.broker)
            front, back = line.split()
            self.children += [subprocess.Popen([sys.executable, __file__, "worker", back]) for _ in range(n_workers)]
            if self.broker.stdout.readline().strip() != "ready":
                raise RuntimeError("the floor broker did not see its workers")
            self.shared = self._dealer(front)
            self.targeted = [self.shared] * n_workers
            self.prefix = [b""]
        for sock in {id(s): s for s in [self.shared, *self.targeted]}.values():
            for _ in range(n_workers):  # every connection is up once these come back
                sock.send_multipart([*self.prefix, b"e", PAYLOAD])
                sock.recv_multipart()

    def _dealer(self, *urls: str) -> zmq.Socket:
        sock = _socket(self.context, zmq.DEALER)
        for url in urls:
            sock.connect(url)
        return sock

    def processes(self) -> list[psutil.Process]:
        return [psutil.Process(child.pid) for child in self.children]

    def broker_processes(self) -> list[psutil.Process]:
        return [psutil.Process(self.broker.pid)] if self.broker else []

    def echo_latencies(self, n: int) -> list[float]:
        """Seconds for each of `n` one-at-a-time round trips."""
        sock, message = self.targeted[0], [*self.prefix, b"e", PAYLOAD]
        samples = []
        for _ in range(n):
            start = time.perf_counter()
            sock.send_multipart(message)
            sock.recv_multipart()
            samples.append(time.perf_counter() - start)
        return samples

    def echo_pipelined(self, n: int, window: int = 1000) -> float:
        """Seconds to get `n` echoes back, with at most `window` in flight, spread over the workers."""
        sock, message = self.shared, [*self.prefix, b"e", PAYLOAD]
        sent = received = 0
        start = time.perf_counter()
        while received < n:
            while sent < n and sent - received < window:
                sock.send_multipart(message)
                sent += 1
            sock.recv_multipart()
            received += 1
        return time.perf_counter() - start

    def push(self, buffer: memoryview) -> float:
        """Seconds to send `buffer` (zero-copy) to every worker and hear each one's acknowledgement."""
        start = time.perf_counter()
        for index, sock in enumerate(self.targeted):
            target = [str(index).encode()] if self.prefix else []
            sock.send_multipart([*target, b"a", buffer], copy=False)
        for sock in self.targeted:
            sock.recv_multipart()
        return time.perf_counter() - start

    def close(self) -> None:
        for child in self.children:
            child.kill()
            child.wait()
        self.context.destroy(linger=0)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["worker", "broker"])
    parser.add_argument("arg", nargs="?", help="worker: the broker's backend address; broker: how many workers")
    options = parser.parse_args()
    try:
        if options.mode == "worker":
            worker_main(options.arg)
        else:
            broker_main(int(options.arg))
    except KeyboardInterrupt:
        pass
