"""What every command (ipcluster, ipcontroller, ipengine) shares: profiles, config files, logs.

Configuration is traitlets: ``c.IPEngineApp.work_dir = '/scratch'`` in
``ipengine_config.py`` and ``--IPEngineApp.work_dir=/scratch`` on the command
line set the same trait. Class names ipyparallel and IPython used are kept
working by `aliases_of_classes`: their settings are copied onto ours.
"""

from __future__ import annotations

import os
import sys
from typing import ClassVar

from traitlets import Bool, Unicode
from traitlets.config import Application, Config

from ipcluster.protocol._logging import configure_logging
from ipcluster.protocol._profile import ProfileDir
from ipcluster.protocol._service import die_with_parent, os_error_line

COMMON_ALIASES = {
    "profile": "BaseParallelApplication.profile",
    "profile-dir": "BaseParallelApplication.profile_dir",
    "ipython-dir": "BaseParallelApplication.ipython_dir",
    "log-level": "BaseParallelApplication.log_level_name",
    "work-dir": "BaseParallelApplication.work_dir",
    "cluster-id": "BaseParallelApplication.cluster_id",
}
COMMON_FLAGS = {
    "log-to-file": ({"BaseParallelApplication": {"log_to_file": True}}, "log into the profile's log/ folder"),
    "debug": ({"BaseParallelApplication": {"log_level_name": "debug"}}, "log debug events"),
    "die-with-parent": ({"BaseParallelApplication": {"die_with_parent": True}}, "exit when the parent process dies"),
}


class UsageError(Exception):
    """A user's mistake: printed as one line, exit code 1, no traceback."""


class BaseParallelApplication(Application):
    profile = Unicode("default", help="the profile to use: IPYTHONDIR/profile_<name>").tag(config=True)
    profile_dir = Unicode("", help="the profile's folder, overriding --profile").tag(config=True)
    ipython_dir = Unicode("", help="the IPython directory (default $IPYTHONDIR or ~/.ipython)").tag(config=True)
    log_level_name = Unicode("info", help="debug, info, warning or error").tag(config=True)
    log_to_file = Bool(False, help="log into the profile's log/ folder instead of the terminal").tag(config=True)
    work_dir = Unicode("", help="the folder to run in (default: the current one)").tag(config=True)
    die_with_parent = Bool(False, help="exit when the process that started this one dies").tag(config=True)
    cluster_id = Unicode("", help="accepted for ipyparallel compatibility; one cluster per profile").tag(config=True)

    # old class name -> our class name; settings under the old name are applied to ours
    aliases_of_classes: ClassVar[dict[str, str]] = {}
    config_file_stem: ClassVar[str] = ""

    def initialize(self, argv: list[str] | None = None) -> None:
        self._reject_unknown_options(sys.argv[1:] if argv is None else argv)
        self.parse_command_line(argv)
        if self.die_with_parent:
            die_with_parent()
        cli_config = self.config
        if self.ipython_dir:
            os.environ["IPYTHONDIR"] = self.ipython_dir
        self.profile_path = self._locate_profile()
        config_file = self.profile_path.path / f"{self.config_file_stem}_config.py"
        if config_file.exists():
            self.load_config_file(config_file.name, path=[str(self.profile_path.path)])
            self.update_config(cli_config)  # the command line wins over the file
        self.update_config(self._translated(self.config))
        if self.work_dir:
            self._enter_work_dir()
        self.slog = configure_logging(
            self.name, self.profile_path.log if self.log_to_file else None, self.log_level_name
        )

    def _locate_profile(self) -> ProfileDir:
        try:
            return ProfileDir.locate(self.profile, self.profile_dir or None)
        except OSError as exc:
            raise UsageError(f"cannot use the profile folder: {os_error_line(exc)}") from None

    def _enter_work_dir(self) -> None:
        try:
            os.chdir(os.path.expanduser(self.work_dir))
        except OSError as exc:
            raise UsageError(f"cannot use --work-dir: {os_error_line(exc)}") from None

    def _reject_unknown_options(self, argv: list[str]) -> None:
        """traitlets only warns about an unknown option and runs anyway; a typo should stop us."""
        known = {*self.aliases, *self.flags, "h", "help", "help-all", "version"}
        for arg in argv:
            if arg == "--":
                return
            name = arg.lstrip("-").split("=", 1)[0]
            if arg.startswith("-") and len(arg) > 1 and "." not in name and name not in known:
                raise UsageError(f"unknown option {arg.split('=', 1)[0]}: see `{self.name} --help`")

    def _translated(self, config: Config) -> Config:
        translated = Config()
        for old, new in self.aliases_of_classes.items():
            if old in config and old != new:
                for trait, value in config[old].items():
                    if trait not in config.get(new, {}):
                        translated[new][trait] = value
        return translated

    def run(self) -> int:
        """Do the command's work; returns the exit code (traitlets' `start` returns nothing)."""
        raise NotImplementedError(f"{type(self).__name__} must define run()")

    def fail(self, message: str, code: int = 1) -> int:
        print(f"{self.name}: {message}", file=sys.stderr)
        return code


def run_app(app_class: type[BaseParallelApplication], argv: list[str] | None = None) -> int:
    """Run an app; user errors become one line on stderr and a non-zero exit."""
    app = app_class()
    try:
        try:
            app.initialize(argv)
        except OSError as exc:  # a config or log file it cannot open: the user's to fix
            raise UsageError(os_error_line(exc)) from None
        return app.run()
    except UsageError as exc:
        return app.fail(str(exc))
    except KeyboardInterrupt:
        return 130
