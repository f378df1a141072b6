"""Connection and spec files that are not what they should be: one clear ConnectionFileError."""

import json

import pytest

from ipcluster.protocol import PORT_NAMES, ConnectionFileError, ControllerSpec, read_connection_file
from ipcluster.protocol._service import run_service

PORTS = dict(zip(PORT_NAMES, range(5000, 5000 + len(PORT_NAMES)), strict=True))


@pytest.mark.parametrize(("text", "problem"), [
    ("[1, 2]", "array"),
    ('"a key"', "string"),
    ("{}", '"key"'),
    ('{"key": 5}', '"key"'),
    ('{"key": "k", "curve": {"serverkey": "short"}}', '"curve" should hold serverkey, publickey, secretkey'),
    ('{"key": "k", "curve": "on"}', '"curve" should hold'),
])
def test_a_file_that_is_not_a_connection_object_is_refused(tmp_path, text, problem):
    """A JSON array or string, an object without a string key, or damaged Curve keys: a ConnectionFileError naming
    the file."""
    path = tmp_path / "ipcontroller-engine.json"
    path.write_text(text)
    with pytest.raises(ConnectionFileError, match=problem) as error:
        read_connection_file(path)
    assert str(path) in str(error.value)


def test_ports_a_caller_needs_must_be_numbers(tmp_path):
    """A caller naming the ports it dials gets an error naming a missing or non-numeric one."""
    path = tmp_path / "f.json"
    path.write_text(json.dumps({"key": "k", "interface": "tcp://127.0.0.1", "registration": "5000"}))
    with pytest.raises(ConnectionFileError, match="registration, mux"):
        read_connection_file(path, ports=("registration", "mux"))


def test_a_caller_naming_ports_needs_the_interface(tmp_path):
    """Ports without the interface to dial them on are refused as well."""
    path = tmp_path / "f.json"
    path.write_text(json.dumps({"key": "k", "registration": 5000}))
    with pytest.raises(ConnectionFileError, match="interface"):
        read_connection_file(path, ports=("registration",))


@pytest.mark.parametrize(("data", "problem"), [
    ([], "not a JSON object"),
    ({"ports": PORTS}, '"key"'),
    ({"key": "k"}, "ports"),
    ({"key": "k", "ports": [1, 2]}, "ports"),
    ({"key": "k", "ports": {**PORTS, "admin": None}}, "admin"),
    ({"key": "k", "ports": PORTS, "hwm": "one"}, "hwm"),
])
def test_a_spec_lacking_key_or_ports_is_refused(data, problem):
    """ControllerSpec.from_dict names what a spec lacks instead of a TypeError or KeyError later."""
    with pytest.raises(ConnectionFileError, match=problem):
        ControllerSpec.from_dict(data, source="spec.json")


def test_a_complete_spec_is_accepted():
    """A spec with every port and the right types reads back unchanged."""
    spec = ControllerSpec(key="k", ports=dict(PORTS))
    assert spec == ControllerSpec.from_dict(spec.to_dict())


def test_service_with_a_spec_without_ports_exits_with_one_line(tmp_path, capsys):
    """ipcluster-hub with a spec lacking ports prints one line naming the file and exits 1, starting nothing."""
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"key": "k"}))

    def factory(*_):
        raise AssertionError("the service must not start")

    assert 1 == run_service("hub", factory, [f"--spec={spec}", f"--profile-dir={tmp_path / 'profile'}"])
    err = capsys.readouterr().err.strip().splitlines()
    assert 1 == len(err)
    assert str(spec) in err[0]


def test_service_with_an_unusable_profile_dir_exits_with_one_line(tmp_path, capsys):
    """A --profile-dir that cannot be created is one line naming it and exit 1."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert 1 == run_service("hub", lambda *_: None, [f"--profile-dir={blocker / 'profile'}"])
    err = capsys.readouterr().err.strip().splitlines()
    assert 1 == len(err)
    assert str(blocker) in err[0]
