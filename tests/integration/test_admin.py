"""The gRPC admin service and `ipcluster status`: a token from the client file, TLS when configured, and the
RPCs that look up tasks, stop an engine and shut the controller down."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import grpc
import psutil
import pytest
from clusters import Cluster, run, wait_until

from ipcluster.protocol import ADMIN_TOKEN_METADATA
from ipcluster.protocol.pb import admin_pb2, admin_pb2_grpc

CLUSTER = "ipcluster.launchers.cluster"


def client_file(cluster: Cluster) -> dict:
    return json.loads((cluster.profile / "security/ipcontroller-client.json").read_text())


@contextmanager
def admin(cluster: Cluster) -> Iterator[tuple[admin_pb2_grpc.AdminStub, dict]]:
    """A stub of the cluster's admin service, and the keyword arguments (token, time-out) of each call."""
    info = client_file(cluster)
    with grpc.insecure_channel(info["admin_address"]) as channel:
        yield admin_pb2_grpc.AdminStub(channel), {"metadata": [(ADMIN_TOKEN_METADATA, info["admin_token"])],
                                                  "timeout": 10}


def status(cluster: Cluster, *args: str) -> subprocess.CompletedProcess:
    return run([CLUSTER, "status", *args], cluster.env)


def test_status_shows_health_engines_and_queues(make_cluster):
    """`ipcluster status` prints the controller's state and one line per engine; --output=json the same as data."""
    cluster = make_cluster(n=2)
    with cluster.client() as rc:
        rc[:].apply_sync(lambda: 1)
        pids = sorted(rc[:].apply_sync(__import__("os").getpid))
        shown = status(cluster, "--output=json")
        assert 0 == shown.returncode, shown.stderr
        data = json.loads(shown.stdout)
        assert ("ok", "DictDB", False, 0) == (data["status"], data["task_store"], data["encrypted"],
                                              data["unassigned_tasks"])
        assert ([0, 1], pids, [0, 0]) == ([e["id"] for e in data["engines"]], sorted(e["pid"] for e in data["engines"]),
                                          [e["queue"] for e in data["engines"]])
        assert all(engine["completed"] >= 1 for engine in data["engines"])
        text = status(cluster).stdout.splitlines()
        assert text[0].startswith("profile default: controller ok, up ")
        assert "2 engines, task store DictDB, not encrypted, 0 tasks waiting for an engine" in text[0]
        assert ["id", "host", "pid", "queue", "completed"] == text[1].split()
        assert 4 == len(text)
    assert 0 == cluster.stop().returncode


def test_status_without_a_controller_is_one_line(make_cluster, ipython_dir):
    """No client file: exit 12 and one line; a controller that stopped: exit 1 naming the address it tried."""
    env = {"IPYTHONDIR": str(ipython_dir), "PATH": "/usr/bin:/bin"}
    nothing = run([CLUSTER, "status"], env)
    assert 12 == nothing.returncode
    assert [f"ipcluster: no controller for profile 'default': no connection file at {ipython_dir}/profile_default/"
            "security/ipcontroller-client.json: start a controller first (ipcluster start or ipcontroller)"] == \
        nothing.stderr.splitlines()
    cluster = make_cluster(n=1)
    with cluster.client():
        address = client_file(cluster)["admin_address"]
    assert 0 == cluster.stop().returncode
    gone = status(cluster, "--timeout=1")
    assert (1, [f"ipcluster: no answer from the controller's admin service at {address} within 1 s: is the "
                "controller of profile 'default' running? (`ipcluster start`)"]) == \
        (gone.returncode, gone.stderr.splitlines())


def test_task_lookup_and_stop_engine_and_shutdown(make_cluster):
    """TaskLookup finds a finished task's engine and status; StopEngine ends that engine's process; Shutdown
    stops the controller, and with it ipcluster."""
    cluster = make_cluster(n=2)
    with cluster.client() as rc, admin(cluster) as (stub, token):
        result = rc[1].apply_async(lambda: 2)
        result.get(timeout=30)
        wait_until(lambda: stub.TaskLookup(admin_pb2.TaskLookupRequest(msg_ids=result.msg_ids), **token)
                   .tasks[0].status == "ok", 10, "the hub to record the task")
        [task] = stub.TaskLookup(admin_pb2.TaskLookupRequest(msg_ids=result.msg_ids), **token).tasks
        assert (1, "mux", "") == (task.engine_id, task.queue, task.error)
        assert 0 < task.submitted <= task.completed
        engine = psutil.Process(rc[1].apply_sync(__import__("os").getpid))
        stub.StopEngine(admin_pb2.StopEngineRequest(engine_id=1), **token)
        engine.wait(30)
        wait_until(lambda: rc.ids == [0], 10, "the client to see engine 1 leave")
        stub.Shutdown(admin_pb2.ShutdownRequest(), **token)
    assert 0 == cluster.process.wait(30)


def test_admin_beyond_loopback_needs_tls(make_cluster, ipython_dir):
    """admin_ip=* without certificates is refused in one line: the token would travel in clear."""
    done = run(["ipcluster.launchers.controller", "--IPControllerApp.admin_ip=*"],
               {"IPYTHONDIR": str(ipython_dir), "PATH": "/usr/bin:/bin"})
    assert (1, ["ipcontroller: admin_ip='*' listens beyond loopback, where the admin token would travel in clear: "
                "set admin_certfile and admin_keyfile (TLS), or keep 127.0.0.1"]) == \
        (done.returncode, done.stderr.splitlines())


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, made by openssl."""
    cert, key = tmp_path / "admin.crt", tmp_path / "admin.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=ipcluster-admin",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True, timeout=30)
    return cert, key


def test_status_over_tls(make_cluster, certificate):
    """With admin_certfile/keyfile the service speaks TLS only: status verifies it with the file's certificate."""
    cert, key = certificate
    cluster = make_cluster(n=1, controller_args=["--IPControllerApp.admin_ip=*",
                                                 f"--IPControllerApp.admin_certfile={cert}",
                                                 f"--IPControllerApp.admin_keyfile={key}"])
    with cluster.client():
        info = client_file(cluster)
        assert cert.read_text() == info["admin_cert"]
        shown = status(cluster, "--output=json")
        assert (0, 1) == (shown.returncode, len(json.loads(shown.stdout)["engines"])), shown.stderr
        with grpc.insecure_channel(info["admin_address"]) as plain, pytest.raises(grpc.RpcError):  # no TLS: no answer
            admin_pb2_grpc.AdminStub(plain).Health(admin_pb2.HealthRequest(), timeout=2,
                                                   metadata=[(ADMIN_TOKEN_METADATA, info["admin_token"])])
    assert 0 == cluster.stop().returncode
