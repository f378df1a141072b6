"""Stopping work that was sent: `abort` and `send_signal` (a mixin of `Client`).

Aborted tasks that have not started are answered with TaskAborted; a running
one is interrupted with it, and its engine carries on. Load-balanced tasks are
aborted through the task scheduler, which also reaches the engine holding one;
direct tasks through their engine's control queue, which never waits behind
work.
"""

from __future__ import annotations

import signal
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from ipcluster.client._asyncresult import AsyncResult, TaskFuture, msg_ids_of
from ipcluster.protocol import header_pb2
from ipcluster.protocol import work_pb2 as work

if TYPE_CHECKING:
    from ipcluster.client._inbox import Inbox
    from ipcluster.client._view import Targets
    from ipcluster.protocol import Session

MT = header_pb2.MsgType


class Interrupts:
    if TYPE_CHECKING:  # what Client provides
        session: Session
        _inbox: Inbox
        timeout: float

        def send(self, channel: str, header: header_pb2.Header, content: Any, buffers: list,
                 engine_id: int | None = None) -> TaskFuture: ...

        def resolve_targets(self, targets: Targets) -> list[int]: ...

        def _control(self, request: work.ControlRequest, targets: Targets, block: bool) -> AsyncResult: ...

    def abort(self, jobs: Any = None, targets: Targets = None, block: bool = False) -> AsyncResult:
        """Abort `jobs` (msg_ids or AsyncResults; default: everything pending, or pending on `targets`).

        Returns the AsyncResult of the abort requests; ``block=True`` waits for them.
        """
        wanted = None if targets is None else set(self.resolve_targets(targets))
        pending = dict(self._inbox.pending)  # a snapshot: the I/O thread removes answered ones
        ids = list(pending) if jobs is None else msg_ids_of(jobs)
        balanced: list[str] = []
        direct: defaultdict[int, list[str]] = defaultdict(list)
        for msg_id in ids:
            future = pending.get(msg_id)
            if future is None:
                continue  # answered already: nothing to abort
            engine_id = future.metadata.get("engine_id")
            if future.engine_uuid and engine_id is not None:
                if wanted is None or engine_id in wanted:
                    direct[engine_id].append(msg_id)
            elif wanted is None:
                balanced.append(msg_id)
        requests = [self._abort_request("task", balanced, None)] if balanced else []
        requests += [self._abort_request("control", msg_ids, engine_id) for engine_id, msg_ids in direct.items()]
        result = AsyncResult(requests, label="abort")
        if block:
            result.get(self.timeout)
        return result

    def _abort_request(self, channel: str, msg_ids: list[str], engine_id: int | None) -> TaskFuture:
        request = work.ControlRequest(action=work.ControlRequest.ABORT, msg_ids=msg_ids)
        header = self.session.header(MT.CONTROL_REQUEST, engine_id=-1 if engine_id is None else engine_id)
        return self.send(channel, header, request, [], engine_id)

    def send_signal(self, signum: int, targets: Targets = None, block: bool = False) -> AsyncResult:
        """Send a signal to the target engines. SIGINT interrupts the running task with KeyboardInterrupt
        and the engine carries on, as in ipyparallel; other signals reach the engine process as they are
        (SIGTERM stops it)."""
        try:
            signum = signal.Signals(signum)
        except ValueError:
            raise ValueError(f"send_signal({signum!r}): not a signal number (e.g. signal.SIGINT)") from None
        if signum == signal.SIGINT:
            request = work.ControlRequest(action=work.ControlRequest.INTERRUPT)
        else:
            request = work.ControlRequest(action=work.ControlRequest.SIGNAL, signum=int(signum))
        return self._control(request, targets, block)
