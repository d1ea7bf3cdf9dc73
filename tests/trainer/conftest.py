"""Fixtures of the trainer tests: the real MovieLens files (data marker) and a synthetic dataset."""
from __future__ import annotations

import pytest

from trainer.dataset import Dataset
from trainer.fetch import MovieLensFiles, fetch_movielens
from trainer.movielens import load_movielens
from trainer.synthetic import make_synthetic


@pytest.fixture(scope="session")
def ml100k_files() -> MovieLensFiles:
    """The extracted recbole files in the cache, downloaded first if the setup step has not."""
    return fetch_movielens()


@pytest.fixture(scope="session")
def ml100k(ml100k_files: MovieLensFiles) -> Dataset:
    return load_movielens(ml100k_files)


@pytest.fixture(scope="session")
def synthetic() -> Dataset:
    return make_synthetic(seed=3)
