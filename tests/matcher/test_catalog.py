"""load_catalog (the matcher's read) on real artifacts: the catalog load_artifact gives, refused when damaged,
the model arrays left unread."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from movierec.artifact import ArtifactError, load_artifact, load_catalog, sha256_file
from testing.artifacts import build_tiny_artifact


@pytest.fixture
def version_dir(tmp_path: Path) -> Path:
    return build_tiny_artifact(tmp_path)


def test_reads_what_the_full_load_reads(version_dir):
    full = load_artifact(version_dir)
    assert load_catalog(version_dir.parent) == (full.manifest, full.movies)  # through LATEST
    assert load_catalog(version_dir) == (full.manifest, full.movies)


def _set_manifest(version_dir: Path, name: str, **entry) -> None:
    manifest = json.loads((version_dir / "manifest.json").read_text())
    manifest["files"][name].update(entry)
    (version_dir / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize(("damage", "named"), [
    ("truncate model.npz", "model.npz is truncated"),
    ("delete genres.npz", "genres.npz is missing"),
    ("edit catalog.json", "catalog.json does not match its sha256"),
    ("unlist model.npz", "lists no checksum for model.npz"),
    ("malformed catalog.json", "catalog.json is malformed"),
    ("repeated movie id", "movie ids repeat"),
])
def test_a_damaged_artifact_is_refused_naming_the_file(version_dir, damage, named):
    model, catalog = version_dir / "model.npz", version_dir / "catalog.json"
    if damage == "truncate model.npz":
        model.write_bytes(model.read_bytes()[:100])
    elif damage == "delete genres.npz":
        (version_dir / "genres.npz").unlink()
    elif damage == "edit catalog.json":
        catalog.write_text(catalog.read_text().replace("Toy Story", "Toy Storm"))
    elif damage == "unlist model.npz":
        manifest = json.loads((version_dir / "manifest.json").read_text())
        del manifest["files"]["model.npz"]
        (version_dir / "manifest.json").write_text(json.dumps(manifest))
    else:  # a catalog the manifest vouches for, but wrong inside
        data = json.loads(catalog.read_text())
        if damage == "malformed catalog.json":
            del data["movies"][0]["title"]
        else:
            data["movies"][1]["movie_id"] = data["movies"][0]["movie_id"]
        catalog.write_text(json.dumps(data))
        _set_manifest(version_dir, "catalog.json", sha256=sha256_file(catalog), bytes=catalog.stat().st_size)
    with pytest.raises(ArtifactError, match=named):
        load_catalog(version_dir)


def test_the_model_arrays_are_left_to_the_scorer(version_dir):
    # Same size, other bytes: only hashing or loading the arrays could tell, and that is the scorer's job.
    model = version_dir / "model.npz"
    model.write_bytes(b"\0" * model.stat().st_size)
    with pytest.raises(ArtifactError, match="model.npz"):
        load_artifact(version_dir)
    assert load_catalog(version_dir)[1] == load_artifact(build_tiny_artifact(version_dir.parent / "fresh")).movies
