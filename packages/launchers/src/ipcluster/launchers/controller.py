"""``ipcontroller``: write the connection files, then run hub, scheduler and heart monitor."""

from __future__ import annotations

import os
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import ClassVar

from traitlets import Bool, CaselessStrEnum, Integer, Unicode, Union, default

from ipcluster.launchers._pidfile import remove_pid_file, write_pid_file
from ipcluster.launchers._process import LocalProcess, python_command
from ipcluster.launchers._supervise import Supervisor
from ipcluster.launchers.keys import allow_peers
from ipcluster.protocol import (
    CLIENT_FILE,
    CURVE_MODES,
    ENGINE_FILE,
    KEYS_FILE,
    PORT_NAMES,
    SPEC_FILE,
    STORE_CLASSES,
    ConnectionFileError,
    ControllerSpec,
    CurveError,
    UnknownStore,
    curve_wanted,
    free_ports,
    guess_location,
    is_loopback,
    new_key,
    new_key_pair,
    read_connection_file,
    resolve_store_name,
    write_connection_file,
)
from ipcluster.protocol._app import COMMON_ALIASES, COMMON_FLAGS, BaseParallelApplication, UsageError, run_app
from ipcluster.protocol._service import SUPERVISOR_PID

# set by ipcluster when engines or the controller run on other hosts: loopback would be unreachable there
IP_DEFAULT_VARIABLE = "IPCLUSTER_CONTROLLER_IP"
SERVICES = ("ipcluster.hub", "ipcluster.scheduler", "ipcluster.heartmonitor")
STORE_HELP = {"DictDB": "memory (the default; bounded)", "SQLiteDB": "an SQLite file", "RedisDB": "a Redis server",
              "MongoDB": "a MongoDB server", "NoDB": "no store at all (queries of past tasks are refused)"}


