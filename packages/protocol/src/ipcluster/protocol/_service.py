"""The command line shared by the controller's service processes.

``ipcluster-hub``, ``ipcluster-scheduler`` and ``ipcluster-heartmonitor`` each
read the controller spec that ``ipcontroller`` wrote and run one service.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import zmq

from ipcluster.protocol import _curve
from ipcluster.protocol._connection import SPEC_FILE, ConnectionFileError, ControllerSpec, read_connection_file
from ipcluster.protocol._logging import configure_logging
from ipcluster.protocol._profile import ProfileDir

_PR_SET_PDEATHSIG = 1
# set by ipcontroller for the services it runs: the process to stop for a whole-controller shutdown
SUPERVISOR_PID = "IPCLUSTER_CONTROLLER_PID"


class ServiceError(Exception):
    """A service cannot start; the message says why and what to change."""


def die_with_parent() -> None:
    """Ask Linux to end this process when its parent dies, so no service outlives ipcontroller."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:
        os.kill(os.getpid(), signal.SIGTERM)


def os_error_line(exc: OSError) -> str:
    """'<path>: <problem>' for a failed file operation: what the user must fix, without a traceback."""
    path = f"{exc.filename}: " if exc.filename is not None else ""
    return f"{path}{exc.strerror or exc}"


def service_arguments(name: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"ipcluster-{name}", description=f"Run the controller's {name} alone.")
    parser.add_argument("--spec", help=f"the controller spec file (default: the profile's security/{SPEC_FILE})")
    parser.add_argument("--profile", default="default")
    parser.add_argument("--profile-dir", dest="profile_dir")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    parser.add_argument("--log-to-file", action="store_true", help="log into the profile's log/ folder")
    parser.add_argument("--die-with-parent", action="store_true", help=argparse.SUPPRESS)
    return parser


def run_service(name: str, factory: Callable[[ControllerSpec, Any], Any], argv: list[str] | None = None) -> int:
    args = service_arguments(name).parse_args(argv)
    if args.die_with_parent:
        die_with_parent()
    try:
        profile = ProfileDir.locate(args.profile, args.profile_dir)
        log = configure_logging(name, profile.log if args.log_to_file else None, args.log_level)
    except OSError as exc:
        print(f"ipcluster-{name}: cannot use the profile folder: {os_error_line(exc)}", file=sys.stderr)
        return 1
    spec_path = Path(args.spec) if args.spec else profile.security / SPEC_FILE
    try:
        spec = ControllerSpec.from_dict(read_connection_file(spec_path), source=str(spec_path))
    except ConnectionFileError as exc:
        print(f"ipcluster-{name}: {exc}", file=sys.stderr)
        return 1
    if spec.curve_server:  # the handshake guard, before any socket binds
        allow = _curve.AllowList(Path(spec.curve_keys_file), always=spec.curve_server["public"], log=log)
        _curve.Gatekeeper(zmq.Context.instance(), allow, log).start()
    try:
        service = factory(spec, log)
    except ServiceError as exc:
        log.error("cannot start", reason=str(exc))
        print(f"ipcluster-{name}: {exc}", file=sys.stderr)
        return 1
    except (zmq.ZMQError, OSError) as exc:  # OSError: the hub's admin port
        print(f"ipcluster-{name}: cannot bind its sockets on {spec.ip} ({exc}): is another controller "
              "using these ports? Start without --reuse to pick fresh ones", file=sys.stderr)
        return 1
    service.loop.stop_on_signals()
    try:
        service.run()
    except Exception:
        log.exception("crashed")  # into the log file, where a daemonized user will look
        raise
    finally:
        service.close()
        log.info("stopped")
    return 0
