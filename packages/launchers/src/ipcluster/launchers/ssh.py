"""Engines and a controller on other hosts, started over ssh: ipyparallel's SSH launchers and settings.

    c.IPClusterEngines.engine_launcher_class = 'SSH'    # ipcluster start --engines=SSH
    c.SSHEngineSetLauncher.engines = {'host1': 2, 'me@host2': (1, ['--timeout=60'])}
    c.IPClusterStart.controller_launcher_class = 'SSH'    # --controller=SSH
    c.SSHControllerLauncher.hostname = 'host0'

Each host must accept ``ssh HOST`` without a password prompt (keys, ssh-agent) and have ipcluster
installed for `remote_python`. Before anything starts, one ssh per host checks that and makes the folders
the files of `to_send` go to, which scp then copies; the controller's files in `to_fetch` are copied back
once it has written them. Relative paths in both are inside the profile folders: this one, and on the
hosts `remote_profile_dir` (or the ``--profile-dir`` among a host's own arguments).
"""

from __future__ import annotations

import os
import posixpath
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from traitlets import Dict, List, Tuple, Unicode, default
from traitlets.config import Config, Configurable

from ipcluster.launchers._remote import WINDOW, RemoteProcess, SSHError, run_all
from ipcluster.launchers._watch import EngineWatch
from ipcluster.launchers.local import (
    EngineSet,
    OneProcessController,
    controller_command,
    engine_command,
    option_value,
    override,
)
from ipcluster.protocol import CLIENT_FILE, ENGINE_FILE

START_TIMEOUT = 60  # seconds a remote controller has to write the files to fetch
ENGINE_PATH = f"security/{ENGINE_FILE}"
CLIENT_PATH = f"security/{CLIENT_FILE}"


def pairs_setting(default: list[tuple[str, str]], help: str) -> List:
    return List(Tuple(Unicode(), Unicode()), default, help=help).tag(config=True)


