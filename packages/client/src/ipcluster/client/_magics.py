"""IPython magics on a DirectView: %px, %%px, %autopx, %pxresult (%result) and %pxconfig, as in ipyparallel.

`rc.activate()` or ``%load_ext ipcluster.client`` registers them; a suffix names
another set (``rc.activate([0, 1], suffix="_a")`` gives %px_a, %autopx_a, ...)
so several views can have magics.
"""

from __future__ import annotations

import re
from typing import Any

try:
    from IPython import get_ipython
    from IPython.core import magic_arguments
    from IPython.core.error import UsageError
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.core.magic import Magics
except ImportError as exc:
    raise ImportError("the %px magics need IPython: pip install 'ipcluster-client[magics]'") from exc

from ipcluster.client._asyncresult import AsyncResult
from ipcluster.client._client import Client
from ipcluster.client._directview import DirectView
from ipcluster.client._errors import IPClusterError
from ipcluster.client._magics_args import exec_args, output_args, parse_targets
from ipcluster.client._magics_output import EnginesFailed, engine_outputs, show_outputs
from ipcluster.client._view import Targets

NO_RESULT = "%pxresult shows the output of the last %px, and nothing has run with %px yet"
NO_CLIENT = ("the %px magics need a Client: create one (rc = Client()), then %load_ext ipcluster.client again, "
             "or call rc.activate()")


class ParallelMagics(Magics):
    """The magics of one DirectView, whose targets and block flag are the defaults of %px and %autopx."""

    registered = True  # the table of magics is built per instance, with the suffix
    shell: InteractiveShell  # always given, unlike in Magics

    def __init__(self, shell: InteractiveShell, view: DirectView, suffix: str = ""):
        self.view = view
        self.last_result: AsyncResult | None = None
        self.autopx_transformer = AutoPx(suffix)
        line = {f"px{suffix}": self.px_line, f"pxresult{suffix}": self.pxresult, f"pxconfig{suffix}": self.pxconfig,
                f"autopx{suffix}": self.autopx}
        if not suffix:
            line["result"] = self.pxresult  # ipyparallel's older name
        self.magics = {"line": line, "cell": {f"px{suffix}": self.px}}
        super().__init__(shell=shell)

    def px_line(self, line: str = "") -> AsyncResult | None:
        """%px CODE: run one line on the engines (%%px takes options, %pxconfig changes the defaults)."""
        return self._run(line, self.view, self.view.block, "type")

    @magic_arguments.magic_arguments()
    @exec_args
    @magic_arguments.argument("--local", action="store_true", help="also run the cell in this shell")
    @output_args
    def px(self, line: str = "", cell: str = "") -> AsyncResult | None:
        """%%px: run the cell on the engines and show what each printed, and its trailing expression's value."""
        args = magic_arguments.parse_argstring(self.px, line)
        view = self.view if args.targets is None else self.view.client.direct_view(self._targets(args.targets))
        block = self.view.block if args.block is None else args.block
        return self._run(cell, view, block, args.groupby, local=args.local)

    @magic_arguments.magic_arguments()
    @exec_args
    def pxconfig(self, line: str = "") -> None:
        """%pxconfig: set the targets and blocking of %px and %autopx."""
        args = magic_arguments.parse_argstring(self.pxconfig, line)
        if args.targets is not None:
            self.view.targets = self._targets(args.targets)
        if args.block is not None:
            self.view.set_flags(block=args.block)

    @magic_arguments.magic_arguments()
    @output_args
    def pxresult(self, line: str = "") -> None:
        """%pxresult: wait for the last %px (say, after --noblock) and show its output."""
        args = magic_arguments.parse_argstring(self.pxresult, line)
        if self.last_result is None:
            raise UsageError(NO_RESULT)
        self._show(self.last_result, args.groupby)

    def autopx(self, line: str = "") -> None:
        """%autopx: every following cell runs on the engines, as %%px would run it, until %autopx again."""
        transformers = self.shell.input_transformers_cleanup
        if self.autopx_transformer in transformers:
            transformers.remove(self.autopx_transformer)
            print("%autopx disabled")
        else:
            transformers.append(self.autopx_transformer)
            print("%autopx enabled")

    def _targets(self, text: str) -> Targets:
        """Parsed --targets, refused at once when it names an engine that is not registered."""
        try:
            targets = parse_targets(text, self.view.client.ids)
            return check_targets(self.view.client, targets)
        except (IPClusterError, ValueError) as error:
            raise UsageError(str(error)) from None

    def _run(self, code: str, view: DirectView, block: bool, groupby: str, local: bool = False
             ) -> AsyncResult | None:
        """Send the code; when blocking, wait and show the output. Not blocking, return the AsyncResult."""
        try:
            result = view.execute(code, silent=False, block=False)
        except (IPClusterError, ValueError, RuntimeError) as error:  # no engines, a target left, a closed client
            raise UsageError(str(error)) from None
        self.last_result = result
        if local:
            self.autopx_transformer.paused = True  # the cell runs here, not on the engines once more
            try:
                self.shell.run_cell(code)
            finally:
                self.autopx_transformer.paused = False
        if not block:
            return result
        self._show(result, groupby)
        return None

    @staticmethod
    def _show(result: AsyncResult, groupby: str) -> None:
        """Wait, show each engine's output, then raise the engines' errors for IPython to show."""
        result.wait()
        outputs = engine_outputs(result)
        show_outputs(outputs, groupby)
        if any(output.error is not None for output in outputs):
            raise EnginesFailed(outputs)


class AutoPx:
    """The input transformer %autopx installs: each cell becomes a %%px cell, except those of its own magics."""

    # IPython's completeness check skips transformers with side effects; a %%px cell would wait for a blank line
    has_side_effects = True

    def __init__(self, suffix: str):
        self.magic = f"%%px{suffix}\n"
        self.own_magics = re.compile(rf"%(autopx|%px|pxconfig|pxresult){re.escape(suffix)}(?!\w)")
        self.paused = False  # while %%px --local runs the cell in this shell

    def __call__(self, lines: list[str]) -> list[str]:
        if self.paused or not lines or self.own_magics.match(lines[0].lstrip()):
            return lines
        return [self.magic, *lines]


def check_targets(client: Client, targets: Targets) -> Targets:
    """`targets` unchanged, once every engine it names is registered ("all" stays whatever registers later)."""
    if targets != "all":
        client.resolve_targets(targets)
    return targets


def activate(client: Client, targets: Targets = "all", suffix: str = "",
             shell: InteractiveShell | None = None) -> DirectView:
    """Register the magics on a new blocking DirectView of `targets` (blocking, as in ipyparallel); returns it."""
    shell = shell or get_ipython()
    if shell is None:
        raise RuntimeError("rc.activate() adds the %px magics to IPython: call it in IPython or Jupyter")
    view = client.direct_view(check_targets(client, targets))
    view.set_flags(block=True)
    shell.register_magics(ParallelMagics(shell, view, suffix))
    return view


def load_ipython_extension(shell: Any) -> None:
    """``%load_ext ipcluster.client``: the magics for the newest Client, on all its engines."""
    client = Client.newest() if Client.newest is not None else None
    if client is None:
        raise UsageError(NO_CLIENT)
    activate(client, shell=shell)
