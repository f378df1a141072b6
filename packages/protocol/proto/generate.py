"""Regenerate the protobuf (and, for files that define a service, gRPC) Python code.

    python packages/protocol/proto/generate.py [OUTPUT_DIR]

OUTPUT_DIR defaults to the package's src folder, where the generated code is
committed; the protocol tests generate into a temporary folder and compare.
"""

from __future__ import annotations

import sys
from pathlib import Path

from grpc_tools import protoc

PROTO_ROOT = Path(__file__).resolve().parent
DEFAULT_OUTPUT = PROTO_ROOT.parent / "src"


def generate(output: Path = DEFAULT_OUTPUT) -> None:
    for proto in sorted(PROTO_ROOT.rglob("*.proto")):
        relative = str(proto.relative_to(PROTO_ROOT))
        args = ["protoc", f"-I{PROTO_ROOT}", f"--python_out={output}", f"--pyi_out={output}"]
        if "\nservice " in proto.read_text():
            args.append(f"--grpc_python_out={output}")
        if protoc.main([*args, relative]) != 0:
            raise SystemExit(f"protoc failed on {relative}")


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUTPUT)
