"""The user guides' examples run as written against a real cluster."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).parents[2] / "docs"


def python_blocks(page: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", (DOCS / page).read_text(), flags=re.DOTALL)


def test_task_records_guide_runs(make_cluster):
    """docs/task-records.md: its query example, on a cluster keeping records in SQLite."""
    cluster = make_cluster(n=2, controller_args=["--sqlitedb"])
    cluster.client().close()  # wait for both engines
    example = python_blocks("task-records.md")[-1]
    assert "rc.db_query" in example
    done = subprocess.run([sys.executable, "-c", example], env=cluster.env, capture_output=True, text=True,
                          timeout=120)
    assert 0 == done.returncode, done.stderr
    printed = done.stdout.splitlines()
    assert ["1024", "[1024]", "1"] == [printed[0], printed[-2], printed[-1]]
    assert "{'pending': [], 'completed': [" in printed[1]
    assert os.path.exists(cluster.profile / "tasks.db")