class SSHLauncher(Configurable):
    """How to reach the hosts and what to copy, shared by the engines and the controller."""

    ssh_cmd = List(Unicode(), ["ssh"], help="the ssh command").tag(config=True)
    ssh_args = List(Unicode(), ["-o", "BatchMode=yes"], help="arguments for ssh_cmd, before the host. BatchMode "
                    "makes a host that would ask for a password fail at once, as nobody could type it; an ssh_config "
                    "file is ['-F', 'FILE'] (keep BatchMode=yes in it)").tag(config=True)
    scp_cmd = List(Unicode(), ["scp"], help="the command that copies to_send and to_fetch").tag(config=True)
    scp_args = List(Unicode(), ["-q", "-o", "BatchMode=yes"], help="arguments for scp_cmd, before the files").tag(
        config=True)
    hostname = Unicode("localhost", help="the host to run on (the engines' when engines is empty)").tag(config=True)
    user = Unicode("", help="the user to log in as (default: ssh's choice: yours, or the ssh_config's User)").tag(
        config=True)
    remote_python = Unicode(help="the Python on the hosts that has ipcluster installed (default: the path of this "
                            "one, right for a shared installation)").tag(config=True)
    remote_profile_dir = Unicode(help="the profile folder on the hosts (default: this profile's path)").tag(
        config=True)
    to_send = pairs_setting([], "(local, remote) files copied to each host before starting; relative paths are "
                            "inside the profile folders; [] copies nothing (for a shared file system)")
    to_fetch = pairs_setting([], "(remote, local) files copied back from the controller's host once they all "
                             "exist (removed there before it starts, so none is a previous run's; engines fetch "
                             "nothing); relative paths are inside the profile folders; [] copies nothing")

    def __init__(self, profile_dir: Path, config: Config | None = None):
        super().__init__(config=config)
        self.profile_dir = Path(profile_dir)

    @default("remote_python")
    def _remote_python_default(self) -> str:
        return sys.executable

    @default("remote_profile_dir")
    def _remote_profile_dir_default(self) -> str:
        return str(self.profile_dir)

    @property
    def ssh(self) -> list[str]:
        return [*self.ssh_cmd, *self.ssh_args]

    def destination(self, host: str) -> str:
        """``user@host``, unless the host names its own user or no user is set."""
        return f"{self.user}@{host}" if self.user and "@" not in host else host

    def cleanup_commands(self) -> list[list[str]]:
        return []  # a remote program stops when its ssh connection ends, which our death ends

    def local_path(self, path: str) -> Path:
        return self.profile_dir / Path(path).expanduser()

    def prepare(self, hosts: Sequence[tuple[str, str]], module: str) -> None:
        """Check that each (host, remote profile folder) can run `module`, then send it the files of to_send."""
        check = shlex.join([self.remote_python, "-c", "import importlib.util as u, sys; "
                            f"sys.exit(u.find_spec({module!r}) is None)"]) + " >/dev/null 2>&1 || exit 127"
        steps = []
        for host, remote_dir in hosts:
            folders = [posixpath.dirname(posixpath.join(remote_dir, remote)) for _, remote in self.to_send]
            command = f"{check}; mkdir -p {shlex.join(folders)}" if folders else check
            steps.append(([*self.ssh, host, command], self._check_failed(host, module)))
        run_all(steps)
        run_all([
            ([*self.scp_cmd, *self.scp_args, str(self.local_path(local)),
              f"{host}:{posixpath.join(remote_dir, remote)}"],
             copy_failed(f"{self.local_path(local)} to {host}"))
            for host, remote_dir in hosts for local, remote in self.to_send
        ])

    def _check_failed(self, host: str, module: str) -> Callable[[int, str], str]:
        def explain(code: int, why: str) -> str:
            if code == 255:
                return (f"cannot reach {host} over ssh ({why}): check that `{shlex.join([*self.ssh, host, 'true'])}` "
                        "works without a password prompt, or fix the host's name")
            if code == 127:
                return (f"{host} has no {self.remote_python} that can import {module}: set "
                        "c.SSHLauncher.remote_python to a Python with ipcluster installed there")
            return f"cannot prepare {host} (exit code {code}): {why}"
        return explain

    def fetch(self, host: str, remote_dir: str) -> None:
        """Copy back the files of to_fetch, each into place whole: ipcluster may read one as soon as it appears."""
        targets = [self.local_path(local) for _, local in self.to_fetch]
        partial = [target.with_name(f".{target.name}.fetching") for target in targets]
        for path in partial:
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            run_all([
                ([*self.scp_cmd, *self.scp_args, f"{host}:{posixpath.join(remote_dir, remote)}", str(into)],
                 copy_failed(f"{remote} back from {host}"))
                for (remote, _), into in zip(self.to_fetch, partial, strict=True)
            ])
            for into, target in zip(partial, targets, strict=True):
                os.replace(into, target)
        finally:
            for path in partial:
                path.unlink(missing_ok=True)  # a copy that failed half-way


def copy_failed(what: str) -> Callable[[int, str], str]:
    return lambda code, why: f"cannot copy {what}: {why}"


