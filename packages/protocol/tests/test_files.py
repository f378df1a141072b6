"""Connection files and the profile directory layout."""

import json
import stat

import pytest

from ipcluster.protocol import (
    PORT_NAMES,
    ConnectionFileError,
    ControllerSpec,
    ProfileDir,
    free_ports,
    read_connection_file,
    url,
    write_connection_file,
)


def test_profile_layout_under_ipythondir(tmp_path, monkeypatch):
    """A profile lives at IPYTHONDIR/profile_<name> with security, log, pid and startup folders."""
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path))
    profile = ProfileDir.locate("mpi")
    assert tmp_path / "profile_mpi" == profile.path
    assert "mpi" == profile.name
    for folder in (profile.security, profile.log, profile.pid, profile.path / "startup"):
        assert folder.is_dir()
    assert 0o700 == stat.S_IMODE(profile.security.stat().st_mode)


def test_profile_dir_overrides_the_name(tmp_path):
    """An explicit profile folder is used as given."""
    assert tmp_path / "mine" == ProfileDir.locate("ignored", tmp_path / "mine").path


def test_connection_file_is_private_and_round_trips(tmp_path):
    """Connection files are written with mode 0600 and read back equal."""
    path = tmp_path / "ipcontroller-client.json"
    write_connection_file(path, {"key": "k", "version": 1})
    assert 0o600 == stat.S_IMODE(path.stat().st_mode)
    assert {"key": "k", "version": 1} == read_connection_file(path)


def test_missing_connection_file_says_what_to_do(tmp_path):
    """The error for a missing file names it and says to start a controller."""
    with pytest.raises(ConnectionFileError, match="start a controller"):
        read_connection_file(tmp_path / "nope.json")


def test_connection_file_of_another_version_is_refused(tmp_path):
    """A file written by another protocol version is rejected with the reason."""
    path = tmp_path / "f.json"
    path.write_text(json.dumps({"version": 99}))
    with pytest.raises(ConnectionFileError, match="protocol version 99"):
        read_connection_file(path)


def test_engine_and_client_files_hold_their_own_ports():
    """Engines get the engine-side ports, clients the client-side ones, both the key."""
    spec = ControllerSpec(key="k", ports=dict(zip(PORT_NAMES, range(5000, 5000 + len(PORT_NAMES)), strict=True)))
    engine, client = spec.engine_info(), spec.client_info()
    assert spec.ports["mux_engine"] == engine["mux"]
    assert spec.ports["mux_client"] == client["mux"]
    assert "k" == engine["key"] == client["key"]
    assert f"tcp://127.0.0.1:{spec.ports['registration']}" == client["url"] == url(client, "registration")
    assert "hb_ping" in engine and "hb_ping" not in client
    assert spec == ControllerSpec.from_dict(spec.to_dict())


def test_free_ports_are_distinct():
    """Ports handed out together never collide."""
    ports = free_ports(20)
    assert 20 == len(set(ports))
