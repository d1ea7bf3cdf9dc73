"""The artifact loader refuses anything missing, corrupt or inconsistent, naming the file."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from movierec.artifact import ArtifactError, latest_version, load_artifact, resolve_version_dir, sha256_file
from testing.artifacts import MOVIES, build_tiny_artifact


@pytest.fixture
def root(tmp_path) -> Path:
    build_tiny_artifact(tmp_path, version="v1")
    return tmp_path


def test_round_trip_keeps_arrays_catalog_and_manifest(root):
    art = load_artifact(root)
    assert art.version == "v1" and latest_version(root) == "v1"
    assert art.arrays["item_ids"].tolist() == [m[0] for m in MOVIES]
    assert art.arrays["item_factors"].dtype == np.float32 and art.arrays["item_factors"].shape == (len(MOVIES), 4)
    assert art.movies[2].title == "Usual Suspects, The" and art.item_row(12) == 2 and art.item_row(9999) is None
    assert set(art.manifest["files"]) == {"model.npz", "genres.npz", "catalog.json"}
    for name, entry in art.manifest["files"].items():
        assert entry["sha256"] == sha256_file(root / "v1" / name)


def test_latest_points_at_the_newest_version_and_versions_are_immutable(root):
    build_tiny_artifact(root, version="v2", seed=1)
    assert resolve_version_dir(root).name == "v2" and load_artifact(root / "v1").version == "v1"
    with pytest.raises(ArtifactError, match="already exists"):
        build_tiny_artifact(root, version="v2")


def test_missing_root_says_how_to_make_one(tmp_path):
    with pytest.raises(ArtifactError, match="python -m trainer train"):
        load_artifact(tmp_path / "nothing")


def test_truncated_file_is_refused_by_name(root):
    f = root / "v1" / "model.npz"
    f.write_bytes(f.read_bytes()[:100])
    with pytest.raises(ArtifactError, match=r"model\.npz is truncated"):
        load_artifact(root)


def test_edited_catalog_is_refused_by_checksum(root):
    f = root / "v1" / "catalog.json"
    f.write_text(f.read_text().replace("Toy Story", "Toy Storz"))  # same length, other bytes
    with pytest.raises(ArtifactError, match=r"catalog\.json does not match its sha256"):
        load_artifact(root)


def test_missing_file_is_refused_by_name(root):
    (root / "v1" / "genres.npz").unlink()
    with pytest.raises(ArtifactError, match=r"genres\.npz is missing"):
        load_artifact(root)


def test_manifest_with_consistent_checksums_but_wrong_dtype_is_refused(root):
    # Re-save model.npz with a wrong dtype and fix up its checksum: the shape/dtype check must catch it.
    d = root / "v1"
    with np.load(d / "model.npz", allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["item_factors"] = arrays["item_factors"].astype(np.float64)
    np.savez(d / "model.npz", **arrays)
    manifest = json.loads((d / "manifest.json").read_text())
    manifest["files"]["model.npz"] = {"sha256": sha256_file(d / "model.npz"), "bytes": (d / "model.npz").stat().st_size}
    (d / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match="'item_factors' should be float32"):
        load_artifact(root)


def test_object_arrays_are_never_unpickled(root):
    d = root / "v1"
    with np.load(d / "genres.npz", allow_pickle=False) as npz:
        genre = npz["genre_matrix"]
    np.savez(d / "genres.npz", genre_matrix=np.array([genre, "x"], dtype=object))
    manifest = json.loads((d / "manifest.json").read_text())
    manifest["files"]["genres.npz"] = {"sha256": sha256_file(d / "genres.npz"),
                                       "bytes": (d / "genres.npz").stat().st_size}
    (d / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match="cannot be read as plain arrays"):
        load_artifact(root)


def test_latest_naming_a_path_outside_the_root_is_refused(root):
    (root / "LATEST").write_text("../elsewhere\n")
    with pytest.raises(ArtifactError, match="invalid version name"):
        load_artifact(root)


def test_unfinished_temporary_dirs_are_ignored(root):
    shutil.copytree(root / "v1", root / ".tmp-v9-123")
    assert load_artifact(root).version == "v1"
