"""Command-line and config handling of ipcontroller and ipcluster, without starting anything."""

import os

import pytest

from ipcluster.launchers._pidfile import (
    pid_alive,
    process_start_time,
    read_pid_file,
    remove_pid_file,
    write_pid_file,
)
from ipcluster.launchers.cluster import IPClusterStart, main
from ipcluster.launchers.controller import IPControllerApp
from ipcluster.protocol import PORT_NAMES, SPEC_FILE, write_connection_file


@pytest.fixture
def ipython_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path))
    return tmp_path


def controller(argv):
    app = IPControllerApp()
    app.initialize(argv)
    return app


def test_old_hubfactory_config_file_is_honoured(ipython_dir):
    """c.HubFactory.ip in ipcontroller_config.py sets the controller's ip, as the seed documents."""
    profile = ipython_dir / "profile_default"
    profile.mkdir()
    (profile / "ipcontroller_config.py").write_text(
        "c.HubFactory.ip = '*'\nc.HubFactory.location = '10.0.1.5'\nc.TaskScheduler.hwm = 4\n"
    )
    app = controller([])
    assert (app.ip, app.location, app.hwm) == ("*", "10.0.1.5", 4)


def test_command_line_wins_over_config_file(ipython_dir):
    """--ip on the command line overrides the profile's config file."""
    profile = ipython_dir / "profile_default"
    profile.mkdir()
    (profile / "ipcontroller_config.py").write_text("c.HubFactory.ip = '*'\n")
    assert "127.0.0.2" == controller(["--ip=127.0.0.2"]).ip


def test_reuse_keeps_ports_and_key(ipython_dir):
    """--reuse takes the previous spec's ports and key; without it they are fresh."""
    first = controller([])._spec()
    write_connection_file(ipython_dir / "profile_default/security" / SPEC_FILE, first.to_dict())
    reused = controller(["--reuse"])._spec()
    assert (first.ports, first.key) == (reused.ports, reused.key)
    fresh = controller([])._spec()
    assert first.key != fresh.key
    assert set(PORT_NAMES) == set(fresh.ports)


def test_profile_flag_picks_the_profile_folder(ipython_dir):
    """--profile=NAME uses IPYTHONDIR/profile_NAME."""
    app = IPClusterStart()
    app.initialize(["--profile=mpi", "-n", "3"])
    assert (ipython_dir / "profile_mpi", 3) == (app.profile_path.path, app.n)


def test_unknown_subcommand_fails_with_one_line(capsys):
    """A wrong subcommand names the valid ones and exits non-zero."""
    assert 1 == main(["strat"])
    err = capsys.readouterr().err.strip().splitlines()
    assert 1 == len(err)
    assert "start, engines, stop" in err[0]


def test_stop_without_cluster_exits_12(ipython_dir, capsys):
    """ipcluster stop with nothing running says so and exits with ipyparallel's code 12."""
    assert 12 == main(["stop"])
    assert "no cluster is running" in capsys.readouterr().err


def test_pid_file_round_trip_and_ownership(tmp_path):
    """A pid file records this process, and only its writer removes it."""
    path = tmp_path / "x.pid"
    write_pid_file(path, state="running")
    expected = {"pid": os.getpid(), "start_time": process_start_time(os.getpid()), "state": "running"}
    assert expected == read_pid_file(path)
    assert pid_alive(os.getpid())
    remove_pid_file(path)
    assert read_pid_file(path) is None


def test_unknown_scheme_is_a_usage_error(ipython_dir):
    """--scheme with no such policy fails before anything starts, naming the known ones."""
    from ipcluster.protocol._app import UsageError

    with pytest.raises(UsageError, match="leastload"):
        controller(["--scheme=bogus"])._check_scheme()


def test_unknown_option_is_a_usage_error(ipython_dir):
    """A mistyped flag stops the command with one line instead of being ignored."""
    from ipcluster.protocol._app import UsageError

    with pytest.raises(UsageError, match="unknown option --nn"):
        IPClusterStart().initialize(["--nn=3"])
    IPClusterStart().initialize(["-n", "2", "--IPClusterStart.delay=1", "--", "--anything"])


def test_reuse_of_a_damaged_spec_picks_fresh_ports(ipython_dir):
    """--reuse with a spec whose ports are not numbers starts on fresh ports instead of failing to bind."""
    spec = ipython_dir / "profile_default/security" / SPEC_FILE
    spec.parent.mkdir(parents=True)
    write_connection_file(spec, {"key": "k", "ports": dict.fromkeys(PORT_NAMES, "5000")})
    ports = controller(["--reuse"])._spec().ports
    assert set(PORT_NAMES) == set(ports)
    assert all(isinstance(port, int) for port in ports.values())
