"""Mistakes in the folders a command is given: one line and a non-zero exit, never a traceback."""

import os

import pytest

from ipcluster.protocol._app import COMMON_ALIASES, COMMON_FLAGS, BaseParallelApplication, run_app


class Probe(BaseParallelApplication):
    name = "probe"
    config_file_stem = "probe"
    aliases = COMMON_ALIASES
    flags = COMMON_FLAGS

    def run(self) -> int:
        return 0


@pytest.fixture
def ipython_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.chdir(tmp_path)  # a --work-dir that works would move the test process
    return tmp_path / "ipython"


def one_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert 1 == len(err), err
    return err[0]


def test_missing_work_dir_is_one_line(ipython_dir, tmp_path, capsys):
    """--work-dir naming no folder exits 1 with one line naming the folder and the problem."""
    missing = tmp_path / "nonexistent"
    assert 1 == run_app(Probe, [f"--work-dir={missing}"])
    line = one_line(capsys)
    assert line.startswith("probe: ")
    assert str(missing) in line
    assert os.strerror(2) in line


def test_profile_dir_that_cannot_be_created_is_one_line(ipython_dir, tmp_path, capsys):
    """--profile-dir under a regular file exits 1 with one line naming the path."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert 1 == run_app(Probe, [f"--profile-dir={blocker / 'profile'}"])
    assert str(blocker) in one_line(capsys)


def test_profile_dir_in_proc_is_one_line(ipython_dir, capsys):
    """--profile-dir=/proc/x (a folder no one may create) exits 1 with one line naming it."""
    assert 1 == run_app(Probe, ["--profile-dir=/proc/x"])
    assert "/proc/x" in one_line(capsys)


def test_working_folders_run_the_app(ipython_dir, tmp_path):
    """A folder that exists is used: the mistake handling does not get in the way."""
    assert 0 == run_app(Probe, [f"--work-dir={tmp_path}", f"--profile-dir={tmp_path / 'p'}"])
    assert tmp_path == type(tmp_path).cwd()
