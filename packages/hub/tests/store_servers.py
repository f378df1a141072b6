"""A real redis-server and a real MongoDB wire-protocol server (nx-27017), for the tests and the benchmark.

Each runs in the foreground on a free loopback port with its data in a
given folder, is polled until it answers, and is always stopped and waited
for, so no server outlives its user. The context managers raise
ServerFailed; the pytest fixtures below turn that into a failed test.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, closing, contextmanager
from pathlib import Path

import pytest

from ipcluster.protocol import free_ports

START_TIMEOUT = 30.0  # seconds: generous for a loaded two-core machine


class ServerFailed(RuntimeError):
    """A server is missing, exited, or never answered."""


def executable(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ServerFailed(f"{name} is not on PATH: the task-store tests run against a real {name}; "
                           "the README's test command (tools/nox) installs it")
    return path


@contextmanager
def running(command: list[str], log: Path, answers: Callable[[], bool]) -> Iterator[None]:
    """Runs `command` until the block ends, once `answers()` says the server is up."""
    with log.open("ab") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not answers():
            if process.poll() is not None or time.monotonic() > deadline:
                state = f"exited with {process.returncode}" if process.returncode is not None else "never answered"
                raise ServerFailed(f"{command[0]} {state}; its log:\n{log.read_text(errors='replace')}")
            time.sleep(0.05)  # between polls only: readiness is what `answers` reports
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def probe(ping: Callable[[], object], failure: type[Exception]) -> Callable[[], bool]:
    """`running`'s readiness check: whether `ping()` gets through without `failure`."""
    def answers() -> bool:
        try:
            ping()
        except failure:
            return False
        return True
    return answers


@contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    """The URL of a real redis-server that keeps nothing on disk."""
    import redis

    (port,) = free_ports(1)
    url = f"redis://127.0.0.1:{port}/0"
    command = [executable("redis-server"), "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += ["--appendonly", "no", "--dir", str(folder), "--daemonize", "no"]
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    with closing(client), running(command, folder / "redis.log", probe(client.ping, redis.ConnectionError)):
        yield url


@contextmanager
def mongo_server(folder: Path) -> Iterator[str]:
    """The URL of nx-27017, a MongoDB wire-protocol server over SQLite, standing in for mongod."""
    import pymongo
    import pymongo.errors

    (port,) = free_ports(1)
    url = f"mongodb://127.0.0.1:{port}"
    command = [executable("nx-27017"), "--host", "127.0.0.1", "-p", str(port)]
    # its own pid file: nx-27017 writes /tmp/nx_27017.pid by default and refuses a second instance
    command += ["--data-dir", str(folder / "data"), "--log-file", str(folder / "nx.log")]
    command += ["--pid-file", str(folder / "nx.pid")]
    client: pymongo.MongoClient = pymongo.MongoClient(url, serverSelectionTimeoutMS=500)
    # a ping waits up to serverSelectionTimeoutMS for the server
    with closing(client), running(command, folder / "nx.out",
                                  probe(lambda: client.admin.command("ping"), pymongo.errors.PyMongoError)):
        yield url


def _serve(server: Callable[[Path], AbstractContextManager[str]], folder: Path) -> Iterator[str]:
    try:
        with server(folder) as url:
            yield url
    except ServerFailed as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _serve(redis_server, tmp_path_factory.mktemp("redis"))


@pytest.fixture(scope="session")
def mongo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _serve(mongo_server, tmp_path_factory.mktemp("mongo"))