def engine_count(host: str, value: Any, default_args: list[str]) -> tuple[int, list[str]]:
    """A value of `engines`: a count, or (count, [arguments])."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value, default_args
    if isinstance(value, (tuple, list)) and len(value) == 2 and isinstance(value[1], (tuple, list)):
        count, args = value
        if isinstance(count, int) and count >= 0 and all(isinstance(arg, str) for arg in args):
            return count, list(args)
    raise SSHError(f"c.SSHEngineSetLauncher.engines[{host!r}] = {value!r}: give a number of engines, or "
                   "(number, [ipengine arguments])")


class SSHEngineSetLauncher(SSHLauncher):
    """Engines on other hosts, one ssh each; they are ready when the hub lists as many as were started."""

    remote = True

    poll_interval: float | None = None  # the ssh processes are our children: an exit wakes ipcluster (SIGCHLD)

    engines = Dict(help="host -> number of engines, or (number, [ipengine arguments]) for a host with arguments "
                   "of its own; 'user@host' logs in as user (default: ipcluster's n engines on hostname)").tag(
        config=True)
    engine_args = List(Unicode(), help="ipengine arguments for the hosts without their own in engines").tag(
        config=True)
    to_send = pairs_setting([(ENGINE_PATH, ENGINE_PATH)], "(local, remote) files copied to each host before "
                            "the engines start: the engine connection file; relative paths are inside the profile "
                            "folders; [] copies nothing (for a shared file system)")

    def __init__(self, profile_dir: Path, n: int, engine_args: Sequence[str] = (), config: Config | None = None):
        """`engine_args` are ipcluster's, for every engine; a host's own arguments come after them."""
        super().__init__(profile_dir, config=config)
        self.hosts: dict[tuple[str, str], None] = {}  # (host, remote profile folder), in order, once each
        members = []
        for host, value in (self.engines or {self.hostname: n}).items():
            count, args = engine_count(host, value, self.engine_args)
            args = override(engine_args, args)
            remote_dir = option_value(args, "profile-dir") or self.remote_profile_dir
            command = engine_command(remote_dir, args, "--die-with-parent", python=self.remote_python)
            self.hosts[self.destination(host), remote_dir] = None
            members += [RemoteProcess(self.ssh, self.destination(host), command, "engine") for _ in range(count)]
        self.members = EngineSet(members, len(members))
        self.n = self.members.n

    def start(self) -> None:
        """Check the hosts and send the files, then start the engines, a few connections at a time."""
        self.prepare(list(self.hosts), "ipcluster.engine")
        starting: list[RemoteProcess] = []
        for member in self.members.processes:
            while len(starting) >= WINDOW:
                starting = [other for other in starting if not other.started(0.1)]
            member.start()
            starting.append(member)

    @property
    def running(self) -> bool:
        return self.members.running

    def ready(self, watch: EngineWatch) -> bool:
        """Their pids are other hosts': as many joined since the start as still run (one may have died)."""
        still_running = sum(member.running for member in self.members.processes)
        return still_running > 0 and watch.joined() >= still_running

    def reap(self) -> list[RemoteProcess]:
        return self.members.reap()

    def stop(self, timeout: float = 5.0) -> None:
        self.members.stop(timeout)


class SSHControllerLauncher(SSHLauncher, OneProcessController):
    """``ipcontroller`` on another host; ipcluster goes on once its connection files are fetched."""

    remote = True

    process: RemoteProcess

    controller_args = List(Unicode(), ["--ip=*"], help="ipcontroller arguments, before ipcluster's; the default "
                           "listens on every interface, so that engines and clients elsewhere reach it").tag(
        config=True)
    to_fetch = pairs_setting([(CLIENT_PATH, CLIENT_PATH), (ENGINE_PATH, ENGINE_PATH)], "(remote, local) files "
                             "copied back once they all exist (removed there before the controller starts, so none "
                             "is a previous run's): the connection files; relative paths are inside the profile "
                             "folders; [] copies nothing (for a shared file system)")

    def __init__(self, profile_dir: Path, controller_args: Sequence[str] = (), config: Config | None = None):
        super().__init__(profile_dir, config=config)
        args = override(self.controller_args, controller_args)
        self.host = self.destination(self.hostname)
        self.remote_dir = option_value(args, "profile-dir") or self.remote_profile_dir
        command = controller_command(self.remote_dir, args, "--die-with-parent", python=self.remote_python)
        wait_for = [posixpath.join(self.remote_dir, remote) for remote, _ in self.to_fetch]
        self.process = RemoteProcess(self.ssh, self.host, command, "controller", wait_for)

    def start(self) -> None:
        """Start it and fetch its files; on any failure nothing is left running."""
        self.prepare([(self.host, self.remote_dir)], "ipcluster.launchers.controller")
        self.process.start()
        try:
            if not self.process.wait_ready(START_TIMEOUT):
                raise SSHError(self._not_ready())
            self.fetch(self.host, self.remote_dir)
        except BaseException:
            self.process.stop()
            raise

    def _not_ready(self) -> str:
        where = f"see its log in {self.host}:{posixpath.join(self.remote_dir, 'log')}"
        if self.process.running:
            return f"the controller on {self.host} wrote no connection files within {START_TIMEOUT} s; {where}"
        return f"the controller on {self.host} exited during start-up (exit code {self.process.returncode}); {where}"

