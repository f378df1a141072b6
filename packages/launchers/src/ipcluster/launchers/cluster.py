"""``ipcluster``: start and stop a controller with its engines.

    ipcluster start -n 4 [--profile=P] [--daemonize]
    ipcluster engines -n 2      # more engines for a running controller
    ipcluster stop [--profile=P]    # stops both
    ipcluster profile create [--profile=P] [--reset]    # a profile with every setting written out
    ipcluster profile list    # the profiles in IPYTHONDIR and the current folder
    ipcluster list [--output=json]    # the running clusters of every profile
    ipcluster status [--output=json]    # the controller's health, engines and queues (its admin service)
    ipcluster keys list|add NAME|revoke NAME    # who may connect to an encrypting controller

Exit codes as ipyparallel's: 10 already running, 11 already stopped, 12 no cluster.
"""

from __future__ import annotations

import os
import sys
from contextlib import closing
from pathlib import Path
from typing import ClassVar

from traitlets import All, Bool, Float, Integer, List, Unicode, observe

from ipcluster.launchers._codes import ALREADY_RUNNING
from ipcluster.launchers._daemon import daemonize
from ipcluster.launchers._launcher import LAUNCH_ERRORS, ControllerLauncher, EngineLauncher
from ipcluster.launchers._names import (
    LAUNCHER_SECTIONS,
    UnknownLauncher,
    controller_class,
    engine_set_class,
    forward_renamed,
    renamed,
)
from ipcluster.launchers._pidfile import (
    is_running,
    read_pid_file,
    remove_pid_file,
    remove_stale,
    write_pid_file,
)
from ipcluster.launchers._supervise import Supervisor
from ipcluster.launchers._watch import EngineWatch
from ipcluster.launchers.controller import IP_DEFAULT_VARIABLE
from ipcluster.launchers.keys import IPClusterKeys
from ipcluster.launchers.listing import IPClusterList
from ipcluster.launchers.local import option_value, override
from ipcluster.launchers.mpi import MPILauncher
from ipcluster.launchers.profiles import ProfileApp
from ipcluster.launchers.status import IPClusterStatus
from ipcluster.launchers.stop import IPClusterStop
from ipcluster.protocol import CLIENT_FILE, ENGINE_FILE
from ipcluster.protocol._app import COMMON_ALIASES, COMMON_FLAGS, BaseParallelApplication, UsageError, run_app

LAUNCHED_ENGINE_TIMEOUT = 30
REGISTRATION_CHECK = 0.1  # seconds between looks at the hub's engine list while engines start
ENGINE_FILE_OPTIONS = ("file", "f", "url-file")  # as option_name reads them, --IPEngineApp.url_file included


