"""`Client`: the connection to one controller, and the factory of views."""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Sequence
from concurrent.futures import Future
from concurrent.futures import wait as wait_futures
from pathlib import Path
from typing import Any, ClassVar

import zmq

from ipcluster.client._asyncresult import AsyncResult, TaskFuture
from ipcluster.client._directview import DirectView
from ipcluster.client._errors import EngineError, HubError, NoEnginesRegistered
from ipcluster.client._executor import ViewExecutor
from ipcluster.client._inbox import CONTROLLER_WATCH, Inbox
from ipcluster.client._interrupts import Interrupts
from ipcluster.client._io import IOThread
from ipcluster.client._lbview import LoadBalancedView
from ipcluster.client._records import RecordQueries
from ipcluster.client._view import Targets
from ipcluster.protocol import (
    CLIENT_FILE,
    HANDSHAKE_EVENTS,
    ConnectionFileError,
    Message,
    ProfileDir,
    Session,
    SshSettings,
    dial_curve,
    header_pb2,
    no_answer,
    open_tunnel,
    read_connection_file,
    url,
)
from ipcluster.protocol import registry_pb2 as reg
from ipcluster.protocol import work_pb2 as work

MT = header_pb2.MsgType
HUB_PING_MS = 2000
HUB_SILENCE_MS = 10000
Jobs = str | Future | Sequence[str | Future]


