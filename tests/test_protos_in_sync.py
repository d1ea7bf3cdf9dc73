"""The committed stubs in movierec/ are exactly what grpcio-tools generates from protos/."""
from __future__ import annotations

from pathlib import Path

import pytest

from scripts.gen_protos import PROTO_DIR, ROOT, generate


def _stub_tree(root: Path) -> dict[Path, bytes]:
    """movierec/__init__.py and the packages protos/movierec/ has (v1, ...): not the hand-written movierec.store."""
    packages = [d.name for d in (PROTO_DIR / "movierec").iterdir() if d.is_dir()]
    files = [root / "movierec" / "__init__.py", *(p for pkg in packages for p in (root / "movierec" / pkg).rglob("*"))]
    return {p.relative_to(root): p.read_bytes() for p in files if p.is_file() and "__pycache__" not in p.parts}


@pytest.mark.integration
def test_committed_stubs_match_the_protos(tmp_path: Path):
    written = {p.relative_to(tmp_path) for p in generate(tmp_path)}
    generated = _stub_tree(tmp_path)
    assert set(generated) == written  # every generated file is in the compared tree
    committed = _stub_tree(ROOT)
    assert set(generated) == set(committed), "stub files differ: run `python scripts/gen_protos.py`"
    stale = sorted(str(p) for p in generated if generated[p] != committed[p])
    assert not stale, f"stale stubs {stale}: run `python scripts/gen_protos.py` and commit"