class IPClusterEngines(BaseParallelApplication):
    name = "ipcluster"
    description = "Start engines for a running controller."
    config_file_stem = "ipcluster"
    aliases_of_classes: ClassVar[dict[str, str]] = {"Cluster": "IPClusterEngines",
                                                     "MPIEngineSetLauncher": "MPILauncher"}
    pid_name: ClassVar[str] = "ipcluster-engines"
    subcommand: ClassVar[str] = "engines"

    n = Integer(os.cpu_count() or 2, help="how many engines to start").tag(config=True)
    engine_launcher_class = Unicode("Local", help="how engines are started: Local, MPI, SSH, PBS, SGE, LSF, Slurm, "
                                    "HTCondor or WindowsHPC (a full name, class name or prefix: --engines=NAME)"
                                    ).tag(config=True)
    engine_launcher = renamed("engine_launcher_class")
    engine_set_launcher = renamed("engine_launcher_class")
    engine_set_launcher_class = renamed("engine_launcher_class")
    log_to_file = Bool(True, help="log into the profile's log/ folder (and to a terminal, if there is one)").tag(
        config=True)
    daemonize = Bool(False, help="start in the background and return").tag(config=True)
    engine_args = List(Unicode(), help="extra arguments for each ipengine").tag(config=True)
    stop_timeout = Float(10.0, help="seconds to wait for a process to stop before killing it").tag(config=True)

    aliases = {**COMMON_ALIASES, "n": "IPClusterEngines.n", "engines": "IPClusterEngines.engine_launcher_class"}
    classes = [MPILauncher, *LAUNCHER_SECTIONS]
    flags = {**COMMON_FLAGS, "daemonize": ({"IPClusterEngines": {"daemonize": True}}, "run in the background")}

    _forward_renamed = observe(All)(forward_renamed)

    @property
    def pid_file(self):
        return self.profile_path.pid / f"{self.pid_name}.pid"

    def run(self) -> int:
        try:
            self.resolve_launchers()  # a wrong name fails before anything starts
        except UnknownLauncher as exc:
            raise UsageError(str(exc)) from None
        existing = read_pid_file(self.pid_file)
        if existing and is_running(existing):
            print(f"ipcluster: already running for profile {self.profile_path.name!r} (pid {existing['pid']}); "
                  "stop it with `ipcluster stop`", file=sys.stderr)
            return ALREADY_RUNNING
        if existing:
            remove_stale(self.pid_file, existing)
        if self.daemonize:
            return daemonize(self, self.subcommand, self.pid_name)
        supervisor = Supervisor()
        supervisor.install()
        self._launched: list[ControllerLauncher | EngineLauncher] = []
        self._record("starting")
        try:
            code = self._run(supervisor)
        except LAUNCH_ERRORS as exc:  # mpiexec or qsub missing, a batch command failed, a bad template
            code = self.fail(str(exc))
        finally:
            failures = self._stop_launched()
            if not failures:  # else the pid file stays, and with it the cleanup `ipcluster stop` retries
                remove_pid_file(self.pid_file)
        for failure in failures:
            print(f"ipcluster: {failure}", file=sys.stderr)
        return 1 if failures else code

    def _stop_launched(self) -> list[str]:
        """Stop what was launched, engines before their controller; what could not be stopped, one line each."""
        failures = []
        for launched in reversed(self._launched):
            try:
                launched.stop(self.stop_timeout)
            except LAUNCH_ERRORS as exc:
                failures.append(str(exc))
        if self._launched:
            self.slog.info("stopped what was launched", failures=len(failures))
        return failures

    def resolve_launchers(self) -> None:
        self.engine_set_cls = engine_set_class(self.engine_launcher_class)

    def _run(self, supervisor: Supervisor) -> int:
        with closing(EngineWatch(self._engine_file())) as watch:  # before the launch: it counts who joins
            engines = self._start_engines()
            registered = self._wait_registered(supervisor, engines, watch)
        if registered:
            # "running" only now: a daemonizing parent reports success on it
            self._record("running", engines=engines.n)
            self.slog.info("engines registered", n=engines.n)
            while not supervisor.stopping and engines.running:
                self._reap(engines)
                supervisor.wait(engines.poll_interval)
        if supervisor.stopping:
            return 0
        self._reap(engines)  # the last engines may have exited after the final reap above
        return self._report_exits()

    def _wait_registered(self, supervisor: Supervisor, engines: EngineLauncher, watch: EngineWatch) -> bool:
        """Wait until the hub lists every engine still running; False when a stop or the last exit came first."""
        while not supervisor.stopping:
            self._reap(engines)
            if not engines.running:
                return False
            if engines.ready(watch):
                return True
            supervisor.wait(REGISTRATION_CHECK)
        return False

    def _record(self, state: str, **fields: object) -> None:
        """The pid file, with how to stop what was launched should this process be killed outright."""
        cleanup = [argv for launched in self._launched for argv in launched.cleanup_commands()]
        write_pid_file(self.pid_file, state=state, cleanup=cleanup, **fields)

    def _report_exits(self) -> int:
        """Every engine ended with no stop request: fine if each was shut down, a failure otherwise."""
        codes = self._exit_codes
        if all(code == 0 for code in codes):
            return 0  # shut down on request, through the controller
        return self.fail(f"all {len(codes)} engines exited on their own (exit codes: "
                         f"{', '.join(map(str, sorted(set(codes))))}); see their logs in {self.profile_path.log}")

    def _engine_file(self) -> Path:
        """The connection file the engines read: --file (-f, --url-file) among the engine arguments, else the
        profile's."""
        given = [option_value(self.engine_args, name) for name in ENGINE_FILE_OPTIONS]
        return next((Path(value).expanduser() for value in given if value), self.profile_path.security / ENGINE_FILE)

    def _start_engines(self) -> EngineLauncher:
        engines = self.engine_set_cls(self.profile_path.path, self.n, self._engine_args(), config=self.config)
        engines.start()
        self._launched.append(engines)
        self._record("starting")  # a batch job is out there now: say how to cancel it
        self._exit_codes: list[int] = []
        self.slog.info("engines started", n=self.n, profile=self.profile_path.name)
        return engines

    def _reap(self, engines: EngineLauncher) -> None:
        for exited in engines.reap():
            self._exit_codes.append(exited.returncode if exited.returncode is not None else 0)
            self.slog.warning("engines exited", which=str(exited), returncode=exited.returncode)

    def _engine_args(self) -> list[str]:
        """Our defaults for the engines, each dropped when engine_args sets it."""
        # the controller starts beside these engines: give its hub longer than a lone ipengine's 5 s
        return override([f"--log-level={self.log_level_name}", f"--timeout={LAUNCHED_ENGINE_TIMEOUT}"],
                        self.engine_args)


