"""The .proto contract stays wire-compatible with its previous committed version."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from scripts.proto_compat import PROTO_DIR, breaking_changes, compile_protos, previous_protos

OLD = """
syntax = "proto3";
package t.v1;
message Req { int64 id = 1; string name = 2; repeated int32 tags = 3; optional float alpha = 4; }
message Rep { string v = 1; }
service S { rpc Get(Req) returns (Rep); rpc Put(Req) returns (Rep); }
"""


def compiled(tmp_path: Path, name: str, text: str):
    d = tmp_path / name / "t" / "v1"
    d.mkdir(parents=True)
    (d / "t.proto").write_text(textwrap.dedent(text))
    return compile_protos(tmp_path / name)


@pytest.mark.parametrize("new,expected", [
    (OLD.replace("string name = 2;", "bytes name = 2; int32 extra = 5;"), []),  # string<->bytes, an added field
    (OLD.replace("int64 id = 1;", "int32 id = 1;"), []),  # varint family
    (OLD.replace("string name = 2;", "reserved 2; reserved \"name\";"), []),
    (OLD.replace("message Rep { string v = 1; }", "message Rep { string v = 1; }\nmessage New { int32 x = 1; }"), []),
    (OLD.replace("string name = 2;", ""), ["Req.name = 2 was removed"]),
    (OLD.replace("string name = 2;", "int64 name = 2;"), ["field 2 changed type"]),
    (OLD.replace("int64 id = 1; string name = 2;", "int64 id = 2; string name = 1;"), ["field 1 changed type"]),
    (OLD.replace("repeated int32 tags = 3;", "int32 tags = 3;"), ["between repeated and singular"]),
    (OLD.replace("rpc Put(Req) returns (Rep); ", ""), ["rpc t.v1.S/Put was removed"]),
    (OLD.replace("rpc Get(Req) returns (Rep);", "rpc Get(Rep) returns (Rep);"), ["Get changed its request"]),
    (OLD.replace("rpc Get(Req) returns (Rep);", "rpc Get(Req) returns (stream Rep);"), ["Get changed streaming"]),
    (OLD.replace("message Rep { string v = 1; }", "message Rep2 { string v = 1; }").replace("(Rep)", "(Rep2)"),
     ["message t.v1.Rep was removed"]),
])
def test_checker_applies_protobufs_rules(tmp_path, new, expected):
    problems = breaking_changes(compiled(tmp_path, "old", OLD), compiled(tmp_path, "new", new))
    for fragment in expected:
        assert any(fragment in p for p in problems), (fragment, problems)
    if not expected:
        assert problems == []


@pytest.mark.integration
def test_current_protos_are_compatible_with_their_previous_version(tmp_path):
    base = previous_protos(tmp_path)
    if base is None:  # the very first version has nothing to be compatible with
        assert not list(tmp_path.rglob("*.proto"))
        return
    assert breaking_changes(compile_protos(tmp_path), compile_protos(PROTO_DIR)) == []
