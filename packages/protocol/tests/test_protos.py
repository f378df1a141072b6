"""The committed generated code must match the .proto files."""

import runpy
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
GENERATED = PACKAGE / "src"


def generated_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*_pb2*") if p.suffix in (".py", ".pyi")]


def test_generated_code_is_fresh(tmp_path):
    """Regenerating from the .proto files gives exactly the committed code (else run `nox -s protos`)."""
    runpy.run_path(str(PACKAGE / "proto/generate.py"))["generate"](tmp_path)
    fresh = {p.relative_to(tmp_path): p.read_text() for p in generated_files(tmp_path)}
    committed = {p.relative_to(GENERATED): p.read_text() for p in generated_files(GENERATED)}
    assert set(fresh) == set(committed), "generated files differ: run `nox -s protos`"
    stale = [str(name) for name in fresh if fresh[name] != committed[name]]
    assert [] == stale, "stale generated code: run `nox -s protos`"
