"""Checks that the .proto files stay wire-compatible with their previous committed version.

Protobuf's rules, applied to compiled descriptors: a field number keeps its wire type and
cardinality, a removed field's number (and name) must be reserved, messages, services and RPCs
are not removed, and an RPC keeps its request and response types. Adding fields, messages and
RPCs is always fine. Usage: `python scripts/proto_compat.py` (exit 1 and a list on a break).
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from google.protobuf import descriptor_pb2
from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_DIR = ROOT / "protos"
F = descriptor_pb2.FieldDescriptorProto

# Field types that share an encoding and may replace each other (protobuf language guide).
_WIRE_GROUPS = [
    {F.TYPE_INT32, F.TYPE_UINT32, F.TYPE_INT64, F.TYPE_UINT64, F.TYPE_BOOL, F.TYPE_ENUM},
    {F.TYPE_SINT32, F.TYPE_SINT64},
    {F.TYPE_FIXED32, F.TYPE_SFIXED32},
    {F.TYPE_FIXED64, F.TYPE_SFIXED64},
    {F.TYPE_STRING, F.TYPE_BYTES},
]


def _compatible_types(old: F, new: F) -> bool:
    if old.type == new.type:
        return old.type_name == new.type_name or old.type not in (F.TYPE_MESSAGE, F.TYPE_ENUM)
    return any(old.type in g and new.type in g for g in _WIRE_GROUPS)


def compile_protos(proto_root: Path) -> descriptor_pb2.FileDescriptorSet:
    """Compiles every .proto under proto_root into one descriptor set."""
    protos = sorted(p.relative_to(proto_root).as_posix() for p in proto_root.rglob("*.proto"))
    include = Path(protoc.__file__).parent / "_proto"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "set.pb"
        if protoc.main(["protoc", f"-I{proto_root}", f"-I{include}", f"--descriptor_set_out={out}", *protos]) != 0:
            raise RuntimeError(f"protoc failed on {proto_root}")
        return descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())


def _in_real_oneof(field: F) -> bool:
    """proto3 `optional` is a synthetic oneof with the same encoding; only real oneofs count."""
    return field.HasField("oneof_index") and not field.proto3_optional


def _messages(fds: descriptor_pb2.FileDescriptorSet) -> dict[str, descriptor_pb2.DescriptorProto]:
    found: dict[str, descriptor_pb2.DescriptorProto] = {}

    def walk(prefix: str, msgs) -> None:
        for m in msgs:
            found[f"{prefix}.{m.name}"] = m
            walk(f"{prefix}.{m.name}", m.nested_type)

    for f in fds.file:
        walk(f.package, f.message_type)
    return found


def _methods(fds: descriptor_pb2.FileDescriptorSet) -> dict[str, descriptor_pb2.MethodDescriptorProto]:
    return {f"{f.package}.{s.name}/{m.name}": m for f in fds.file for s in f.service for m in s.method}


def _reserved(msg: descriptor_pb2.DescriptorProto, number: int, name: str) -> bool:
    return any(r.start <= number < r.end for r in msg.reserved_range) and name in msg.reserved_name


def breaking_changes(old: descriptor_pb2.FileDescriptorSet, new: descriptor_pb2.FileDescriptorSet) -> list[str]:
    """Every way `new` breaks clients or servers built from `old`; empty when compatible."""
    problems = []
    old_msgs, new_msgs = _messages(old), _messages(new)
    for name, old_msg in old_msgs.items():
        new_msg = new_msgs.get(name)
        if new_msg is None:
            problems.append(f"message {name} was removed")
            continue
        new_fields = {f.number: f for f in new_msg.field}
        for field in old_msg.field:
            now = new_fields.get(field.number)
            if now is None:
                if not _reserved(new_msg, field.number, field.name):
                    problems.append(f"{name}.{field.name} = {field.number} was removed without "
                                    f"`reserved {field.number}; reserved \"{field.name}\";`")
            elif not _compatible_types(field, now):
                problems.append(f"{name} field {field.number} changed type "
                                f"({F.Type.Name(field.type)} {field.type_name} -> "
                                f"{F.Type.Name(now.type)} {now.type_name})")
            elif (field.label == F.LABEL_REPEATED) != (now.label == F.LABEL_REPEATED):
                problems.append(f"{name} field {field.number} changed between repeated and singular")
            elif _in_real_oneof(field) != _in_real_oneof(now):
                problems.append(f"{name} field {field.number} moved into or out of a oneof")
    new_methods = _methods(new)
    for name, method in _methods(old).items():
        now = new_methods.get(name)
        if now is None:
            problems.append(f"rpc {name} was removed")
        elif (now.input_type, now.output_type) != (method.input_type, method.output_type):
            problems.append(f"rpc {name} changed its request or response type")
        elif (now.client_streaming, now.server_streaming) != (method.client_streaming, method.server_streaming):
            problems.append(f"rpc {name} changed streaming")
    return problems


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout


def previous_protos(dest: Path) -> str | None:
    """Writes the protos as of the last commit that changed them, before the current state, into dest.

    "Current" is the working tree when it differs from HEAD, else HEAD. Returns that commit, or
    None when the protos have no earlier version.
    """
    dirty = bool(_git("status", "--porcelain", "--", "protos").strip())
    commits = _git("log", "--format=%H", "--", "protos").split()
    base = commits[0] if dirty else (commits[1] if len(commits) > 1 else None)
    if not commits or base is None:
        return None
    for path in _git("ls-tree", "-r", "--name-only", base, "--", "protos").split():
        if path.endswith(".proto"):
            target = dest / Path(path).relative_to("protos")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(_git("show", f"{base}:{path}"), encoding="utf-8")
    return base


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        base = previous_protos(Path(tmp))
        if base is None:
            print("no earlier version of protos/ to compare with")
            return 0
        problems = breaking_changes(compile_protos(Path(tmp)), compile_protos(PROTO_DIR))
    for p in problems:
        print(f"BREAKING: {p}")
    verdict = "compatible" if not problems else f"{len(problems)} breaking change(s)"
    print(f"compared protos/ with {base[:10]}: {verdict}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