class Client(RecordQueries, Interrupts):
    """Connects to a controller: `rc.ids`, `rc[:]`, `rc[i]`, `rc.load_balanced_view()`.

    The connection file is `url_file` (a path or an already-loaded dict; also
    accepted as `connection_info`, ipyparallel's name) or, by default, the
    profile's ``security/ipcontroller-client.json``, waited for up to
    `timeout` seconds.

    `sshserver` (``[user@]host[:port]``; default: the file's ``ssh``) tunnels
    every connection through ssh, logging in with `sshkey` (default: ssh's
    own choice) and the `ssh_config` file (default: ~/.ssh/config), by
    OpenSSH's ``ssh`` or, when it is missing or `paramiko` is True, by
    paramiko. The tunnel closes with the client.
    """

    newest: ClassVar[weakref.ReferenceType[Client] | None] = None  # what `%load_ext ipcluster.client` activates

    def __init__(self, url_file: str | Path | dict | None = None, *, connection_info: str | Path | dict | None = None,
                 profile: str = "default", profile_dir: str | None = None, timeout: float = 10.0,
                 sshserver: str = "", sshkey: str = "", paramiko: bool | None = None, ssh_config: str = ""):
        self.timeout = timeout
        self.info = self._load(url_file or connection_info, profile, profile_dir, timeout)
        # the sockets dial `_dial`: the controller, or our end of an ssh tunnel to it
        self._dial, self._tunnel = open_tunnel(self.info, SshSettings(sshserver, sshkey, paramiko, ssh_config,
                                                                      timeout=timeout))
        self.session = Session(self.info["key"].encode())
        self._context = zmq.Context()
        self._inbox = Inbox(self.session, tunnelled=self._tunnel is not None)
        try:
            self._io = IOThread(self._sockets(), self._inbox.receive, self._inbox.fail_everything)
        except BaseException:  # nothing is running yet but the tunnel and the context: close them
            self._context.destroy(linger=0)
            if self._tunnel is not None:
                self._tunnel.close()
            raise
        self._io.start()
        self._closed = False
        try:
            self._hub_request(MT.CONNECTION_REQUEST, reg.ConnectionRequest())
        except BaseException as exc:
            refused = self._inbox.stopped  # the handshake or the key was refused: say that, not "create a new Client"
            self.close()
            if isinstance(exc, RuntimeError) and isinstance(refused, ConnectionError):
                raise ConnectionError(str(refused)) from None
            raise
        Client.newest = weakref.ref(self)

    @staticmethod
    def _load(source: Any, profile: str, profile_dir: str | None, timeout: float) -> dict:
        if isinstance(source, dict):
            return source
        path = Path(source) if source else ProfileDir.locate(profile, profile_dir).security / CLIENT_FILE
        try:
            return read_connection_file(path, wait=timeout)
        except ConnectionFileError as exc:
            raise OSError(str(exc)) from None

    def _sockets(self) -> dict[str, zmq.Socket]:
        sockets = {}
        # engine events come over the registration socket (see the hub), not the notification PUB
        for channel in ("registration", "mux", "task", "control"):
            socket = self._context.socket(zmq.DEALER)
            socket.sndhwm = socket.rcvhwm = 0
            if channel == "registration":
                # A dead controller must not leave the client waiting: zmq pings the hub, and a dropped
                # connection (the process died, or its host fell silent for HUB_SILENCE_MS) fails
                # everything. Options count only when set before connect.
                socket.heartbeat_ivl, socket.heartbeat_timeout = HUB_PING_MS, HUB_SILENCE_MS
                sockets[CONTROLLER_WATCH] = socket.get_monitor_socket(HANDSHAKE_EVENTS)
            dial_curve(socket, self.info.get("curve"))
            socket.connect(url(self._dial, channel))
            sockets[channel] = socket
        return sockets

    # -- engines

    @property
    def ids(self) -> list[int]:
        """The ids of the engines registered now, in order."""
        return sorted(self._inbox.engines)

    def __len__(self) -> int:
        return len(self._inbox.engines)

    def __iter__(self):
        return (self[engine_id] for engine_id in self.ids)

    def wait_for_engines(self, n: int, timeout: float | None = None) -> None:
        """Block until at least `n` engines are registered."""
        with self._inbox.engines_changed:
            if not self._inbox.engines_changed.wait_for(
                lambda: len(self._inbox.engines) >= n or self._inbox.stopped is not None, timeout
            ):
                raise TimeoutError(f"{len(self._inbox.engines)} of {n} engines registered after {timeout} s")
        if self._inbox.stopped is not None:
            raise self._inbox.closed_error()

    def engine_uuid(self, engine_id: int) -> str:
        try:
            return self._inbox.engines[engine_id]
        except KeyError:
            if self._inbox.stopped is not None:
                raise self._inbox.closed_error() from None
            raise EngineError(f"engine {engine_id} is not registered (registered: {self.ids})") from None

    def __getitem__(self, key: int | slice | list[int]) -> DirectView:
        """``rc[0]``, ``rc[[0, 2]]``, or ``rc[:]``: a slice is read again at each call, so it sees new engines."""
        if isinstance(key, int):
            self.engine_uuid(key)
            return DirectView(self, key)
        if isinstance(key, slice):
            return DirectView(self, key)
        return DirectView(self, list(key))

    def direct_view(self, targets: Targets = "all") -> DirectView:
        """A DirectView; ``'all'`` (the default) means every engine registered at the time of each call."""
        return DirectView(self, targets)

    def executor(self, targets: list[int] | None = None) -> ViewExecutor:
        """A `concurrent.futures.Executor` over a load-balanced view (ipyparallel's ``rc.executor()``)."""
        return self.load_balanced_view(targets).executor

    def load_balanced_view(self, targets: Targets = None) -> LoadBalancedView:
        """Tasks go wherever there is room, among `targets` when given (checked now, and at each send)."""
        if targets not in (None, "all"):
            self.resolve_targets(targets)
        return LoadBalancedView(self, targets)

    def activate(self, targets: Targets = "all", suffix: str = "") -> DirectView:
        """IPython's %px{suffix} magics on a new blocking DirectView of `targets`, which is returned."""
        from ipcluster.client._magics import activate  # IPython is optional: the `magics` extra

        return activate(self, targets, suffix)

    def resolve_targets(self, targets: Targets) -> list[int]:
        """The engine ids `targets` stands for now; a clear error for anything else."""
        if targets is None or targets == "all":
            ids = self.ids
        elif isinstance(targets, slice):
            ids = self.ids[targets]
        elif isinstance(targets, int) and not isinstance(targets, bool):
            ids = [targets]
        elif isinstance(targets, list | tuple | range):
            ids = list(targets)
        else:
            raise TypeError(f"targets={targets!r}: give an engine id, a list of ids, a slice or 'all'")
        if not all(isinstance(engine_id, int) and not isinstance(engine_id, bool) for engine_id in ids):
            raise TypeError(f"targets={targets!r}: engine ids are ints")
        if not ids:
            raise NoEnginesRegistered("no engines are registered: start some with `ipcluster start -n N`")
        for engine_id in ids:
            self.engine_uuid(engine_id)
        return ids

    def wait(self, jobs: Jobs | None = None, timeout: float | None = None) -> bool:
        """Wait for `jobs` (AsyncResults, futures or msg_ids; default: everything this client sent).

        True when all are done within `timeout` (None or negative: no limit, as
        ipyparallel's -1). A msg_id this client is not waiting for counts as done.
        """
        timeout = None if timeout is not None and timeout < 0 else timeout
        if jobs is None:
            futures: list[Future] = list(self._inbox.pending.copy().values())
        else:
            futures = []
            for job in [jobs] if isinstance(jobs, str | Future) else jobs:
                if isinstance(job, str):
                    futures += [future] if (future := self._inbox.pending.get(job)) is not None else []
                elif isinstance(job, Future):
                    futures.append(job)
                else:
                    raise TypeError(f"a job is an AsyncResult, a future or a msg_id, not {type(job).__name__}")
        return not wait_futures(futures, timeout).not_done

    # -- sending

    def send(self, channel: str, header: header_pb2.Header, content, buffers: list, engine_id: int | None = None
             ) -> TaskFuture:
        """Send a request; returns the future its reply resolves."""
        uuid = self.engine_uuid(engine_id) if engine_id is not None else ""
        future = TaskFuture(header.msg_id, uuid)
        future.client = self
        future.metadata["engine_id"] = engine_id
        self._inbox.expect(future)
        frames = self.session.frames(header, content, buffers)
        self._io.send(channel, [uuid.encode(), *frames] if uuid else frames)
        return future

    def clear(self, targets: Targets = None, block: bool = True) -> AsyncResult:
        """Empty the namespaces of the target engines (control queue: never waits behind work)."""
        return self._control(work.ControlRequest(action=work.ControlRequest.CLEAR), targets, block)

    def shutdown(self, targets: Targets = None, hub: bool = False, block: bool = True) -> AsyncResult:
        """Stop the target engines; they unregister and exit. ``hub=True`` stops every engine and then the
        controller itself (hub, schedulers, heart monitor), after which this client can only be closed.

        An engine's departure may be announced before its reply arrives, which
        fails its future with EngineError: here that is the success asked for.
        """
        engines = "all" if hub else targets
        if hub and not self.ids:
            result = AsyncResult([], label="control")
        else:
            result = self._control(work.ControlRequest(action=work.ControlRequest.SHUTDOWN), engines, block=False)
        if (block or hub) and not result.wait(self.timeout):
            raise TimeoutError(f"engines did not confirm shutdown within {self.timeout:g} s")
        if hub:
            try:
                self._hub_request(MT.CONTROLLER_SHUTDOWN_REQUEST, reg.ControllerShutdownRequest())
            except RuntimeError:
                # the controller may be gone before its answer is read: that is what was asked for
                if not isinstance(self._inbox.stopped, ConnectionError):
                    raise
        return result

    def _control(self, request: work.ControlRequest, targets: Targets, block: bool) -> AsyncResult:
        """One control request per target engine; it never waits behind queued work."""
        futures = [self.send("control", self.session.header(MT.CONTROL_REQUEST, engine_id=engine_id), request, [],
                             engine_id) for engine_id in self.resolve_targets(targets)]
        result = AsyncResult(futures, single=isinstance(targets, int), label="control")
        if block:
            result.get(self.timeout)
        return result

    def queue_status(self, targets: int | list[int] | None = None) -> dict:
        """``{engine_id: {'queue': n, 'completed': n}, 'unassigned': n}`` from the hub."""
        wanted = [] if targets in (None, "all") else [targets] if isinstance(targets, int) else list(targets)
        reply = self._hub_request(MT.QUEUE_STATUS_REQUEST, reg.QueueStatusRequest(targets=wanted)).content(
            reg.QueueStatusReply
        )
        status: dict[Any, Any] = {eid: {"queue": q.queue, "completed": q.completed} for eid, q in reply.engines.items()}
        status["unassigned"] = reply.unassigned
        return status

    def _hub_request(self, msg_type: MT, content) -> Message:
        """Ask the hub and wait for its answer; a refusal raises HubError."""
        header = self.session.header(msg_type)
        future: Future = Future()
        self._inbox.expect_hub(header.msg_id, future)
        self._io.send("registration", self.session.frames(header, content))
        try:
            return future.result(self.timeout)
        except HubError:
            raise
        except RuntimeError as exc:  # failed by fail_everything: closed, or the controller is gone
            raise RuntimeError(str(exc)) from None
        except TimeoutError:
            raise TimeoutError(no_answer("the hub", self.info, "registration", self.timeout, self._tunnel,
                                         self._inbox.refusal)) from None
        finally:
            self._inbox.hub_requests.pop(header.msg_id, None)

    # -- lifetime

    def close(self) -> None:
        """Stop the I/O thread and fail whatever is still pending: nothing waits on a closed client."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(RuntimeError):  # the I/O thread already ended (it crashed)
            self._io.stop()
        self._io.join(timeout=5)
        self._inbox.fail_everything(RuntimeError("closed"))
        self._context.destroy(linger=0)
        if self._tunnel is not None:
            self._tunnel.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            self.close()
