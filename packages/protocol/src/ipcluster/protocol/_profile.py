"""The profile directory: where connection files, logs and pid files live.

``$IPYTHONDIR/profile_<name>/{security,log,pid,startup}``, as IPython lays it
out, so a user's existing profiles and habits carry over.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

SUBDIRS = ("security", "log", "pid", "startup")


def ipython_dir() -> Path:
    """``$IPYTHONDIR``, or ``~/.ipython`` when it is unset."""
    return Path(os.environ.get("IPYTHONDIR") or Path.home() / ".ipython").expanduser()


@dataclass(frozen=True)
class ProfileDir:
    path: Path

    @classmethod
    def locate(cls, profile: str = "default", profile_dir: str | os.PathLike | None = None) -> ProfileDir:
        """The profile's directory, created with its subfolders when missing."""
        path = Path(profile_dir).expanduser() if profile_dir else ipython_dir() / f"profile_{profile}"
        found = cls(path.absolute())
        found.ensure()
        return found

    def ensure(self) -> None:
        for name in SUBDIRS:
            (self.path / name).mkdir(parents=True, exist_ok=True)
        (self.path / "security").chmod(0o700)

    @property
    def name(self) -> str:
        return self.path.name.removeprefix("profile_")

    @property
    def security(self) -> Path:
        return self.path / "security"

    @property
    def log(self) -> Path:
        return self.path / "log"

    @property
    def pid(self) -> Path:
        return self.path / "pid"
