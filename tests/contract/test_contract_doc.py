"""The contract documents itself: every element commented in the .proto, docs/contract.md in sync."""
from __future__ import annotations

import textwrap
from pathlib import Path

from docs.gen_contract import DOC, compile_with_comments, elements, render


def test_every_service_rpc_message_and_field_has_a_comment() -> None:
    found = elements(compile_with_comments())
    assert {e.kind for e in found} == {"service", "rpc", "message", "field", "enum", "value"}
    assert [e.name for e in found if not e.comment] == []


def test_every_rpc_says_which_errors_it_returns() -> None:
    rpcs = [e for e in elements(compile_with_comments()) if e.kind == "rpc"]
    assert len(rpcs) >= 8
    assert [e.name for e in rpcs if "Errors:" not in e.comment and "Never fails" not in e.comment] == []


def test_a_missing_comment_is_reported(tmp_path: Path) -> None:
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "t.proto").write_text(textwrap.dedent("""
        syntax = "proto3";
        package t;
        // Documented.
        message A {
          // Documented too.
          int64 id = 1;
          string name = 2;
          map<string, double> m = 3;
        }
        message B {}
        // Documented.
        enum E {
          // Documented.
          E_UNSPECIFIED = 0;
          E_ONE = 1;
        }
        service S {
          // Errors: none.
          rpc Get(A) returns (B);
        }
    """))
    missing = [e.name for e in elements(compile_with_comments(tmp_path)) if not e.comment]
    # a map's generated entry message is not asked for
    assert missing == ["t.S", "t.A.name", "t.A.m", "t.B", "t.E.E_ONE"]


def test_contract_md_is_generated_from_the_protos() -> None:
    assert DOC.read_text() == render(compile_with_comments()), \
        "docs/contract.md is stale: run `python -m docs.gen_contract` and commit it"
