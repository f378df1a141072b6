"""On a real wire between two namespace hosts, a pushed string is unreadable with Curve on, and readable without.

The controller runs in host a, listening on every interface; an engine and a client run in host b with
copies of the connection files. A packet capture on a's interface holds everything they said.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import zmq
from clusters import wait_until
from netns import Host

# run in host b: push a string to every engine and read it back, printing what came back as JSON
PUSH_AND_PULL = """
import json, sys
from ipcluster.client import Client
with Client(sys.argv[1], timeout=30) as rc:
    rc.wait_for_engines(1, timeout=30)
    rc[:].push({"secret": sys.argv[2]}, block=True)
    print(json.dumps(rc[:].pull("secret", block=True)))
"""


def start_controller(host: Host, profile: Path, curve: str) -> subprocess.Popen:
    """ipcontroller in `host` on every interface, telling peers the host's address; returns once its files exist."""
    controller = host.popen([sys.executable, "-m", "ipcluster.launchers.controller", f"--profile-dir={profile}",
                             "--ip=*", f"--location={host.address}", f"--curve={curve}", "--log-to-file"])
    wait_until(lambda: (profile / "security/ipcontroller-engine.json").exists() or controller.poll() is not None,
               30, "the controller's connection files")
    assert controller.poll() is None, "the controller exited"
    return controller


def copied(files: list[Path], profile: Path) -> Path:
    """The files copied into another profile's security folder, as a user would copy them to another host."""
    (profile / "security").mkdir(parents=True)
    for path in files:
        shutil.copy(path, profile / "security" / path.name)
    return profile / "security"


@pytest.mark.parametrize(("curve", "readable"), [("auto", False), ("disabled", True)])
def test_a_pushed_string_is_on_the_wire_only_without_curve(make_hosts, tmp_path, curve, readable):
    """--ip=* turns Curve on (auto): the capture holds no trace of the string; --curve=disabled: it does."""
    hosts = make_hosts("a", "b")
    marker = f"secret-{secrets.token_hex(8)}"
    security = tmp_path / "a" / "security"
    controller = start_controller(hosts["a"], tmp_path / "a", curve)
    remote = copied([security / "ipcontroller-engine.json", security / "ipcontroller-client.json"], tmp_path / "b")
    assert ("curve" in json.loads((remote / "ipcontroller-client.json").read_text())) is not readable
    engine = hosts["b"].popen([sys.executable, "-m", "ipcluster.engine", f"--profile-dir={tmp_path / 'b'}"])
    with hosts["a"].capture() as capture:
        client = hosts["b"].run([sys.executable, "-c", PUSH_AND_PULL, str(remote / "ipcontroller-client.json"),
                                 marker], timeout=90)
    assert 0 == client.returncode, client.stderr
    assert [marker] == json.loads(client.stdout)
    assert readable == (marker.encode() in capture.data)
    assert len(capture.data) > 10_000  # the capture did see the session's traffic
    for process in (engine, controller):
        process.terminate()
        process.wait(30)


def test_engines_on_another_host_with_a_wrong_key_are_refused_and_logged_with_their_address(make_hosts, tmp_path):
    """From host b: an engine file with an unissued Curve key, and one with another HMAC key, are each refused in
    one line; the controller on host a logs both with b's address."""
    hosts = make_hosts("a", "b")
    controller = start_controller(hosts["a"], tmp_path / "a", "auto")
    engine_file = tmp_path / "a/security/ipcontroller-engine.json"
    info = json.loads(engine_file.read_text())
    public, secret = (key.decode() for key in zmq.curve_keypair())  # a key pair the controller never issued
    stranger = {**info, "curve": {**info["curve"], "publickey": public, "secretkey": secret}}
    wrong_hmac = {**info, "key": "0" * 32}
    address = f"tcp://{hosts['a'].address}:{info['registration']}"
    lines = {}
    for name, content in (("stranger", stranger), ("wrong-hmac", wrong_hmac)):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(content))
        done = hosts["b"].run([sys.executable, "-m", "ipcluster.engine", f"--file={path}", "--timeout=10"])
        lines[name] = (done.returncode, done.stderr.strip().splitlines())
    assert (1, [f"ipengine: the controller at {address} refused this connection file's Curve key: it was revoked "
                "(`ipcluster keys list`), or the file is another controller's; get its current engine file"]) == \
        lines["stranger"]
    assert (1, ["ipengine: the controller signs its messages with another key than this connection file's (a file "
                "of an earlier run, or of another controller): get its current engine file, or restart it with "
                "--reuse"]) == lines["wrong-hmac"]
    log = [json.loads(line) for path in (tmp_path / "a/log").glob("hub-*.log")
           for line in path.read_text().splitlines()]
    assert {hosts["b"].address} == {entry["address"] for entry in log if entry["event"] == "refused a connection"}
    assert 1 <= sum(entry["event"].startswith("refused a message signed with another key") for entry in log)
    controller.terminate()
    controller.wait(30)