class IPControllerApp(BaseParallelApplication):
    name = "ipcontroller"
    description = "Start the controller: hub, task scheduler and heart monitor."
    config_file_stem = "ipcontroller"
    aliases_of_classes: ClassVar[dict[str, str]] = {
        "HubFactory": "IPControllerApp", "IPController": "IPControllerApp",
        "TaskScheduler": "IPControllerApp", "HeartMonitor": "IPControllerApp",
    }

    ip = Unicode("127.0.0.1", help="the interface to listen on; '*' for all (ipcluster makes '*' the default when "
                 "it starts engines or the controller on other hosts)").tag(config=True)
    location = Unicode("", help="the address engines and clients dial (default: guessed from ip)").tag(config=True)
    ssh_server = Unicode("", help="ssh server clients tunnel through, written into the client file").tag(config=True)
    engine_ssh_server = Unicode("", help="ssh server engines tunnel through").tag(config=True)
    reuse_files = Bool(False, help="reuse the ports and key of the previous run's connection files").tag(config=True)
    scheme_name = Unicode("leastload", help="the load-balancing policy").tag(config=True)
    hwm = Integer(1, min=0, help="tasks an engine may hold before the scheduler waits (0: no limit)").tag(config=True)
    period = Integer(1000, help="heartbeat period in milliseconds").tag(config=True)
    max_heartmonitor_misses = Integer(5, help="missed heartbeats before an engine is declared dead").tag(config=True)
    record_buffer_limit = Integer(1 << 20, min=0, help="the largest buffers (bytes per message) kept in task "
                                  "records; larger ones reach engines and clients but not the store").tag(config=True)
    curve = Union([Bool(), CaselessStrEnum(CURVE_MODES)], default_value="auto",
                  help="encrypt every connection with CurveZMQ and admit only peers whose own key is on the "
                  "allow-list: 'auto' (on when listening beyond loopback), 'required' (True) or 'disabled' "
                  "(False)").tag(config=True)
    admin_ip = Unicode("127.0.0.1", help="the interface of the gRPC admin service; beyond loopback only with "
                       "admin_certfile and admin_keyfile, so its token never travels in clear").tag(config=True)
    admin_certfile = Unicode("", help="TLS certificate (PEM) of the admin service; clients get it in their "
                             "connection file to verify the service").tag(config=True)
    admin_keyfile = Unicode("", help="TLS private key (PEM) of the admin service").tag(config=True)
    db_class = Unicode("DictDB", help="the task-record store: DictDB (memory), SQLiteDB, RedisDB, MongoDB or NoDB; "
                       "a full name, class name or prefix").tag(config=True)

    aliases = {
        **COMMON_ALIASES,
        "ip": "IPControllerApp.ip",
        "location": "IPControllerApp.location",
        "ssh": "IPControllerApp.ssh_server",
        "enginessh": "IPControllerApp.engine_ssh_server",
        "scheme": "IPControllerApp.scheme_name",
        "hwm": "IPControllerApp.hwm",
        "ping": "IPControllerApp.period",
        "curve": "IPControllerApp.curve",
    }
    flags = {
        **COMMON_FLAGS,
        "reuse": ({"IPControllerApp": {"reuse_files": True}}, "reuse the previous connection files' ports and key"),
        **{
            store.lower(): ({"IPControllerApp": {"db_class": store}}, f"keep task records in {STORE_HELP[store]}")
            for store in STORE_CLASSES
        },
    }

    @default("ip")
    def _ip_default(self) -> str:
        """Loopback, unless ipcluster says the engines or this controller run elsewhere (a setting still wins)."""
        return os.environ.get(IP_DEFAULT_VARIABLE) or "127.0.0.1"

    def run(self) -> int:
        self._check_scheme()
        spec = self._spec()
        security = self.profile_path.security
        write_connection_file(security / SPEC_FILE, spec.to_dict())
        if spec.curve_server:
            allow_peers(Path(spec.curve_keys_file), {"engines": spec.curve_engine, "client": spec.curve_client},
                        keep_others=self.reuse_files)
        write_connection_file(security / ENGINE_FILE, spec.engine_info())
        write_connection_file(security / CLIENT_FILE, spec.client_info())
        self.slog.info("wrote connection files", folder=str(security), registration=spec.connect_url("registration"))
        return self._supervise()

    def _check_scheme(self) -> None:
        known = {ep.name for ep in entry_points(group="ipcluster.scheduler_policies")}
        if self.scheme_name not in known:
            raise UsageError(f"unknown --scheme={self.scheme_name!r}: choose one of {', '.join(sorted(known))}")

    def _spec(self) -> ControllerSpec:
        fresh = ControllerSpec(
            key=new_key().decode(), ip=self.ip, location=self.location or guess_location(self.ip),
            ssh=self.ssh_server, engine_ssh=self.engine_ssh_server, task_scheme=self.scheme_name, hwm=self.hwm,
            heartbeat_period_ms=self.period, heartbeat_misses=self.max_heartmonitor_misses,
            db_class=self._store_name(), db_config=self._store_config(), profile_dir=str(self.profile_path.path),
            record_buffer_limit=self.record_buffer_limit,
        )
        old = self._previous_spec() if self.reuse_files else None
        if old is not None:
            fresh.key, fresh.ports = old.key, old.ports
        fresh.admin_token = old.admin_token if old is not None and old.admin_token else new_key().decode()
        fresh.admin_ip, fresh.admin_cert, fresh.admin_keyfile = self.admin_ip, *self._admin_tls()
        if self._curve_wanted():
            # --reuse keeps the keys too, so copied files stay valid (a file whose key was revoked stays refused)
            keys = old if old is not None and old.curve_server else None
            fresh.curve_server = keys.curve_server if keys else new_key_pair()
            fresh.curve_engine = keys.curve_engine if keys else new_key_pair()
            fresh.curve_client = keys.curve_client if keys else new_key_pair()
            fresh.curve_keys_file = str(self.profile_path.security / KEYS_FILE)
        if set(fresh.ports) != set(PORT_NAMES):
            fresh.ports = dict(zip(PORT_NAMES, free_ports(len(PORT_NAMES), self.ip), strict=True))
        return fresh

    def _admin_tls(self) -> tuple[str, str]:
        """(certificate PEM, key file) of the admin service; refuses a token that would travel in clear."""
        if bool(self.admin_certfile) != bool(self.admin_keyfile):
            raise UsageError("give both admin_certfile and admin_keyfile for TLS on the admin service, or neither")
        if not self.admin_certfile:
            if not is_loopback(self.admin_ip):
                raise UsageError(f"admin_ip={self.admin_ip!r} listens beyond loopback, where the admin token would "
                                 "travel in clear: set admin_certfile and admin_keyfile (TLS), or keep 127.0.0.1")
            return "", ""
        try:
            cert = Path(self.admin_certfile).expanduser().read_text()
            Path(self.admin_keyfile).expanduser().read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read the admin service's TLS files: {exc.filename}: {exc.strerror}") from None
        return cert, str(Path(self.admin_keyfile).expanduser().absolute())

    def _previous_spec(self) -> ControllerSpec | None:
        path = self.profile_path.security / SPEC_FILE
        try:
            return ControllerSpec.from_dict(read_connection_file(path), source=str(path))
        except ConnectionFileError as exc:
            self.slog.info("no previous connection files to reuse; choosing fresh ports", reason=str(exc))
            return None

    def _curve_wanted(self) -> bool:
        try:
            return curve_wanted(self.curve, self.ip)
        except CurveError as exc:
            raise UsageError(str(exc)) from None

    def _store_name(self) -> str:
        try:
            return resolve_store_name(self.db_class)
        except UnknownStore as exc:
            raise UsageError(f"{exc} (c.HubFactory.db_class, or --dictdb, --sqlitedb, --redisdb, --mongodb, "
                             "--nodb)") from None

    def _store_config(self) -> dict:
        """The stores' config sections (``c.SQLiteDB.table = ...``), handed to the hub, which owns those classes."""
        return {name: dict(self.config[name]) for name in STORE_CLASSES if name in self.config}

    def _supervise(self) -> int:
        supervisor = Supervisor()
        supervisor.install()
        common = [f"--profile-dir={self.profile_path.path}", f"--log-level={self.log_level_name}", "--die-with-parent"]
        if self.log_to_file:
            common.append("--log-to-file")
        env = {SUPERVISOR_PID: str(os.getpid())}  # rc.shutdown(hub=True) makes the hub stop us
        children = {module: LocalProcess(python_command(module, *common), env=env) for module in SERVICES}
        pid_file = self.profile_path.pid / "ipcontroller.pid"
        write_pid_file(pid_file, children={m: None for m in SERVICES})
        for child in children.values():
            child.start()
        write_pid_file(pid_file, children={m: c.pid for m, c in children.items()})
        code = 0
        try:
            while not supervisor.stopping:
                dead = [module for module, child in children.items() if not child.running]
                if dead:
                    self.slog.error("a controller process exited; stopping the controller", process=dead[0],
                                    returncode=children[dead[0]].returncode)
                    code = 1
                    break
                supervisor.wait()
        finally:
            for child in children.values():
                child.stop()
            remove_pid_file(pid_file)
            self.slog.info("controller stopped")
        return code


def main(argv: list[str] | None = None) -> int:
    return run_app(IPControllerApp, argv)


if __name__ == "__main__":
    sys.exit(main())
