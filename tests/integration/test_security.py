"""Security on one host: CurveZMQ with a key per connection file, an allow-list with revocation, and the
clear refusals a peer gets for a wrong Curve key, no Curve key, or a wrong HMAC key."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from clusters import Cluster, run, wait_until

from ipcluster.client import Client, HubError

CLUSTER = "ipcluster.launchers.cluster"
CURVE = ("--ping=200", "--curve=required")


def keys(cluster: Cluster, *args: str) -> str:
    done = run([CLUSTER, "keys", *args], cluster.env)
    assert 0 == done.returncode, done.stderr
    return done.stdout


def security(cluster: Cluster) -> Path:
    return cluster.profile / "security"


def controller_log(cluster: Cluster) -> list[dict]:
    lines = [line for path in (cluster.profile / "log").glob("*.log") for line in path.read_text().splitlines()]
    return [json.loads(line) for line in lines if line.startswith("{")]


def refused(cluster: Cluster) -> list[str]:
    """The reasons of the controller's logged refusals, once each."""
    return sorted({entry.get("reason", "") for entry in controller_log(cluster)
                   if entry["event"] == "refused a connection"})


def engine_with(cluster: Cluster, path: Path) -> tuple[int, list[str]]:
    done = run(["ipcluster.engine", f"--file={path}", "--timeout=10"], cluster.env)
    return done.returncode, done.stderr.strip().splitlines()


def edited(source: Path, target: Path, **changes: object) -> Path:
    """A copy of a connection file with some entries changed (None: removed)."""
    data = json.loads(source.read_text())
    for name, value in changes.items():
        if value is None:
            data.pop(name)
        else:
            data[name] = value
    target.write_text(json.dumps(data))
    return target


def test_curve_is_off_on_loopback_and_on_beyond_it_by_default(make_cluster):
    """--curve=auto (the default): no keys for a loopback controller; keys for one that listens on every interface."""
    local = make_cluster(n=1)
    with local.client():
        assert "curve" not in json.loads((security(local) / "ipcontroller-client.json").read_text())
    assert 0 == local.stop().returncode
    wide = make_cluster(n=1, controller_args=["--ip=*"], cluster_args=["--profile=wide"])  # no stale file to read
    profile = wide.ipython_dir / "profile_wide"
    with Client(profile_dir=str(profile), timeout=30) as rc:
        rc.wait_for_engines(1, timeout=60)
        assert {"serverkey", "publickey", "secretkey"} == set(
            json.loads((profile / "security/ipcontroller-client.json").read_text())["curve"])
        assert [5] == rc[:].apply_sync(lambda: 5)
    assert 0 == run([CLUSTER, "stop", "--profile=wide"], wide.env).returncode


def test_files_and_the_allow_list_are_readable_by_the_owner_alone(make_cluster):
    """Connection files and the allow-list of a Curve controller are mode 0600."""
    cluster = make_cluster(n=1, controller_args=CURVE)
    with cluster.client():
        names = ["ipcontroller-engine.json", "ipcontroller-client.json", "ipcontroller-keys.json"]
        assert [0o600] * 3 == [stat.S_IMODE((security(cluster) / name).stat().st_mode) for name in names]
    assert 0 == cluster.stop().returncode


