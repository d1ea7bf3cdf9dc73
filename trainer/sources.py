"""Turns a dataset name on the command line into a Dataset: the embedded default, a release, a path or synthetic."""
from __future__ import annotations

from pathlib import Path

from trainer.dataset import Dataset
from trainer.download import RELEASES, download_release
from trainer.formats import load_official
from trainer.movielens import DataError, load_movielens
from trainer.synthetic import synthetic_from_spec

DEFAULT = "ml-100k"
SYNTHETIC = "synthetic:"
HELP = (f"'{DEFAULT}' (default: the copy in the recbole wheel), a directory or .zip of an official "
        f"MovieLens release, a release name fetched with --download ({', '.join(RELEASES)}), or "
        f"'{SYNTHETIC}SIZE' with SIZE ml-100k, ml-1m, ml-10m, ml-25m, ml-32m or USERSxMOVIESxRATINGS")


def load_dataset(spec: str | None = None, download: bool = False, seed: int = 0) -> Dataset:
    """The Dataset `spec` names (see HELP); download=True fetches a release name from GroupLens first."""
    spec = spec or DEFAULT
    if spec.startswith(SYNTHETIC):
        try:
            return synthetic_from_spec(spec[len(SYNTHETIC):], seed=seed)
        except ValueError as e:
            raise DataError(str(e)) from None
    if download:
        return load_official(download_release(spec))
    if spec == DEFAULT:
        return load_movielens()
    if Path(spec).exists():
        return load_official(Path(spec))
    hint = "; add --download to fetch it from GroupLens" if spec in RELEASES else ""
    raise DataError(f"no dataset {spec!r}: not a path that exists{hint}. Expected {HELP}")
