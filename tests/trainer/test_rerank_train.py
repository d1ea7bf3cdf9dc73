"""The re-rank stage's training: judged on a held-out fold, in the artifact only when kept, kept by retrain."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timezone

import numpy as np
import pytest

from movierec.artifact import RERANK_FILE, load_artifact
from movierec.ranking import parts
from movierec.ranking.lambdamart import LambdaMart
from services.scorer.model import HybridModel
from testing.artifacts import backwards_rerank_model
from trainer import rerank_train
from trainer.gate import Recipe, ranking_figures
from trainer.rerank_train import Settings, ndcg_recall, train_stage
from trainer.retrain import rerank_plan, serving_stage
from trainer.sgd import TrainParams
from trainer.synthetic import make_synthetic
from trainer.train import train_artifact
from trainer.tune_ranking import DEFAULT_BLEND

PARAMS = TrainParams(factors=4, epochs=20, lr=0.02, reg=0.02, conf_scale=0.1, init_std=0.1, seed=1)
SMALL = Settings(folds=3, draws=2, rounds=20)
NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def dataset():
    """Enough users with 10+ liked movies for three validation folds."""
    return make_synthetic(n_users=240, n_items=80, density=0.4, seed=1)


def _stage(dataset, settings=SMALL):
    users, items = dataset.indices()
    years = dataset.years()
    return train_stage(users, items, dataset.rating, len(dataset.user_ids()),
                       dataset.genre_matrix().astype(np.float64), years, PARAMS, DEFAULT_BLEND,
                       rating_scale=dataset.rating_scale, settings=settings)


def test_ndcg_recall_known_answer():
    # two queries of 3 candidates; the first has its one target second, the second both of its targets first
    labels, groups, relevant = np.array([0, 1, 0, 1, 1, 0]), np.array([3, 3]), np.array([1, 2])
    ndcg, recall = ndcg_recall(labels, groups, relevant)
    assert ndcg == pytest.approx((1 / np.log2(3) + 1.0) / 2) and recall == pytest.approx(1.0)
    ndcg, _ = ndcg_recall(labels, groups, relevant, np.array([0.0, 1.0, 0.5, 1.0, 1.0, 2.0]))
    assert ndcg == pytest.approx((1.0 + (1 / np.log2(3) + 1 / np.log2(4)) / (1 + 1 / np.log2(3))) / 2)


def test_the_stage_is_judged_on_its_held_out_fold_and_kept_only_if_it_wins(dataset, monkeypatch):
    text, record = _stage(dataset)
    fold = record["held_out_fold"]
    assert fold["queries"] > 0 and 0 < fold["blend_ndcg10"] <= 1 and 0 < fold["stage_ndcg10"] <= 1
    assert fold["ndcg10_gain"] == pytest.approx(fold["stage_ndcg10"] / fold["blend_ndcg10"] - 1, abs=2e-4)
    assert record["kept"] == (fold["ndcg10_gain"] > 0) == (text is not None)
    assert (record["folds"], record["draws"], record["rounds"]) == (3, 2, 20)
    monkeypatch.setattr(rerank_train, "MIN_GAIN", 10.0)  # no stage can gain 1,000%
    refused, again = _stage(dataset)
    assert refused is None and again["kept"] is False and again["held_out_fold"] == fold  # deterministic


def test_the_kept_stage_is_refitted_on_every_fold_after_the_same_judgement(dataset, monkeypatch):
    monkeypatch.setattr(rerank_train, "MIN_GAIN", -1.0)  # keep whatever it learns: the refit is under test
    served, record = _stage(dataset)
    judged, alone = _stage(dataset, replace(SMALL, refit=False))
    assert record["refit"] is True and alone["refit"] is False
    assert record["held_out_fold"] == alone["held_out_fold"]  # the keep/drop judgement is the same
    assert record["trained_queries"] == alone["trained_queries"] + record["held_out_fold"]["queries"]
    assert served is not None and judged is not None and served != judged  # one more fold of queries


def test_one_fold_cannot_judge():
    with pytest.raises(ValueError, match="2 folds"):
        _stage(make_synthetic(seed=3), Settings(folds=1))


def test_train_writes_the_kept_stage_and_the_scorer_serves_it(dataset, tmp_path, monkeypatch):
    monkeypatch.setattr(rerank_train, "MIN_GAIN", -1.0)  # keep whatever it learns: the file path is under test
    path = train_artifact(tmp_path / "with", PARAMS, dataset, now=NOW, ranking="defaults", evaluate=False,
                          rerank=SMALL)
    art = load_artifact(path)
    assert art.rerank_model is not None and RERANK_FILE in art.manifest["files"]
    assert art.manifest["serving"]["rerank"]["kept"] is True
    model = HybridModel(art)
    assert isinstance(model.reranker, LambdaMart) and model.reranker.candidates == rerank_train.CANDIDATES
    got = model.recommend(np.array([0, 1, 2]), np.array([5.0, 4.0, 5.0], dtype=np.float32), 10, model.default_alpha)
    assert len(got.rows) == 10 and not {0, 1, 2} & set(got.rows.tolist())
    plain = load_artifact(train_artifact(tmp_path / "without", PARAMS, dataset, now=NOW, ranking="defaults",
                                         evaluate=False, rerank=None))
    assert plain.rerank_model is None and "rerank" not in plain.manifest["serving"]
    assert HybridModel(plain).reranker is None


def test_retrain_keeps_the_serving_stage_and_learns_none_for_a_model_without(dataset, tmp_path, monkeypatch):
    monkeypatch.setattr(rerank_train, "MIN_GAIN", -1.0)
    root = tmp_path / "root"
    path = train_artifact(root, PARAMS, dataset, now=NOW, ranking="defaults", evaluate=False, rerank=SMALL)
    manifest = json.loads((path / "manifest.json").read_text())
    learn, kept = rerank_plan(manifest, serving_stage(root, manifest))
    assert learn is False and kept is not None
    assert kept[0] == (path / RERANK_FILE).read_text() and kept[1]["kept_from"] == manifest["version"]
    without = {**manifest, "serving": {k: v for k, v in manifest["serving"].items() if k != "rerank"}}
    assert rerank_plan(without, serving_stage(root, without)) == (False, None)
    (path / RERANK_FILE).unlink()  # a mirror holding manifests only: learn a new stage
    assert rerank_plan(manifest, serving_stage(root, manifest)) == (True, None)


def test_the_gate_scores_the_ranking_that_serves_stage_included(dataset):
    """ranking_figures ranks through a recipe's stage with the scorer's Ranker: one that keeps the blend's order
    scores exactly as the blend alone, one that reverses it scores lower, so the gate sees a stage that loses."""
    blend = Recipe(PARAMS, DEFAULT_BLEND, dataset.rating_scale, parts.DEFAULT_FOLDIN_REG)
    alone = ranking_figures(dataset, blend)
    kept = ranking_figures(dataset, replace(blend, rerank=(backwards_rerank_model(50, forwards=True), 50)))
    reversed_ = ranking_figures(dataset, replace(blend, rerank=(backwards_rerank_model(50), 50)))
    assert alone is not None and kept is not None and reversed_ is not None
    assert kept == pytest.approx(alone, abs=1e-12)
    assert reversed_[0] < alone[0] - 0.05 and reversed_[1] < alone[1] - 0.05
