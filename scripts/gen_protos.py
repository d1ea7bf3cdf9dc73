"""Generates the Python gRPC stubs in movierec/ from the .proto files in protos/.

Run after editing a .proto: `python scripts/gen_protos.py`. The stubs are committed so that
services, clients and images need no code generation; tests/test_protos_in_sync.py fails when
they drift from the .proto files.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_DIR = ROOT / "protos"


def generate(out_dir: Path) -> list[Path]:
    """Writes *_pb2.py, *_pb2.pyi and *_pb2_grpc.py for every .proto into out_dir."""
    protos = sorted(p.relative_to(PROTO_DIR).as_posix() for p in PROTO_DIR.rglob("*.proto"))
    include = Path(protoc.__file__).parent / "_proto"  # well-known types shipped with grpcio-tools
    args = ["protoc", f"-I{PROTO_DIR}", f"-I{include}", f"--python_out={out_dir}",
            f"--pyi_out={out_dir}", f"--grpc_python_out={out_dir}", *protos]
    if protoc.main(args) != 0:
        raise RuntimeError(f"protoc failed on {protos}")
    # Packages need an __init__.py so `import movierec.v1` works without namespace tricks.
    for pkg in {p.parent for p in out_dir.rglob("*_pb2.py")}:
        while pkg != out_dir:
            (pkg / "__init__.py").touch()
            pkg = pkg.parent
    return sorted(p for p in out_dir.rglob("*") if p.is_file())


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        files = generate(Path(tmp))
        for f in files:
            rel = f.relative_to(tmp)
            dest = ROOT / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(f.read_bytes())
            print(f"wrote {rel}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
