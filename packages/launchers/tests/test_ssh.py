"""The SSH launchers' settings, and the remote script run by a local shell in place of ssh (the integration
tests run it through a real sshd)."""

import shlex
import signal
import sys
import time

import pytest
from traitlets.config import Config

from ipcluster.launchers import _remote
from ipcluster.launchers._remote import RemoteProcess, SSHError
from ipcluster.launchers.ssh import SSHControllerLauncher, SSHEngineSetLauncher

# runs the command as sshd would, with the host ignored: `sh -c COMMAND`
LOCAL_SSH = ["sh", "-c", 'exec sh -c "$2"', "ssh"]


def program(process: RemoteProcess) -> list[str]:
    """The program the remote script runs: its arguments after the script's name."""
    words = shlex.split(process.argv[-1])
    return words[words.index("ipcluster-ssh") + 1:]


def config(**sections) -> Config:
    return Config({name: Config(values) for name, values in sections.items()})


def test_engines_gives_each_host_its_count_and_arguments(tmp_path):
    """A count uses engine_args, (count, args) its own; ipcluster's arguments come first and yield to a host's."""
    engines = SSHEngineSetLauncher(tmp_path, 8, ["--timeout=30", "--log-level=info"], config=config(
        SSHEngineSetLauncher={"engines": {"host1": 2, "me@host2": (1, ["--timeout=60"])}, "engine_args": ["--debug"]},
        SSHLauncher={"user": "you", "remote_python": "/opt/py"},
    ))
    assert 3 == engines.n
    assert ["you@host1", "you@host1", "me@host2"] == [member.host for member in engines.members.processes]
    ours = ["/opt/py", "-m", "ipcluster.engine", f"--profile-dir={tmp_path}", "--log-to-file", "--die-with-parent"]
    assert [*ours, "--timeout=30", "--log-level=info", "--debug"] == program(engines.members.processes[0])
    assert [*ours, "--log-level=info", "--timeout=60"] == program(engines.members.processes[2])


def test_no_engines_setting_runs_n_on_hostname(tmp_path):
    """With engines empty, ipcluster's n engines run on hostname."""
    engines = SSHEngineSetLauncher(tmp_path, 2, config=config(SSHLauncher={"hostname": "node7"}))
    assert ["node7", "node7"] == [member.host for member in engines.members.processes]


@pytest.mark.parametrize("value", [-1, "2", (2,), (2, "--debug"), True])
def test_a_bad_engines_value_names_the_host(tmp_path, value):
    """An engines value that is no count or (count, [args]) is one line naming the host."""
    with pytest.raises(SSHError, match=r"engines\['host1'\] = .*: give a number of engines"):
        SSHEngineSetLauncher(tmp_path, 1, config=config(SSHEngineSetLauncher={"engines": {"host1": value}}))


def test_a_profile_dir_among_the_arguments_is_the_remote_profile(tmp_path):
    """--profile-dir among a host's or the controller's arguments replaces remote_profile_dir there."""
    engines = SSHEngineSetLauncher(tmp_path, 1, config=config(
        SSHEngineSetLauncher={"engines": {"host1": 1, "host2": (1, ["--profile-dir=/else"])}},
        SSHLauncher={"remote_profile_dir": "/there"},
    ))
    assert {("host1", "/there"), ("host2", "/else")} == set(engines.hosts)
    controller = SSHControllerLauncher(tmp_path, ["--profile-dir=/else"], config=config(
        SSHLauncher={"remote_profile_dir": "/there"}))
    assert "/else" == controller.remote_dir
    assert ["--ip=*", "--profile-dir=/else"] == program(controller.process)[-2:]
    assert "--profile-dir=/there" not in program(controller.process)


def test_the_files_to_copy_default_to_the_connection_files(tmp_path):
    """Engines send the engine file, the controller fetches both; c.SSHLauncher.to_send = [] sends nothing."""
    engine_file = ("security/ipcontroller-engine.json",) * 2
    assert [engine_file] == SSHEngineSetLauncher(tmp_path, 1).to_send
    fetched = SSHControllerLauncher(tmp_path).to_fetch
    assert [("security/ipcontroller-client.json",) * 2, engine_file] == fetched
    assert [] == SSHEngineSetLauncher(tmp_path, 1, config=config(SSHLauncher={"to_send": []})).to_send


def remote(program: list[str], wait_for: tuple[str, ...] = ()) -> RemoteProcess:
    process = RemoteProcess(LOCAL_SSH, "host1", program, "engine", wait_for)
    process.start()
    assert process.started(10)
    return process


def test_the_script_passes_the_exit_code_and_tells_the_pid(tmp_path):
    """The script's ssh ends with the program's exit code, and names the program's pid."""
    process = remote([sys.executable, "-c", "import os, sys; print(os.getpid(), file=sys.stderr); sys.exit(3)"])
    assert 3 == process.process.wait(10)
    assert f"engine on host1 (pid {process.remote_pid})" == str(process)


def test_closing_the_stop_channel_kills_a_program_that_ignores_sigterm(monkeypatch, tmp_path):
    """A program deaf to SIGTERM is SIGKILLed once the grace runs out, and then ssh ends."""
    monkeypatch.setattr(_remote, "STOP_GRACE", 0.3)
    deaf = tmp_path / "deaf"
    process = remote([sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                      f"open({str(deaf)!r}, 'w').close(); time.sleep(60)"])
    deadline = time.monotonic() + 10
    while not deaf.exists():  # the program says it set its handler only through this file
        assert time.monotonic() < deadline, "the program never started"
        time.sleep(0.01)
    process.stop(10)
    assert 128 + signal.SIGKILL == process.returncode


def test_ready_comes_once_the_files_exist_and_stale_ones_are_removed(tmp_path):
    """`ready` waits for files the program writes: copies from a previous run are removed first."""
    written = tmp_path / "written"
    written.write_text("a previous run's")
    process = remote([sys.executable, "-c", f"import time; time.sleep(0.3); open({str(written)!r}, 'w').write('new'); "
                      "time.sleep(60)"], (str(written),))
    assert process.wait_ready(10)
    assert "new" == written.read_text()
    process.stop(10)
    assert process.returncode is not None
