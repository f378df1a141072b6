"""The committed generated code must match the .proto files."""

import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1]
PROTO_ROOT = PACKAGE / "proto"
GENERATED = PACKAGE / "src"


def test_generated_code_is_fresh(tmp_path):
    """Regenerating from the .proto files gives exactly the committed code (else run `nox -s protos`)."""
    pytest.importorskip("grpc_tools")
    protos = sorted(str(p.relative_to(PROTO_ROOT)) for p in PROTO_ROOT.rglob("*.proto"))
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", f"-I{PROTO_ROOT}", f"--python_out={tmp_path}",
         f"--pyi_out={tmp_path}", *protos],
        check=True,
    )
    fresh = {p.relative_to(tmp_path): p.read_text() for p in tmp_path.rglob("*_pb2.py*")}
    committed = {p.relative_to(GENERATED): p.read_text() for p in GENERATED.rglob("*_pb2.py*")}
    assert set(fresh) == set(committed), "generated files differ: run `nox -s protos`"
    stale = [str(name) for name in fresh if fresh[name] != committed[name]]
    assert [] == stale, "stale generated code: run `nox -s protos`"
