"""The model artifact: plain .npz arrays + JSON, every file checksummed in a manifest.

Layout of an artifact root (ARTIFACT_DIR):

    <root>/LATEST                 name of the newest complete version (written last, atomically)
    <root>/<version>/manifest.json
    <root>/<version>/model.npz    global_mean ()            float32
                                  user_ids (U,)             int64   dataset user ids
                                  item_ids (I,)             int64   dataset movie ids
                                  user_factors (U, k)       float32
                                  item_factors (I, k)       float32
                                  user_bias (U,)            float32
                                  item_bias (I,)            float32
                                  optional, written by `python -m trainer train` (its ranking step):
                                  neighbor_rows (I, N)      int32   item-graph neighbours of each movie
                                  neighbor_weights (I, N)   float32 their weights, largest first
                                  ease_rows (N,)            int32   movies in the EASE part (trainer/ease.py)
                                  ease_weights (N, N)       float32 its item-item weights, row i for ease_rows[i]
    <root>/<version>/genres.npz   genre_matrix (I, G)       float32 0/1, rows aligned with item_ids
    <root>/<version>/catalog.json {"genres": [G names], "movies": [I rows aligned with item_ids:
                                   {"movie_id", "title", "year", "genres", "n_ratings", "mean_rating"}]}
    <root>/<version>/stats.json   optional: dataset statistics for the dashboard (trainer/stats.py);
                                  checked like the others when the manifest lists it
    <root>/<version>/rerank.txt   optional: the re-rank stage, a LightGBM model in its text format
                                  (trainer/rerank_train.py; manifest serving.rerank says how it was chosen);
                                  checked like the others when the manifest lists it

Nothing is ever unpickled: arrays load with allow_pickle=False and every file's sha256 is
checked against the manifest before anything is used.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

FORMAT = "movierec-artifact/1"
LATEST = "LATEST"
MODEL_FILE = "model.npz"
GENRES_FILE = "genres.npz"
CATALOG_FILE = "catalog.json"
MANIFEST_FILE = "manifest.json"
STATS_FILE = "stats.json"
RERANK_FILE = "rerank.txt"

MODEL_ARRAYS = {  # name -> (dtype, ndim)
    "global_mean": (np.float32, 0),
    "user_ids": (np.int64, 1),
    "item_ids": (np.int64, 1),
    "user_factors": (np.float32, 2),
    "item_factors": (np.float32, 2),
    "user_bias": (np.float32, 1),
    "item_bias": (np.float32, 1),
}

OPTIONAL_ARRAYS = {  # name -> (dtype, ndim); written and checked only when present
    "neighbor_rows": (np.int32, 2),
    "neighbor_weights": (np.float32, 2),
    "ease_rows": (np.int32, 1),
    "ease_weights": (np.float32, 2),
}


class ArtifactError(Exception):
    """An artifact is missing, incomplete, corrupt or inconsistent; the message names the file."""


@dataclass(frozen=True)
class CatalogMovie:
    movie_id: int
    title: str
    year: int  # 0 when unknown
    genres: tuple[str, ...]
    n_ratings: int = 0
    mean_rating: float = 0.0


@dataclass(frozen=True)
class Artifact:
    """A loaded, verified artifact. Row i of every item array is catalog.movies[i]."""

    path: Path
    manifest: dict[str, Any]
    arrays: dict[str, np.ndarray]
    genre_matrix: np.ndarray  # (I, G) float32
    genre_names: tuple[str, ...]
    movies: tuple[CatalogMovie, ...]
    _item_index: dict[int, int] = field(default_factory=dict, repr=False)
    stats: dict[str, Any] | None = field(default=None, repr=False)  # stats.json, when the artifact has one
    rerank_model: str | None = field(default=None, repr=False)  # rerank.txt, when the artifact has one

    @property
    def version(self) -> str:
        return self.manifest["version"]

    def item_row(self, movie_id: int) -> int | None:
        """Row of a dataset movie id, or None when the model does not know it."""
        return self._item_index.get(int(movie_id))


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_artifact(
    root: Path | str,
    version: str,
    arrays: dict[str, np.ndarray],
    genre_matrix: np.ndarray,
    genre_names: list[str],
    movies: list[CatalogMovie],
    manifest: dict[str, Any],
    stats: dict[str, Any] | None = None,
    promote: bool = True,
    rerank_model: str | None = None,
) -> Path:
    """Writes a complete artifact under root/version and then (promote=True) points root/LATEST at it.

    `manifest` holds what the trainer knows (dataset, params, metrics, serving defaults);
    format, version and file checksums are added here. The directory is filled under a
    temporary name and renamed, so a reader never sees a half-written version. promote=False
    keeps the version on disk without serving it (a candidate the retrain gate refused).
    rerank_model: the re-rank stage's LightGBM model text, written as rerank.txt when given.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    final = root / version
    if final.exists():
        raise ArtifactError(f"{final} already exists; versions are immutable")
    tmp = root / f".tmp-{version}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    model = {name: np.asarray(arrays[name], dtype=dtype) for name, (dtype, _) in MODEL_ARRAYS.items()}
    model.update({name: np.asarray(arrays[name], dtype=dtype)
                  for name, (dtype, _) in OPTIONAL_ARRAYS.items() if name in arrays})
    np.savez(tmp / MODEL_FILE, **model)  # type: ignore[arg-type]  # numpy's stub lets ** fill allow_pickle
    np.savez(tmp / GENRES_FILE, genre_matrix=np.asarray(genre_matrix, dtype=np.float32))
    catalog = {
        "genres": list(genre_names),
        "movies": [
            {"movie_id": int(m.movie_id), "title": m.title, "year": int(m.year), "genres": list(m.genres),
             "n_ratings": int(m.n_ratings), "mean_rating": round(float(m.mean_rating), 4)}
            for m in movies
        ],
    }
    (tmp / CATALOG_FILE).write_text(json.dumps(catalog, ensure_ascii=False), encoding="utf-8")
    names = [MODEL_FILE, GENRES_FILE, CATALOG_FILE]
    if stats is not None:
        (tmp / STATS_FILE).write_text(json.dumps(stats, ensure_ascii=False), encoding="utf-8")
        names.append(STATS_FILE)
    if rerank_model is not None:
        (tmp / RERANK_FILE).write_text(rerank_model, encoding="utf-8")
        names.append(RERANK_FILE)
    files = {name: {"sha256": sha256_file(tmp / name), "bytes": (tmp / name).stat().st_size} for name in names}
    full = {**manifest, "format": FORMAT, "version": version, "files": files}
    (tmp / MANIFEST_FILE).write_text(json.dumps(full, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, final)
    if promote:
        set_latest(root, version)
    return final


def set_latest(root: Path | str, version: str) -> None:
    """Points root/LATEST at an existing version in one rename (a reader sees the old or the new name)."""
    root = Path(root)
    if not (root / version / MANIFEST_FILE).is_file():
        raise ArtifactError(f"{root / version} is not a complete artifact version; LATEST left as it was")
    latest_tmp = root / f".{LATEST}.tmp-{os.getpid()}"
    latest_tmp.write_text(version + "\n", encoding="utf-8")
    os.replace(latest_tmp, root / LATEST)


def resolve_version_dir(location: Path | str) -> Path:
    """A version directory itself, or the version an artifact root's LATEST names."""
    location = Path(location)
    if (location / MANIFEST_FILE).is_file():
        return location
    latest = location / LATEST
    if not latest.is_file():
        raise ArtifactError(
            f"no artifact at {location}: neither {MANIFEST_FILE} nor {LATEST} is there "
            "(train one with `python -m trainer train`)"
        )
    version = latest.read_text(encoding="utf-8").strip()
    if not version or "/" in version or version.startswith("."):
        raise ArtifactError(f"{latest} holds an invalid version name {version!r}")
    return location / version


def latest_version(location: Path | str) -> str | None:
    """The version name a location currently points at, or None if there is none."""
    try:
        return resolve_version_dir(location).name
    except ArtifactError:
        return None


def read_manifest(location: Path | str) -> dict[str, Any]:
    """The manifest of a version dir, or of the version a root's LATEST names (checked for format, version
    and files, the other files not read): what a model was made from, e.g. for the retrain gate."""
    return _read_manifest(resolve_version_dir(location))


def _read_manifest(path: Path) -> dict[str, Any]:
    file = path / MANIFEST_FILE
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArtifactError(f"{file} is missing") from None
    except (ValueError, UnicodeDecodeError) as e:
        raise ArtifactError(f"{file} is not valid JSON: {e}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArtifactError(f"{file}: unknown format "
                            f"{manifest.get('format') if isinstance(manifest, dict) else None!r}, expected {FORMAT!r}")
    for key in ("version", "files"):
        if key not in manifest:
            raise ArtifactError(f"{file} has no {key!r}")
    return manifest


def _check_files(path: Path, manifest: dict[str, Any], names: tuple[str, ...], hashed: tuple[str, ...]) -> None:
    """Each of `names` is listed with a checksum, present and of the listed size; those in `hashed`
    also match their sha256 (a truncated, half-copied or edited file is refused, naming it)."""
    for name in names:
        entry = manifest["files"].get(name)
        if not isinstance(entry, dict) or "sha256" not in entry:
            raise ArtifactError(f"{path / MANIFEST_FILE} lists no checksum for {name}")
        file = path / name
        if not file.is_file():
            raise ArtifactError(f"{file} is missing")
        if file.stat().st_size != entry.get("bytes", file.stat().st_size):
            raise ArtifactError(f"{file} is truncated or altered: {file.stat().st_size} bytes, "
                                f"manifest says {entry['bytes']}")
        if name in hashed and sha256_file(file) != entry["sha256"]:
            raise ArtifactError(f"{file} does not match its sha256 in the manifest (corrupt or edited)")


def _verify_files(path: Path, manifest: dict[str, Any]) -> None:
    names = (MODEL_FILE, GENRES_FILE, CATALOG_FILE,
             *(name for name in (STATS_FILE, RERANK_FILE) if name in manifest["files"]))
    _check_files(path, manifest, names, hashed=names)


def _read_catalog(file: Path) -> tuple[tuple[str, ...], tuple[CatalogMovie, ...]]:
    """Genre names and movies of catalog.json."""
    try:
        catalog = json.loads(file.read_text(encoding="utf-8"))
        genre_names = tuple(str(g) for g in catalog["genres"])
        movies = tuple(
            CatalogMovie(int(m["movie_id"]), str(m["title"]), int(m["year"]), tuple(m["genres"]),
                         int(m.get("n_ratings", 0)), float(m.get("mean_rating", 0.0)))
            for m in catalog["movies"]
        )
    except (ValueError, KeyError, TypeError) as e:
        raise ArtifactError(f"{file} is malformed: {e!r}") from None
    return genre_names, movies


def _load_npz(file: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(file, allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}
    except (ValueError, OSError) as e:
        raise ArtifactError(f"{file} cannot be read as plain arrays: {e}") from None


def load_artifact(location: Path | str) -> Artifact:
    """Loads and verifies an artifact (a version dir, or a root with LATEST).

    Raises ArtifactError naming the offending file for anything missing, corrupt or inconsistent.
    """
    path = resolve_version_dir(location)
    manifest = _read_manifest(path)
    _verify_files(path, manifest)

    arrays = _load_npz(path / MODEL_FILE)
    for name, (dtype, ndim) in MODEL_ARRAYS.items():
        a = arrays.get(name)
        if a is None or a.dtype != dtype or a.ndim != ndim:
            found = None if a is None else f"{a.dtype} ndim={a.ndim}"
            raise ArtifactError(f"{path / MODEL_FILE}: array {name!r} should be {np.dtype(dtype)} ndim={ndim}, "
                                f"got {found}")
    for name, (optional_dtype, ndim) in OPTIONAL_ARRAYS.items():
        a = arrays.get(name)
        if a is not None and (a.dtype != optional_dtype or a.ndim != ndim):
            raise ArtifactError(f"{path / MODEL_FILE}: array {name!r} should be {np.dtype(optional_dtype)} "
                                f"ndim={ndim}, got {a.dtype} ndim={a.ndim}")
    n_users, n_items = len(arrays["user_ids"]), len(arrays["item_ids"])
    k = arrays["item_factors"].shape[1]
    expected = {"user_factors": (n_users, k), "item_factors": (n_items, k),
                "user_bias": (n_users,), "item_bias": (n_items,)}
    for name, shape in expected.items():
        if arrays[name].shape != shape:
            raise ArtifactError(f"{path / MODEL_FILE}: {name} has shape {arrays[name].shape}, expected {shape}")
    for name in ("user_factors", "item_factors", "user_bias", "item_bias", "global_mean"):
        if not np.all(np.isfinite(arrays[name])):
            raise ArtifactError(f"{path / MODEL_FILE}: {name} holds NaN or infinite values")

    genre_matrix = _load_npz(path / GENRES_FILE).get("genre_matrix")
    genre_names, movies = _read_catalog(path / CATALOG_FILE)
    if genre_matrix is None or genre_matrix.dtype != np.float32 or genre_matrix.shape != (n_items, len(genre_names)):
        found_matrix = None if genre_matrix is None else (genre_matrix.dtype, genre_matrix.shape)
        raise ArtifactError(f"{path / GENRES_FILE}: genre_matrix should be float32 {(n_items, len(genre_names))}, "
                            f"got {found_matrix}")
    if len(movies) != n_items or any(m.movie_id != i for m, i in zip(movies, arrays["item_ids"].tolist())):
        raise ArtifactError(f"{path / CATALOG_FILE}: movies are not aligned with item_ids in {MODEL_FILE}")
    item_index = {int(i): row for row, i in enumerate(arrays["item_ids"].tolist())}
    if len(item_index) != n_items:
        raise ArtifactError(f"{path / MODEL_FILE}: item_ids has duplicates")
    stats = None
    if STATS_FILE in manifest["files"]:
        try:
            stats = json.loads((path / STATS_FILE).read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as e:
            raise ArtifactError(f"{path / STATS_FILE} is not valid JSON: {e}") from None
        if not isinstance(stats, dict):
            raise ArtifactError(f"{path / STATS_FILE} should hold a JSON object")
    rerank_model = _rerank_text(path) if RERANK_FILE in manifest["files"] else None
    return Artifact(path, manifest, arrays, genre_matrix, genre_names, movies, item_index, stats, rerank_model)


def _rerank_text(path: Path) -> str:
    """rerank.txt of a version directory whose checksums were checked."""
    try:
        return (path / RERANK_FILE).read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise ArtifactError(f"{path / RERANK_FILE} is not UTF-8 text: {e}") from None


def read_rerank_model(location: Path | str) -> str | None:
    """The re-rank stage's model text of an artifact (a version dir, or a root with LATEST), checked against
    its sha256; None when the manifest lists none. Raises ArtifactError for a missing or altered file."""
    path = resolve_version_dir(location)
    manifest = _read_manifest(path)
    if RERANK_FILE not in manifest["files"]:
        return None
    _check_files(path, manifest, (RERANK_FILE,), hashed=(RERANK_FILE,))
    return _rerank_text(path)


def load_catalog(location: Path | str) -> tuple[dict[str, Any], tuple[CatalogMovie, ...]]:
    """Manifest and catalog movies of an artifact (a version dir, or a root with LATEST): what the
    matcher keeps.

    The catalog must match its sha256; the model files must be listed and there with their listed
    sizes (a truncated or half-copied artifact is refused here too), but their contents are not read:
    hashing and loading the factors the matcher never uses was most of its artifact read at 62K
    movies, and the scorer verifies them in full (load_artifact) before it serves them.
    Raises ArtifactError naming the offending file.
    """
    path = resolve_version_dir(location)
    manifest = _read_manifest(path)
    _check_files(path, manifest, (MODEL_FILE, GENRES_FILE, CATALOG_FILE), hashed=(CATALOG_FILE,))
    _, movies = _read_catalog(path / CATALOG_FILE)
    if len({m.movie_id for m in movies}) != len(movies):
        raise ArtifactError(f"{path / CATALOG_FILE}: movie ids repeat")
    return manifest, movies