def test_a_revoked_client_key_is_refused_and_logged_while_others_work(make_cluster):
    """keys add alice -> her file works; keys revoke alice -> refused in one line, logged; the default file works."""
    cluster = make_cluster(n=2, controller_args=CURVE)
    alice = security(cluster) / "ipcontroller-client-alice.json"
    with cluster.client() as rc:
        assert f"ipcluster: wrote {alice}, a client connection file with its own key 'alice'; " \
               "`ipcluster keys revoke alice` cuts it off\n" == keys(cluster, "add", "alice")
        with Client(alice, timeout=10) as theirs:
            theirs.wait_for_engines(2, timeout=30)
            assert [7, 7] == theirs[:].apply_sync(lambda: 7)
        keys(cluster, "revoke", "alice")
        with pytest.raises(ConnectionError) as refusal:
            Client(alice, timeout=10)
        address = f"tcp://127.0.0.1:{json.loads(alice.read_text())['registration']}"
        assert (f"the controller at {address} refused this connection file's Curve key: it was revoked "
                "(`ipcluster keys list`), or the file is another controller's; get its current client file") == \
            str(refusal.value)
        assert [2, 2] == rc[:].apply_sync(lambda: 2)
    assert ["its key 'alice' was revoked"] == refused(cluster)
    listing = {line.split()[0]: line.split()[1] for line in keys(cluster, "list").splitlines()}
    assert {"alice": "revoked", "client": "allowed", "engines": "allowed"} == listing
    assert 0 == cluster.stop().returncode


def test_engines_with_a_revoked_or_foreign_or_missing_curve_key_are_refused(make_cluster, tmp_path):
    """Engine files with a revoked key, a key never issued, another controller's keys, or none: one line, exit 1."""
    other = make_cluster(n=0, controller_args=CURVE, cluster_args=["--profile=other"])
    other_file = other.ipython_dir / "profile_other/security/ipcontroller-engine.json"
    cluster = make_cluster(n=1, controller_args=CURVE)
    with cluster.client():
        engine_file = security(cluster) / "ipcontroller-engine.json"
        keys(cluster, "add", "bob", "--engine", f"--output={tmp_path / 'bob.json'}")
        keys(cluster, "revoke", "bob")
        address = f"tcp://127.0.0.1:{json.loads(engine_file.read_text())['registration']}"
        refusal = (f"ipengine: the controller at {address} refused this connection file's Curve key: it was revoked "
                   "(`ipcluster keys list`), or the file is another controller's; get its current engine file")
        assert (1, [refusal]) == engine_with(cluster, tmp_path / "bob.json")
        wait_until(other_file.exists, 30, "the other controller's engine file")
        ours, theirs = (json.loads(path.read_text())["curve"] for path in (engine_file, other_file))
        foreign_key = {**theirs, "serverkey": ours["serverkey"]}  # dials us, with a key we never issued
        assert (1, [refusal]) == engine_with(cluster, edited(engine_file, tmp_path / "foreign.json", curve=foreign_key))
        mismatch = (f"ipengine: the encryption handshake with the controller at {address} failed: its CurveZMQ "
                    "setting or keys do not match this connection file's; get its current engine file")
        assert (1, [mismatch]) == engine_with(cluster, edited(engine_file, tmp_path / "theirs.json", curve=theirs))
        assert (1, [mismatch]) == engine_with(cluster, edited(engine_file, tmp_path / "plain.json", curve=None))
    assert ["its key 'bob' was revoked", "its key is not on the allow-list (a connection file of another "
            "controller?)"] == refused(cluster)
    assert 0 == cluster.stop().returncode
    assert 0 == run([CLUSTER, "stop", "--profile=other"], other.env).returncode


def test_a_wrong_hmac_key_is_refused_in_one_line_and_logged(make_cluster, tmp_path):
    """A file whose key is not the controller's: the engine and the client each say so; the hub logs it."""
    cluster = make_cluster(n=1)
    with cluster.client():
        wrong = {"key": "0" * 32}
        mismatch = ("the controller signs its messages with another key than this connection file's (a file of an "
                    "earlier run, or of another controller): get its current {kind} file, or restart it with --reuse")
        engine_file = edited(security(cluster) / "ipcontroller-engine.json", tmp_path / "engine.json", **wrong)
        assert (1, ["ipengine: " + mismatch.format(kind="engine")]) == engine_with(cluster, engine_file)
        with pytest.raises(ConnectionError, match=r"^the controller signs its messages with another key .* client"):
            Client(edited(security(cluster) / "ipcontroller-client.json", tmp_path / "client.json", **wrong),
                   timeout=10)
    events = [entry["event"] for entry in controller_log(cluster) if entry.get("component") == "hub"]
    assert 2 == events.count("refused a message signed with another key (a connection file of another controller?)")
    assert 0 == cluster.stop().returncode


