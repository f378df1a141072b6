"""User mistakes in folders and connection files: one line on stderr and a non-zero exit, no traceback."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from clusters import run


@pytest.fixture
def env(ipython_dir: Path, no_leftovers) -> dict[str, str]:
    return {**os.environ, "IPYTHONDIR": str(ipython_dir)}


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert 1 == len(lines), stderr
    return lines[0]


@pytest.mark.parametrize(("option", "path"), [
    ("--work-dir=/nonexistent", "/nonexistent"),
    ("--profile-dir=/proc/x", "/proc/x"),
])
def test_start_with_an_unusable_folder_is_one_line(env, option, path):
    """`ipcluster start` with a folder it cannot use names the folder in one line and exits 1."""
    result = run(["ipcluster.launchers.cluster", "start", "-n", "1", option], env)
    assert 1 == result.returncode
    line = one_line(result.stderr)
    assert line.startswith("ipcluster: ")
    assert path in line


@pytest.mark.parametrize("content", [[1, 2], "a key", {"interface": "tcp://127.0.0.1"}])
def test_engine_with_a_damaged_connection_file_is_one_line(env, tmp_path, content):
    """ipengine --file=<not a connection object> says so in one line naming the file, and exits 1."""
    damaged = tmp_path / "engine.json"
    damaged.write_text(json.dumps(content))
    result = run(["ipcluster.engine", f"--file={damaged}"], env)
    assert 1 == result.returncode
    assert str(damaged) in one_line(result.stderr)


def test_service_with_a_spec_lacking_ports_is_one_line(env, tmp_path):
    """ipcluster-hub --spec=<spec without ports> exits 1 with one line naming the file, binding nothing."""
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"key": "k", "ip": "127.0.0.1"}))
    result = run(["ipcluster.hub", f"--spec={spec}"], env)
    assert 1 == result.returncode
    assert str(spec) in one_line(result.stderr)
