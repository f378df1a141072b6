"""The README's five-minute tour runs as written: its shell and Python blocks, in order."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).parents[2] / "README.md"


def tour_blocks() -> list[tuple[str, str]]:
    """(language, code) of each fenced block of the tour section."""
    tour = README.read_text().split("## Five-minute tour", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```(bash|python)\n(.*?)```", tour, flags=re.DOTALL)


def test_the_tour_runs_as_written(ipython_dir, no_leftovers):
    """Start, the Python session, stop: each block succeeds and prints what its comments promise."""
    env = {**os.environ, "IPYTHONDIR": str(ipython_dir),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    outputs = []
    for language, code in tour_blocks():
        command = ["bash", "-euc", code] if language == "bash" else [sys.executable, "-c", code]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        assert 0 == done.returncode, f"{language} block failed:\n{code}\n{done.stderr}"
        outputs.append(done.stdout)
    assert ["bash", "python", "bash"] == [language for language, _ in tour_blocks()]
    printed = outputs[1].splitlines()
    assert "[0, 1, 2, 3]" == printed[0]
    assert 4 == len(set(ast.literal_eval(printed[1])))  # four different pids
    assert str(list(range(0, 80, 10))) == printed[2]
    assert "328350" == printed[3]
    assert "ZeroDivisionError: division by zero" in printed[4]
    assert "1024" == printed[5]
    assert "32" == printed[6]
