"""``ipengine``: start one engine and connect it to a controller."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import ClassVar

from traitlets import Bool, Float, Integer, Unicode

from ipcluster.engine._engine import Engine
from ipcluster.engine._mpi import MPI, MPIError, init_mpi
from ipcluster.engine._registration import RegistrationError
from ipcluster.engine._signals import EngineStopped
from ipcluster.protocol import (
    ENGINE_FILE,
    NO_ENGINE,
    ConnectionFileError,
    SshSettings,
    TunnelError,
    read_connection_file,
)
from ipcluster.protocol._app import COMMON_ALIASES, COMMON_FLAGS, BaseParallelApplication, UsageError, run_app


class IPEngineApp(BaseParallelApplication):
    name = "ipengine"
    description = "Start an engine: a Python process that runs the code a controller sends it."
    config_file_stem = "ipengine"
    # c.IPEngine.* (ipyparallel 7+) and c.EngineFactory.* (IPython 0.x) mean the same traits
    aliases_of_classes: ClassVar[dict[str, str]] = {"IPEngine": "IPEngineApp", "EngineFactory": "IPEngineApp"}

    url_file = Unicode("", help=f"the engine connection file (default: the profile's security/{ENGINE_FILE})").tag(
        config=True)
    wait_for_url_file = Float(10.0, help="seconds to wait for the connection file to appear").tag(config=True)
    timeout = Float(5.0, help="seconds to wait for the controller to answer registration").tag(config=True)
    max_heartbeat_misses = Integer(50, help="heartbeats missed in a row before the engine gives up").tag(config=True)
    startup_command = Unicode("", help="Python code run in the engine's namespace at start").tag(config=True)
    startup_script = Unicode("", help="a Python file run in the engine's namespace at start").tag(config=True)
    work_dir = Unicode("", help="the folder the engine runs in (default: where it was started); on a shared "
                       "filesystem, some scratch space").tag(config=True)
    id = Integer(NO_ENGINE, min=NO_ENGINE, max=2**31 - 1, help="ask the hub for this engine id").tag(config=True)
    sshserver = Unicode("", help="tunnel every connection through this ssh server, [user@]host[:port] "
                        "(default: the engine file's ssh, written by ipcontroller --enginessh)").tag(config=True)
    sshkey = Unicode("", help="the private key file for the ssh tunnel (default: ssh's own choice)").tag(config=True)
    paramiko = Bool(None, allow_none=True, help="tunnel with paramiko (True) or OpenSSH's ssh (False); "
                    "default: ssh when installed").tag(config=True)
    ssh_config = Unicode("", help="an ssh_config file for the tunnel (ssh -F; paramiko reads it too)").tag(
        config=True)

    aliases = {
        **COMMON_ALIASES,
        "file": "IPEngineApp.url_file",
        "f": "IPEngineApp.url_file",
        "timeout": "IPEngineApp.timeout",
        "c": "IPEngineApp.startup_command",
        "s": "IPEngineApp.startup_script",
        "id": "IPEngineApp.id",
        "work-dir": "IPEngineApp.work_dir",
        "ssh": "IPEngineApp.sshserver",
        "sshkey": "IPEngineApp.sshkey",
        "ssh-config": "IPEngineApp.ssh_config",
    }
    flags = {
        **COMMON_FLAGS,
        "mpi": ({"MPI": {"use": "mpi4py"}}, "initialise MPI with mpi4py (c.MPI.use)"),
        "paramiko": ({"IPEngineApp": {"paramiko": True}}, "tunnel with paramiko rather than OpenSSH's ssh"),
    }
    classes = [MPI]

    def run(self) -> int:
        info = self._connection_info()
        self._enter_work_dir()
        startup = self._startup_code()  # read before registering: a missing script is a usage error
        try:
            mpi = MPI(config=self.config)
            rank = init_mpi(mpi.use, mpi.init_script)
        except MPIError as exc:
            raise UsageError(str(exc)) from None
        requested = self.id if self.id != NO_ENGINE or rank is None else rank  # under mpiexec: id = rank
        ssh = SshSettings(self.sshserver, self.sshkey, self.paramiko, self.ssh_config, timeout=self.timeout)
        try:
            engine = Engine(info, self.slog, timeout=self.timeout, max_heartbeat_misses=self.max_heartbeat_misses,
                            requested_id=requested, ssh=ssh)
        except TunnelError as exc:
            raise UsageError(str(exc)) from None
        engine.handle_signals()  # before registering: a SIGTERM once visible must be a clean stop
        try:
            try:
                engine.register()
            except RegistrationError as exc:
                raise UsageError(str(exc)) from None
            with contextlib.suppress(EngineStopped):  # stopped during start-up: run() returns at once
                self._run_startup(engine, startup)
            engine.run()
        finally:
            engine.close()
        return engine.exit_code

    def _connection_info(self) -> dict:
        path = Path(self.url_file) if self.url_file else self.profile_path.security / ENGINE_FILE
        try:
            return read_connection_file(path, wait=self.wait_for_url_file)
        except ConnectionFileError as exc:
            raise UsageError(str(exc)) from None

    def _enter_work_dir(self) -> None:
        """After the connection file is read: a relative --file means the folder we were started in."""
        if self.work_dir:
            try:
                os.chdir(Path(self.work_dir).expanduser())
            except OSError as exc:
                raise UsageError(f"cannot run in the work_dir {self.work_dir} ({exc.strerror}): create it or fix "
                                 "IPEngineApp.work_dir") from None

    def _startup_code(self) -> list[tuple[str, str, str]]:
        """(what, code, filename) of the startup command and script, in the order they run."""
        code = []
        if self.startup_command:
            code.append(("startup command (-c)", self.startup_command, "<startup_command>"))
        if self.startup_script:
            script = Path(self.startup_script).expanduser()
            try:
                code.append((f"startup script {script}", script.read_text(), str(script)))
            except OSError as exc:
                raise UsageError(f"cannot read the startup script {script} ({exc.strerror}): "
                                 "fix the path given to -s / IPEngineApp.startup_script") from None
        return code

    def _run_startup(self, engine: Engine, startup: list[tuple[str, str, str]]) -> None:
        for what, code, filename in startup:
            try:
                engine.run_startup_code(code, filename)
            except Exception as exc:
                raise UsageError(f"the {what} raised {type(exc).__name__}: {exc}; fix it or leave it out") from None


def main(argv: list[str] | None = None) -> int:
    return run_app(IPEngineApp, argv)


if __name__ == "__main__":
    sys.exit(main())
