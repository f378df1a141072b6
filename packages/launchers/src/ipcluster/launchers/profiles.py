"""``ipcluster profile create|list``: make a profile with every setting written out, and find profiles.

IPython had these as ``ipython profile create --parallel`` and ``ipython profile list``; here they need
no IPython, and the config files come from our own classes.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from traitlets import Bool

from ipcluster.launchers._config_files import config_files
from ipcluster.protocol._app import COMMON_ALIASES, BaseParallelApplication, UsageError, run_app
from ipcluster.protocol._profile import ProfileDir, ipython_dir
from ipcluster.protocol._service import os_error_line


class ProfilesCommand(BaseParallelApplication):
    """A command about profiles rather than run in one: it reads the command line and nothing else.

    No config file is loaded (``--reset`` must be able to replace a broken one) and no profile is
    located before it is wanted, since locating creates it and listing must create nothing.
    """

    name = "ipcluster"
    aliases = {"ipython-dir": COMMON_ALIASES["ipython-dir"]}
    flags: dict = {}

    def initialize(self, argv: list[str] | None = None) -> None:
        self._reject_unknown_options(sys.argv[1:] if argv is None else argv)
        self.parse_command_line(argv)
        if self.ipython_dir:
            os.environ["IPYTHONDIR"] = self.ipython_dir


def profiles_in(folder: Path) -> list[ProfileDir]:
    """The profile_<name> folders directly in `folder`, by name; none when `folder` does not exist."""
    try:
        entries = sorted(folder.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as exc:
        raise UsageError(f"cannot look for profiles in {os_error_line(exc)}") from None
    return [ProfileDir(entry.absolute()) for entry in entries if entry.name.startswith("profile_") and entry.is_dir()]


class ProfileCreate(ProfilesCommand):
    description = "Create a profile folder and its config files, every setting commented out at its default."
    overwrite = Bool(False, help="replace config files that exist (--reset)").tag(config=True)
    aliases = {**ProfilesCommand.aliases, "profile": COMMON_ALIASES["profile"],
               "profile-dir": COMMON_ALIASES["profile-dir"]}
    flags = {"reset": ({"ProfileCreate": {"overwrite": True}}, "replace config files that exist")}

    def run(self) -> int:
        if not self.profile_dir and (not self.profile or os.sep in self.profile):
            raise UsageError(f"--profile={self.profile!r} is not a profile name: give a name without {os.sep!r}, "
                             "or a folder with --profile-dir")
        profile = self._locate_profile()  # creates it, with security/ log/ pid/ startup/
        for name, text in config_files().items():
            path = profile.path / name
            if path.exists() and not self.overwrite:
                print(f"ipcluster: kept {path} (--reset replaces it)")
                continue
            try:
                path.write_text(text)
            except OSError as exc:
                raise UsageError(f"cannot write {os_error_line(exc)}") from None
            print(f"ipcluster: wrote {path}")
        return 0


class ProfileList(ProfilesCommand):
    description = "List the profiles in IPYTHONDIR and in the current folder."

    def run(self) -> int:
        found = {profile.path.resolve(): profile for profile in [*profiles_in(ipython_dir()), *profiles_in(Path())]}
        if not found:
            print(f"ipcluster: no profiles in {ipython_dir()} or {Path.cwd()}; "
                  "create one with `ipcluster profile create`")
            return 0
        width = max(len(profile.name) for profile in found.values())
        for profile in found.values():
            print(f"{profile.name:<{width}}    {profile.path}")
        return 0


PROFILE_COMMANDS: dict[str, type[ProfilesCommand]] = {"create": ProfileCreate, "list": ProfileList}


class ProfileApp(BaseParallelApplication):
    """``ipcluster profile <command>``: hands the rest of the command line to that command."""

    name = "ipcluster"

    def initialize(self, argv: list[str] | None = None) -> None:
        self.rest = list(sys.argv[2:] if argv is None else argv)

    def run(self) -> int:
        names = ", ".join(PROFILE_COMMANDS)
        if self.rest[:1] in (["-h"], ["--help"]):
            print(f"usage: ipcluster profile {{{names}}} [options]\n\n{__doc__}")
            return 0
        if not self.rest or self.rest[0] not in PROFILE_COMMANDS:
            given = f"unknown profile command {self.rest[0]!r}" if self.rest else "no profile command"
            return self.fail(f"{given}: use one of {names} (e.g. `ipcluster profile create --profile=mpi`)")
        return run_app(PROFILE_COMMANDS[self.rest[0]], self.rest[1:])
