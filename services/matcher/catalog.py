"""The matcher's read of an artifact: its manifest and catalog, checked; the model arrays are left to the scorer."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from services.common.artifact import (CATALOG_FILE, GENRES_FILE, MANIFEST_FILE, MODEL_FILE, ArtifactError,
                                      CatalogMovie, _read_manifest, resolve_version_dir, sha256_file)


def read_catalog(location: Path | str) -> tuple[dict[str, Any], tuple[CatalogMovie, ...]]:
    """Manifest and catalog movies of an artifact (a version dir, or a root with LATEST).

    The catalog must match its sha256 in the manifest; the model files must be there with the sizes
    the manifest lists (a truncated or half-copied artifact is refused here too), but their contents
    are not read: hashing and loading tens of MB of factors the matcher never uses was most of its
    artifact read at 62K movies, and the scorer verifies them in full before it serves them.
    Raises ArtifactError naming the offending file.
    """
    path = resolve_version_dir(location)
    manifest = _read_manifest(path)
    for name in (MODEL_FILE, GENRES_FILE, CATALOG_FILE):
        entry = manifest["files"].get(name)
        if not isinstance(entry, dict) or "sha256" not in entry:
            raise ArtifactError(f"{path / MANIFEST_FILE} lists no checksum for {name}")
        file = path / name
        if not file.is_file():
            raise ArtifactError(f"{file} is missing")
        size = file.stat().st_size
        if size != entry.get("bytes", size):
            raise ArtifactError(f"{file} is truncated or altered: {size} bytes, manifest says {entry['bytes']}")
    file = path / CATALOG_FILE
    if sha256_file(file) != manifest["files"][CATALOG_FILE]["sha256"]:
        raise ArtifactError(f"{file} does not match its sha256 in the manifest (corrupt or edited)")
    try:
        movies = tuple(
            CatalogMovie(int(m["movie_id"]), str(m["title"]), int(m["year"]), tuple(m["genres"]),
                         int(m.get("n_ratings", 0)), float(m.get("mean_rating", 0.0)))
            for m in json.loads(file.read_text(encoding="utf-8"))["movies"]
        )
    except (ValueError, KeyError, TypeError) as e:
        raise ArtifactError(f"{file} is malformed: {e!r}") from None
    if len({m.movie_id for m in movies}) != len(movies):
        raise ArtifactError(f"{file}: movie ids repeat")
    return manifest, movies