def test_reuse_keeps_curve_keys_and_revocations(make_cluster, tmp_path):
    """After a --reuse restart, a copy of the old client file still works and a revoked key is still refused."""
    cluster = make_cluster(n=1, controller_args=CURVE)
    with cluster.client():
        keys(cluster, "add", "carol")
        keys(cluster, "revoke", "carol")
        old = shutil.copy(security(cluster) / "ipcontroller-client.json", tmp_path / "old-client.json")
    assert 0 == cluster.stop().returncode
    cluster.process.wait(30)
    again = make_cluster(n=1, controller_args=(*CURVE, "--reuse"))
    with again.client(), Client(old, timeout=30) as rc:
        rc.wait_for_engines(1, timeout=30)
        assert [1] == rc[:].apply_sync(lambda: 1)
        with pytest.raises(ConnectionError, match="refused this connection file's Curve key"):
            Client(security(again) / "ipcontroller-client-carol.json", timeout=10)
    assert 0 == again.stop().returncode


def test_keys_of_a_controller_without_curve_is_one_line(make_cluster):
    """`ipcluster keys add` for a controller that does not encrypt says so and how to change it."""
    cluster = make_cluster(n=1)
    with cluster.client():
        done = run([CLUSTER, "keys", "add", "dave"], cluster.env)
    assert (1, ["ipcluster: the controller of profile 'default' does not encrypt, so it has no keys to manage: "
                "start it with --curve=required (or --ip beyond loopback)"]) == \
        (done.returncode, done.stderr.strip().splitlines())
    assert 0 == cluster.stop().returncode


def test_revoking_the_keys_of_a_connected_engine_and_client_takes_effect_at_once(make_cluster, tmp_path):
    """Revoked while connected: the engine is told to leave, and the client is cut off (the scheduler's part,
    dropping what a revoked key sends, is tested in the scheduler's unit tests)."""
    cluster = make_cluster(n=1, controller_args=CURVE)
    with cluster.client() as rc:
        keys(cluster, "add", "worker", "--engine", f"--output={tmp_path / 'worker.json'}")
        keys(cluster, "add", "alice")
        engine = subprocess.Popen([sys.executable, "-m", "ipcluster.engine", f"--file={tmp_path / 'worker.json'}"],
                                  env=cluster.env)
        rc.wait_for_engines(2, timeout=30)
        with Client(security(cluster) / "ipcontroller-client-alice.json", timeout=10) as theirs:
            assert 2 == len(theirs.queue_status()) - 1  # two engines, and "unassigned"
            keys(cluster, "revoke", "worker")
            keys(cluster, "revoke", "alice")
            assert 1 == engine.wait(30)  # the controller unregistered it: it exits, as for a missed heartbeat
            wait_until(lambda: rc.ids == [0], 10, "the revoked engine to be gone")

            def cut_off() -> bool:
                try:
                    theirs.queue_status()
                except (HubError, RuntimeError) as exc:
                    return "this connection file's key 'alice' was revoked" in str(exc)
                return False

            wait_until(cut_off, 10, "alice's client to be cut off")
            with pytest.raises(RuntimeError, match="key 'alice' was revoked: the controller no longer serves it"):
                theirs[0].apply_async(lambda: 1)  # cut off: new work fails at once, nothing waits
        assert [0] == rc[:].apply_sync(lambda: 0)  # everyone else goes on
    log = [entry for entry in controller_log(cluster) if entry["event"] == "engine unregistered"]
    assert ["its key 'worker' was revoked"] == [entry["reason"] for entry in log]
    assert 0 == cluster.stop().returncode
