"""docs/client-guide.md runs as written against a real cluster and prints what its `# -> ...` comments say."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

GUIDE = Path(__file__).parents[2] / "docs" / "client-guide.md"


def test_client_guide_runs_and_prints_what_it_says(make_cluster):
    """Every python block, in order, in one process: stdout is exactly the lines the comments promise."""
    cluster = make_cluster(n=4)
    cluster.client().close()  # wait for the four engines
    blocks = re.findall(r"```python\n(.*?)```", GUIDE.read_text(), flags=re.DOTALL)
    script = "\n".join(blocks)
    promised = re.findall(r"# -> ?(.*)$", script, flags=re.MULTILINE)
    done = subprocess.run([sys.executable, "-c", script], env=cluster.env, capture_output=True, text=True,
                          timeout=120)
    assert 0 == done.returncode, done.stderr
    assert 20 < len(promised)
    assert promised == done.stdout.splitlines()