class IPClusterStart(IPClusterEngines):
    description = "Start a controller and engines."
    aliases_of_classes: ClassVar[dict[str, str]] = {"Cluster": "IPClusterStart", "IPClusterEngines": "IPClusterStart"}
    pid_name: ClassVar[str] = "ipcluster"
    subcommand: ClassVar[str] = "start"

    controller_launcher_class = Unicode("Local", help="how the controller is started: Local, MPI, SSH, PBS, SGE, "
                                        "LSF, Slurm, HTCondor or WindowsHPC (as --controller=NAME)").tag(config=True)
    controller_launcher = renamed("controller_launcher_class")
    controller_args = List(Unicode(), help="extra arguments for ipcontroller").tag(config=True)
    delay = Float(0.0, help="seconds between starting the controller and the engines").tag(config=True)

    aliases = {**IPClusterEngines.aliases, "n": "IPClusterStart.n",
               "controller": "IPClusterStart.controller_launcher_class"}
    flags = {**COMMON_FLAGS, "daemonize": ({"IPClusterStart": {"daemonize": True}}, "run in the background")}

    def resolve_launchers(self) -> None:
        super().resolve_launchers()
        self.controller_cls = controller_class(self.controller_launcher_class)

    def _run(self, supervisor: Supervisor) -> int:
        engine_file = self.profile_path.security / ENGINE_FILE
        for stale in (engine_file, self.profile_path.security / CLIENT_FILE):
            stale.unlink(missing_ok=True)  # engines and clients must not dial a previous controller
        if self.engine_set_cls.remote or self.controller_cls.remote:
            # the controller's default interface becomes every one (its own settings still win); batch
            # systems and ssh pass the variable on with the rest of the environment
            os.environ.setdefault(IP_DEFAULT_VARIABLE, "*")
        controller = self.controller_cls(self.profile_path.path, [*self.controller_args, *self.extra_args],
                                        config=self.config)
        controller.start()
        self._launched.append(controller)
        self._record("starting")
        return self._run_controller(supervisor, controller, engine_file)

    def _run_controller(self, supervisor: Supervisor, controller: ControllerLauncher, engine_file: Path) -> int:
        """Once the controller wrote its files, start the engines, and run until a stop or the controller ends."""
        while not engine_file.exists():
            if not controller.running:
                return self.fail(f"the controller ({controller}) exited during start-up; see its log in "
                                 f"{self.profile_path.log}")
            supervisor.wait(0.02)
            if supervisor.stopping:
                return 0
        if self.delay:
            supervisor.wait(self.delay)
        engines = self._start_engines()
        self._record("running", engines=engines.n)
        code = 0
        while not supervisor.stopping:
            if not controller.running:
                if controller.returncode == 0:  # stopped on purpose: rc.shutdown(hub=True)
                    self.slog.info("the controller was shut down; stopping the engines")
                else:
                    self.slog.error("the controller exited; stopping the engines")
                    code = 1
                break
            self._reap(engines)
            supervisor.wait(min(filter(None, (controller.poll_interval, engines.poll_interval)), default=None))
        return code


SUBCOMMANDS: dict[str, type[BaseParallelApplication]] = {
    "start": IPClusterStart,
    "engines": IPClusterEngines,
    "stop": IPClusterStop,
    "profile": ProfileApp,
    "list": IPClusterList,
    "keys": IPClusterKeys,
    "status": IPClusterStatus,
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in SUBCOMMANDS:
        names = ", ".join(SUBCOMMANDS)
        given = f"unknown subcommand {argv[0]!r}" if argv and not argv[0].startswith("-") else "no subcommand"
        if argv and argv[0] in ("-h", "--help"):
            print(f"usage: ipcluster {{{names}}} [options]\n\n{__doc__}")
            return 0
        print(f"ipcluster: {given}: use one of {names} (e.g. `ipcluster start -n 4`)", file=sys.stderr)
        return 1
    return run_app(SUBCOMMANDS[argv[0]], argv[1:])


if __name__ == "__main__":
    sys.exit(main())
