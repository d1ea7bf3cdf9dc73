"""MovieLens-shaped synthetic sets and the dashboard statistics computed from a dataset."""
from __future__ import annotations

import numpy as np
import pytest

from movierec.artifact import ArtifactError, load_artifact
from trainer.export import write_csv_release
from trainer.formats import load_official
from trainer.sgd import TrainParams
from trainer.stats import dataset_stats
from trainer.synthetic import PRESETS, make_movielens_like, synthetic_from_spec
from trainer.train import train_artifact


@pytest.fixture(scope="module")
def shaped():
    return make_movielens_like(400, 300, 20_000, half_stars=True, seed=1)


def test_shape_is_movielens_like(shaped):
    assert shaped.n_ratings == 20_000
    pairs = shaped.user_id * 1_000_000 + shaped.movie_id
    assert len(np.unique(pairs)) == len(pairs)  # one rating per (user, movie)
    per_user = np.bincount(shaped.user_id)[1:]
    assert per_user.min() >= 20  # as in MovieLens
    per_movie = np.sort(np.bincount(shaped.movie_id, minlength=301)[1:])[::-1]
    assert per_movie[:30].sum() > 0.2 * shaped.n_ratings  # a popular head ...
    assert per_movie[-100:].sum() < 0.2 * shaped.n_ratings  # ... and a tail (flatter than the real one)
    assert set(np.unique(shaped.rating * 2).tolist()) <= set(range(1, 11))  # half stars
    assert 3.0 < shaped.rating.mean() < 4.0
    assert all(m.genres and 1920 <= m.year <= 2023 and m.title for m in shaped.movies)
    assert shaped.timestamp.min() > 800_000_000


def test_seeded_and_sized_by_spec():
    a, b = synthetic_from_spec("50x40x900", seed=3), synthetic_from_spec("50x40x900", seed=3)
    assert np.array_equal(a.rating, b.rating) and a.sha256 == b.sha256 and a.n_ratings == 900
    assert synthetic_from_spec("50x40x900", seed=4).sha256 != a.sha256
    assert PRESETS["ml-25m"][:3] == (162_541, 62_423, 25_000_095)
    with pytest.raises(ValueError, match="USERSxMOVIESxRATINGS"):
        synthetic_from_spec("huge")


def test_csv_export_loads_back(shaped, tmp_path):
    back = load_official(write_csv_release(shaped, tmp_path / "synthetic-small"))
    assert back.n_ratings == shaped.n_ratings and np.array_equal(back.rating, shaped.rating)
    assert [(m.title, m.year, m.genres) for m in back.movies] == [(m.title, m.year, m.genres) for m in shaped.movies]


def test_stats_against_direct_counts(synthetic):
    stats = dataset_stats(synthetic, top_n=5, min_count=10)
    t = stats["totals"]
    assert (t["users"], t["movies"], t["ratings"]) == (80, 50, synthetic.n_ratings)
    assert t["sparsity"] == pytest.approx(1 - synthetic.n_ratings / (80 * 50), abs=1e-6)
    hist = {h["rating"]: h["count"] for h in stats["rating_histogram"]}
    assert hist == {float(v): int((synthetic.rating == v).sum()) for v in np.unique(synthetic.rating)}
    assert sum(m["count"] for m in stats["ratings_per_month"]) == synthetic.n_ratings
    counts = {m.movie_id: m.n_ratings for m in synthetic.movies}
    most = [m["n_ratings"] for m in stats["most_rated"]]
    assert most == sorted(counts.values(), reverse=True)[:5]
    top = stats["top_rated"]
    assert all(m["n_ratings"] >= stats["top_rated_min_count"] for m in top)
    means = [m["mean_rating"] for m in top]
    assert means == sorted(means, reverse=True)
    best_eligible = max(m.mean_rating for m in synthetic.movies if m.n_ratings >= stats["top_rated_min_count"])
    assert means[0] == pytest.approx(best_eligible, abs=1e-4)
    for g in stats["genres"]:
        has = [m for m in synthetic.movies if g["genre"] in m.genres]
        assert g["movies"] == len(has) and g["ratings"] == sum(m.n_ratings for m in has)


def test_stats_travel_in_the_artifact_and_are_checked(synthetic, tmp_path):
    path = train_artifact(tmp_path, TrainParams(factors=2, epochs=2), synthetic, ranking="off")
    art = load_artifact(tmp_path)
    assert art.stats == dataset_stats(synthetic)
    assert "stats.json" in art.manifest["files"]
    stats_file = path / "stats.json"
    stats_file.write_text(stats_file.read_text().replace('"users": 80', '"users": 81'))
    with pytest.raises(ArtifactError, match="stats.json"):
        load_artifact(tmp_path)


def test_artifacts_without_stats_still_load(tmp_path):
    """Artifacts written before stats.json existed (or by other writers) load with stats None."""
    from testing.artifacts import build_tiny_artifact

    art = load_artifact(build_tiny_artifact(tmp_path))
    assert art.stats is None and "stats.json" not in art.manifest["files"]


def test_a_removed_stats_file_is_refused_by_name(synthetic, tmp_path):
    path = train_artifact(tmp_path, TrainParams(factors=2, epochs=1), synthetic, ranking="off")
    (path / "stats.json").unlink()
    with pytest.raises(ArtifactError, match="stats.json is missing"):
        load_artifact(path)
