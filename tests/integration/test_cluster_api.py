"""`Cluster`, the Python face of ipcluster start/stop, on real processes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from clusters import alive, processes_of

from ipcluster.launchers import Cluster, ClusterError


@pytest.fixture
def profile_dir(ipython_dir, no_leftovers):
    return ipython_dir / "profile_api"


def test_with_block_starts_connects_and_stops(profile_dir, ipython_dir):
    """`with Cluster(n=2) as rc:` gives a connected client of two engines; leaving the block stops them."""
    with Cluster(n=2, profile_dir=profile_dir, engine_args=["--timeout=7"]) as rc:
        assert [0, 1] == rc.ids
        assert 2 == len(set(rc[:].apply_sync(os.getpid)))
        cmdlines = [" ".join(p.cmdline()) for p in processes_of(ipython_dir) if alive(p)]
        assert 2 == sum("--timeout=7" in line for line in cmdlines if "ipcluster.engine" in line)
    assert [] == [p for p in processes_of(ipython_dir) if alive(p)]


def test_start_connect_stop_by_hand(profile_dir):
    """start(), connect_client() and stop() do the same in steps; a second start while running is refused."""
    cluster = Cluster(n=1, profile_dir=profile_dir, controller_args=["--ping=500"])
    cluster.start()
    try:
        with pytest.raises(ClusterError, match="running already"):
            cluster.start()
        rc = cluster.connect_client()
        rc.wait_for_engines(1, timeout=60)
        assert 4 == rc[0].apply_sync(abs, -4)
    finally:
        cluster.stop()
    assert not cluster.started
    cluster.stop()  # stopping a stopped cluster does nothing


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"engines": "yarn"}, "engines='yarn': unknown engine launcher 'yarn': choose one of Local, MPI"),
    ({"controller": "S"}, "controller='S': unknown controller launcher 'S': choose one of Local, MPI"),
])
def test_unknown_launchers_are_refused(profile_dir, kwargs, message):
    """An engine or controller launcher that names none (or several) is refused at once, listing the choices."""
    with pytest.raises(ValueError, match=message):
        Cluster(n=1, profile_dir=profile_dir, **kwargs)


def test_readme_from_python_section_runs(ipython_dir, no_leftovers):
    """The README's "From Python" example runs as written and prints 2."""
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme.split("## From Python", 1)[1].split("\n## ", 1)[0]
    [code] = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    done = subprocess.run([sys.executable, "-c", code], env={**os.environ, "IPYTHONDIR": str(ipython_dir)},
                          capture_output=True, text=True, timeout=120)
    assert 0 == done.returncode, done.stderr
    assert ["2"] == done.stdout.splitlines()
