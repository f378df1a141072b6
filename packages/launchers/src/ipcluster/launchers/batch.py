"""Controllers and engines run as batch jobs: render a script, submit it, poll its state, cancel it on stop.

Each system (PBS, SGE, LSF, Slurm, HTCondor, Windows HPC) is a `BatchSystemLauncher` subclass that names
its commands and how to read their output; its ``...EngineSetLauncher`` and ``...ControllerLauncher``
add the program the job runs and the default script. Everything is a setting, in ipyparallel's sections:
``c.PBSLauncher.queue`` for both roles, ``c.PBSEngineSetLauncher.batch_template_file`` for one.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from traitlets import Dict, Float, List, Unicode, default
from traitlets.config import Config, Configurable

from ipcluster.launchers._process import COMMAND_TIMEOUT
from ipcluster.launchers._template import render
from ipcluster.launchers._watch import EngineWatch
from ipcluster.launchers.local import controller_command, engine_command

STATUS_FAILURES = 5  # status commands failing in a row (not saying "no such job") before ipcluster gives up


class BatchError(RuntimeError):
    """A batch command failed or said something we cannot read; the message names the command."""

    def __init__(self, message: str, returncode: int | None = None, said: str = ""):
        super().__init__(message)
        self.returncode = returncode
        self.said = said


SUBMIT_HELP = "the command that submits the batch script ({batch_file} is its path; else the path is appended)"
DELETE_HELP = "the command that cancels a job ({job_id} is replaced)"
STATUS_HELP = "the command that shows a job's states ({job_id} is replaced)"


def command_setting(default: list[str], help: str) -> List:
    """A command line setting; each system declares its own, so its config section shows its commands."""
    return List(Unicode(), default, help=help).tag(config=True)


def state_setting(default: str) -> Unicode:
    return Unicode(default, help="finds each state of the job in the status command's output ({job_id} is "
                   "replaced; the first group is the state)").tag(config=True)


class BatchSystemLauncher(Configurable):
    """What every batch system shares, set here for all (or as c.PBSLauncher.queue for one): script, queue, commands."""

    system: ClassVar[str] = ""  # 'PBS', for messages and file names
    role: ClassVar[str] = ""  # 'engines' or 'controller'
    templates: ClassVar[dict[str, str]] = {}  # the default script of each role
    queue_directive: ClassVar[str] = ""  # the script line that picks a queue, e.g. '#PBS -q {queue}'
    finished_states: ClassVar[frozenset[str]] = frozenset()  # states of a job that ended but is still listed
    # how a status command that fails says the job is gone (forgotten after it ended): exit codes, or words
    gone_codes: ClassVar[frozenset[int]] = frozenset()
    gone_pattern: ClassVar[str] = ""
    submit_reads_stdin: ClassVar[bool] = False  # bsub takes its script on stdin
    remote: ClassVar[bool] = True  # runs on the batch system's nodes, not this host
    batch_file_suffix: ClassVar[str] = ""  # '.xml' for Windows HPC's job description

    submit_command = command_setting([], SUBMIT_HELP)
    delete_command = command_setting([], DELETE_HELP)
    status_command = command_setting([], STATUS_HELP)
    job_id_regexp = Unicode(r"\d+", help="finds the job id in the submit command's output").tag(config=True)
    job_state_regexp = state_setting("")
    queue = Unicode("", help="the queue to submit to, {queue} in the template").tag(config=True)
    batch_template = Unicode("", help="the batch script; {n}, {queue}, {profile_dir}, {program_and_args} and "
                             "expressions on them like {n//4} are filled in (default: the system's own)").tag(
        config=True)
    batch_template_file = Unicode("", help="a file to read batch_template from, relative to the profile "
                                  "folder").tag(config=True)
    batch_file_name = Unicode(help="where the rendered script is written, in the profile folder").tag(config=True)
    context = Dict(help="more keys for the template").tag(config=True)
    poll_interval = Float(1.0, help="seconds between looks at the job's state").tag(config=True)

    def __init__(self, profile_dir: Path, n: int, program: Sequence[str], config: Config | None = None):
        super().__init__(config=config)
        self.profile_dir = Path(profile_dir)
        self.n = n
        self.program = list(program)
        self.job_id = ""
        self.returncode: int | None = None
        self._checked_at = -float("inf")
        self._last_state = "submitted"
        self._status_failures = 0

    @default("batch_file_name")
    def _batch_file_name_default(self) -> str:
        return f"{self.system.lower()}_{self.role}{self.batch_file_suffix}"

    def template(self) -> str:
        """The user's template (setting, then file) or the default, with a queue line added when needed."""
        text = self.batch_template
        if not text and self.batch_template_file:
            path = self.profile_dir / Path(self.batch_template_file).expanduser()
            try:
                text = path.read_text()
            except OSError as exc:
                raise BatchError(f"cannot read c.{type(self).__name__}.batch_template_file {str(path)!r}: "
                                 f"{exc.strerror}") from None
        text = text or self.templates[self.role]
        if self.queue and "{queue}" not in text and self.queue_directive:
            head, newline, rest = text.partition("\n")  # after the #! line
            text = f"{head}{newline}{self.queue_directive}\n{rest}" if head.startswith("#!") else \
                f"{self.queue_directive}\n{text}"
        return text

    def keys(self) -> dict[str, Any]:
        """What a template may use."""
        return {
            "n": self.n, "queue": self.queue, "profile_dir": str(self.profile_dir), "python": sys.executable,
            "program_and_args": shlex.join(self.program), "program": self.program, **self.context,
        }

    def write_script(self) -> Path:
        path = self.profile_dir / self.batch_file_name
        path.write_text(render(self.template(), self.keys()))
        path.chmod(0o700)
        return path

    def start(self) -> None:
        """Submit the job and remember its id."""
        script = self.write_script()
        argv = self.submit_argv(script)
        with open(script) as stdin:
            out = self._command(argv, stdin=stdin if self.submit_reads_stdin else subprocess.DEVNULL)
        found = re.search(self.job_id_regexp, out)
        if not found:
            raise BatchError(f"`{shlex.join(argv)}` printed no job id (looked for {self.job_id_regexp!r} in "
                             f"{out.strip()!r}); set c.{type(self).__name__}.job_id_regexp")
        self.job_id = found.group(0)

    def submit_argv(self, script: Path) -> list[str]:
        argv = [arg.replace("{batch_file}", str(script)) for arg in self.submit_command]
        if not self.submit_reads_stdin and argv == self.submit_command:
            argv.append(str(script))
        return argv

    def state(self) -> str | None:
        """The job's first state that is not a finished one ('R', 'PEND', ...); None once it has ended.

        A status command that fails without saying the job is gone (a busy or restarting scheduler) leaves
        the last known state; STATUS_FAILURES of those in a row are a BatchError.
        """
        try:
            out = self._command(self._with_id(self.status_command))
        except BatchError as exc:
            if self._says_gone(exc):
                return None
            self._status_failures += 1
            if self._status_failures >= STATUS_FAILURES:
                raise BatchError(f"{exc} ({self._status_failures} times in a row); {self} may still run: "
                                 f"cancel it with `{shlex.join(self._with_id(self.delete_command))}`") from None
            return self._last_state
        self._status_failures = 0
        pattern = self.job_state_regexp.replace("{job_id}", re.escape(self.job_id))
        states = [match.group(1) for match in re.finditer(pattern, out, re.MULTILINE)]
        found = next((state for state in states if state not in self.finished_states), None)
        self._last_state = found or self._last_state
        return found

    def _says_gone(self, exc: BatchError) -> bool:
        return exc.returncode in self.gone_codes or bool(self.gone_pattern and re.search(self.gone_pattern, exc.said))

    @property
    def running(self) -> bool:
        """Queued or running, asked of the system at most once per poll_interval; an ended job stays ended."""
        if not self.job_id or self.returncode is not None:
            return False
        if time.monotonic() - self._checked_at >= self.poll_interval:
            self._checked_at = time.monotonic()
            if self.state() is None:
                self.returncode = 0  # no system keeps an exit status we can rely on: it left the queue
        return self.returncode is None

    def stop(self, timeout: float = 10.0) -> None:
        """Cancel the job, also one that looks ended (a job in an error state still holds its place).

        A cancel that fails while the job is still listed is a BatchError: ipcluster then keeps its pid file,
        whose cleanup commands let `ipcluster stop` try again.
        """
        if not self.job_id:
            return
        try:
            self._command(self._with_id(self.delete_command))
        except BatchError as exc:
            if self._says_gone(exc) or self.state() is None:
                return  # it ended just now: nothing to cancel
            raise BatchError(f"cannot cancel {self}: {exc}; `ipcluster stop` tries again") from None
        finally:
            if self.returncode is None:
                self.returncode = 0

    def cleanup_commands(self) -> list[list[str]]:
        return [self._with_id(self.delete_command)] if self.job_id else []

    def _with_id(self, argv: Sequence[str]) -> list[str]:
        return [arg.replace("{job_id}", self.job_id) for arg in argv]

    def _command(self, argv: Sequence[str], stdin: Any = subprocess.DEVNULL) -> str:
        """Run a batch command in the profile's folder and return what it printed; BatchError when it fails."""
        try:
            done = subprocess.run(argv, stdin=stdin, capture_output=True, text=True, cwd=self.profile_dir,
                                  timeout=COMMAND_TIMEOUT)
        except FileNotFoundError:
            raise BatchError(f"{argv[0]!r} is not installed here (the {self.system} launchers need it on PATH); "
                             f"set c.{type(self).__name__}.{self._setting_of(argv)} if it has another name") from None
        except subprocess.TimeoutExpired:
            raise BatchError(f"`{shlex.join(argv)}` took more than {COMMAND_TIMEOUT} s") from None
        if done.returncode != 0:
            said = (done.stderr or done.stdout).strip()
            raise BatchError(f"`{shlex.join(argv)}` failed with exit code {done.returncode}: {said}",
                             done.returncode, said)
        return done.stdout

    def _setting_of(self, argv: Sequence[str]) -> str:
        """The setting that gave `argv` (Windows HPC's all start with `job`: the whole line tells them apart)."""
        for name in ("status_command", "delete_command"):
            if list(argv) == self._with_id(getattr(self, name)):
                return name
        return "submit_command"

    def __str__(self) -> str:
        return f"{self.system} job {self.job_id or '(not submitted)'}"


class BatchEngineSetLauncher(BatchSystemLauncher):
    """`n` engines in one batch job (an array, or one allocation of n tasks, as the system's script says)."""

    role = "engines"

    def __init__(self, profile_dir: Path, n: int, engine_args: Sequence[str] = (), config: Config | None = None):
        super().__init__(profile_dir, n, engine_command(profile_dir, engine_args), config=config)
        self._reaped = False

    def ready(self, watch: EngineWatch) -> bool:
        """Their pids are the batch system's: count the engines that joined since the submit."""
        return self.running and watch.joined() >= self.n

    def reap(self) -> list[BatchSystemLauncher]:
        """The job, once, when it has ended."""
        if self._reaped or self.running:
            return []
        self._reaped = True
        return [self]


class BatchControllerLauncher(BatchSystemLauncher):
    """``ipcontroller`` in a batch job; it writes the connection files into the (shared) profile folder."""

    role = "controller"

    def __init__(self, profile_dir: Path, controller_args: Sequence[str] = (), config: Config | None = None):
        super().__init__(profile_dir, 1, controller_command(profile_dir, controller_args), config=config)
