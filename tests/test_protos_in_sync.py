"""The committed stubs in movierec/ are exactly what grpcio-tools generates from protos/."""
from __future__ import annotations

from pathlib import Path

import pytest

from scripts.gen_protos import ROOT, generate


@pytest.mark.integration
def test_committed_stubs_match_the_protos(tmp_path: Path):
    generated = {p.relative_to(tmp_path): p.read_bytes() for p in generate(tmp_path)}
    # The generated package is movierec/v1 (and movierec/__init__.py); the rest of movierec/ is hand-written.
    committed = {p.relative_to(ROOT): p.read_bytes()
                 for p in [ROOT / "movierec" / "__init__.py", *(ROOT / "movierec" / "v1").rglob("*")]
                 if p.is_file() and "__pycache__" not in p.parts}
    assert set(generated) == set(committed), "stub files differ: run `python scripts/gen_protos.py`"
    stale = sorted(str(p) for p in generated if generated[p] != committed[p])
    assert not stale, f"stale stubs {stale}: run `python scripts/gen_protos.py` and commit"
