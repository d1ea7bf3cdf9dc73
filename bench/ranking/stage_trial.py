"""`python -m bench.ranking.stage_trial`: would the served re-rank stage gain from more features, other labels
or other LightGBM settings? Validation users only.

For one evaluation seed, its training users are cut into the trainer's 5 folds (16 draws of 5 liked inputs
per user), and each fold is featured by the Ranker of the product's blend on that seed
(ltr_trial.PRODUCT_BLENDS) fitted on the other folds: trainer/rerank_train.py's own path, so the served
features are exactly what serves. Each variant is a 5-fold cross-validation: LambdaMART learnt on 4 folds,
judged on the fifth, each fold in turn; the figure is its NDCG@10 / Recall@10 against the blend's own order of
the same candidates. Variants (one per argument):
- "served": the served features, labels and settings (trainer/rerank_train.py LIGHTGBM);
- extra feature groups appended to the served ones, comma-separated names of EXTRAS;
- "graded": a rated but not liked candidate labelled 1 and a target 2 (LightGBM's gains 1 and 3), so the
  stage also learns who watches what; judged on the targets only, as always;
- "x3": the mean of 3 boosters of different seeds; "{...}": LightGBM settings over the served ones (JSON);
  joined with "+", e.g. `user_knn_power+x3+{"num_leaves": 7}`.
Needs lightgbm (bench/ranking/requirements.txt or requirements-serving.txt).
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from bench.ranking.ltr_trial import PRODUCT_BLENDS  # noqa: E402
from movierec.ranking import parts  # noqa: E402
from movierec.ranking.ranker import Ranker  # noqa: E402
from trainer import item_graph  # noqa: E402
from trainer.heldout import LIKED, split_arrays, split_users  # noqa: E402
from trainer.model import default_params, warm_up_model  # noqa: E402
from trainer.movielens import load_movielens  # noqa: E402
from trainer.rerank_train import DRAWS, FOLDS, LIGHTGBM, ROUNDS, FoldQueries, fold_split, ndcg_recall, queries_of  # noqa: E402
from trainer.tune_ranking import ValidationSplit  # noqa: E402


@dataclass(frozen=True)
class Fold:
    """One fold featured as served, with what the extra features and graded labels are computed from:
    cand (Q, C) the candidates (q.labels their labels, v.rows / v.weights the inputs), liked (U, I) float32
    0/1 of the fold's training users, item_days (I,) mean day each movie was rated by users other than the
    fold's queries' (0 unknown), rated_not_liked (Q, C) 0/1 of the query's own user."""

    q: FoldQueries
    v: ValidationSplit
    ranker: Ranker
    cand: np.ndarray
    liked: np.ndarray
    item_days: np.ndarray
    rated_not_liked: np.ndarray


def make_fold(q: FoldQueries, v: ValidationSplit, ranker: Ranker, users: np.ndarray, items: np.ndarray,
              timestamps: np.ndarray) -> Fold:
    """users/items/timestamps (N,): the seed's training ratings the folds were cut from."""
    cand = q.candidates.reshape(len(q.groups), -1)
    t_users, t_items, t_ratings, n_users = v.train
    liked = np.zeros((n_users, v.n_items), dtype=np.float32)
    good = t_ratings >= LIKED
    liked[t_users[good], t_items[good]] = 1.0
    others = ~np.isin(users, np.unique(v.users))  # never the queries' own ratings
    counts = np.bincount(items[others], minlength=v.n_items)
    days = np.bincount(items[others], weights=timestamps[others] / 86_400.0, minlength=v.n_items)
    item_days = np.where(counts > 0, days / np.maximum(counts, 1), 0.0)
    item_days = np.where(counts > 0, item_days - item_days[counts > 0].mean(), 0.0)
    own = np.isin(users, v.users)
    seen = np.zeros((int(users.max()) + 1, v.n_items), dtype=bool)
    seen[users[own], items[own]] = True
    rated_not_liked = (seen[v.users[:, None], cand] & (q.labels.reshape(cand.shape) == 0)).astype(np.int32)
    return Fold(q, v, ranker, cand, liked, item_days, rated_not_liked)


def _overlap(f: Fold) -> np.ndarray:
    """(Q, U) each training user's liked movies among the query's inputs, weighted by their rating weights."""
    w = np.maximum(f.v.weights, 0.0).astype(np.float32)
    return sum(w[:, j:j + 1] * f.liked[:, f.v.rows[:, j]].T for j in range(f.v.rows.shape[1]))


def _user_scores(f: Fold, sims: np.ndarray) -> np.ndarray:
    """(Q, C) sum of sims (Q, U) over the users who liked each candidate, over the sum of sims."""
    scores = sims @ f.liked  # (Q, I)
    return np.take_along_axis(scores, f.cand, axis=1) / np.maximum(sims.sum(axis=1, keepdims=True), 1e-9)


def co_liked_counts(f: Fold) -> list[np.ndarray]:
    """Share of the users who liked >= k of the inputs that liked the candidate, k = 1, 2, 3."""
    o = _overlap(f)
    return [_user_scores(f, (o >= k - 1e-6).astype(np.float32)) for k in (1, 2, 3)]


def user_knn_cosine(f: Fold) -> list[np.ndarray]:
    """User-kNN: the 50 / 200 users nearest the inputs (overlap / sqrt(liked count)), their likes of the candidate."""
    o = _overlap(f)
    sims = o / np.sqrt(np.maximum(f.liked.sum(axis=1), 1.0))[None, :]
    out = []
    for top in (50, 200):
        nearest = np.sort(sims, axis=1)[:, -top][:, None]
        out.append(_user_scores(f, np.where((sims >= nearest) & (o > 0), sims, 0.0).astype(np.float32)))
    return out


def user_knn_power(f: Fold) -> list[np.ndarray]:
    """Every user weighted by overlap^2 / overlap^3: users who share several inputs count most (not additive
    over inputs, as the graph and EASE are)."""
    o = _overlap(f)
    return [_user_scores(f, o ** p) for p in (2, 3)]


def candidate_context(f: Fold) -> list[np.ndarray]:
    """How central each candidate is among the 50: mean MF and genre cosine to the others weighted by their
    blend place, MF cosine to the blend's top 10, and graph weight from the other candidates' rows (all, and
    the top 10's)."""
    r = f.ranker
    place = 1.0 / np.log2(np.arange(2, f.cand.shape[1] + 2))
    c = f.cand.shape[1]

    def cosines(units: np.ndarray) -> np.ndarray:  # (Q, C, C) between the candidates, 0 on the diagonal
        u = units[f.cand].astype(np.float64)
        sims = np.einsum("qck,qdk->qcd", u, u)
        sims[:, np.arange(c), np.arange(c)] = 0.0
        return sims

    mf, genre = cosines(r.factor_units), cosines(r.genre_units)
    out = [mf @ place / place.sum(), genre @ place / place.sum(), mf[:, :, :10].mean(axis=2)]
    assert r.neighbor_rows is not None and r.neighbor_weights is not None
    into, into_top = np.zeros(f.cand.shape), np.zeros(f.cand.shape)
    where = np.full(r.n_items, -1)
    for q, cand in enumerate(f.cand):
        where[cand] = np.arange(len(cand))
        listed = where[r.neighbor_rows[cand]]  # (C, N): the candidate each entry of a candidate's row is, or -1
        w = r.neighbor_weights[cand]
        ok = (listed >= 0) & (w > 0)
        source = np.broadcast_to(np.arange(len(cand))[:, None], listed.shape)[ok]
        np.add.at(into[q], listed[ok], w[ok] * place[source])
        np.add.at(into_top[q], listed[ok][source < 10], w[ok][source < 10])
        where[cand] = -1
    return out + [into, into_top]


def liked_share(f: Fold) -> list[np.ndarray]:
    """The candidate's share of ratings that are likes, and log(1 + its ratings)."""
    t_items, t_ratings = f.v.train[1], f.v.train[2]
    counts = np.bincount(t_items, minlength=f.v.n_items)
    likes = np.bincount(t_items[t_ratings >= LIKED], minlength=f.v.n_items)
    return [(likes / np.maximum(counts, 1))[f.cand], np.log1p(counts)[f.cand]]


def rating_time(f: Fold) -> list[np.ndarray]:
    """When the candidate was rated on the site (mean day, centred), and its distance to the inputs' mean."""
    inputs = f.item_days[f.v.rows].mean(axis=1, keepdims=True)
    days = f.item_days[f.cand]
    return [days, days - inputs, np.abs(days - inputs)]


EXTRAS: dict[str, Callable[[Fold], list[np.ndarray]]] = {
    "co_liked_counts": co_liked_counts, "user_knn_cosine": user_knn_cosine, "user_knn_power": user_knn_power,
    "candidate_context": candidate_context, "liked_share": liked_share, "rating_time": rating_time,
}


@dataclass(frozen=True)
class Variant:
    extras: tuple[str, ...] = ()
    graded: bool = False
    boosters: int = 1
    settings: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def parse(cls, text: str) -> Variant:
        extras: list[str] = []
        graded, boosters, settings = False, 1, {}
        for part in text.split("+"):
            if part == "served":
                continue
            if part == "graded":
                graded = True
            elif part.startswith("x") and part[1:].isdigit():
                boosters = int(part[1:])
            elif part.startswith("{"):
                settings = json.loads(part)
            else:
                unknown = set(part.split(",")) - set(EXTRAS)
                if unknown:
                    raise ValueError(f"no such extra features {sorted(unknown)}: choose from {sorted(EXTRAS)}")
                extras += part.split(",")
        return cls(tuple(extras), graded, boosters, tuple(settings.items()))


def cross_validate(folds: list[Fold], variant: Variant) -> tuple[tuple[float, float], tuple[float, float]]:
    """Mean over the folds of (blend NDCG@10, Recall@10) and the stage's, each fold judged by a booster learnt
    on the others."""
    import lightgbm  # benchmark-only dependency

    features = []
    for f in folds:
        extra = [c for name in variant.extras for c in EXTRAS[name](f)]
        x = f.q.features if not extra else np.hstack([f.q.features, np.stack(extra, axis=2).reshape(
            len(f.q.labels), -1).astype(np.float32)])
        features.append(x)
    labels = [2 * f.q.labels + f.rated_not_liked.ravel() if variant.graded else f.q.labels for f in folds]
    blend, stage = [], []
    for test, f in enumerate(folds):
        train = [i for i in range(len(folds)) if i != test]
        data = lightgbm.Dataset(np.concatenate([features[i] for i in train]),
                                np.concatenate([labels[i] for i in train]),
                                group=np.concatenate([folds[i].q.groups for i in train]))
        predicted = sum(np.asarray(lightgbm.train({**LIGHTGBM, "seed": s, **dict(variant.settings)}, data,
                                                  num_boost_round=ROUNDS).predict(features[test], num_threads=1))
                        for s in range(variant.boosters))
        blend.append(ndcg_recall(f.q.labels, f.q.groups, f.q.n_relevant))
        stage.append(ndcg_recall(f.q.labels, f.q.groups, f.q.n_relevant, np.asarray(predicted)))
    b, s = np.mean(blend, axis=0), np.mean(stage, axis=0)
    return (float(b[0]), float(b[1])), (float(s[0]), float(s[1]))


def load_folds(seed: int) -> list[Fold]:
    dataset = load_movielens()
    params = default_params()
    warm_up_model(params)
    item_graph.warm_up()
    outer = split_users(dataset, seed)  # only its training users are used below
    genres = dataset.genre_matrix().astype(np.float64)
    years = dataset.years()
    # The same split of the timestamps in place of the ratings: which ratings train depends on the seed only.
    users, items = dataset.indices()
    timestamps = split_arrays(users, items, dataset.timestamp.astype(np.float64), len(dataset.user_ids()),
                              seed).train_ratings
    blend = PRODUCT_BLENDS[seed]
    folds = []
    for i in range(FOLDS):
        v, ranker = fold_split(outer.train_users, outer.train_items, outer.train_ratings, outer.n_train_users, genres,
                               years, params, blend, seed, i, FOLDS, DRAWS, dataset.rating_scale,
                               parts.DEFAULT_FOLDIN_REG)
        folds.append(make_fold(queries_of(v, ranker, blend.alpha), v, ranker, outer.train_users, outer.train_items,
                               timestamps))
    return folds


def ceiling(folds: list[Fold]) -> tuple[float, float]:
    """Mean over every query of the targets among the candidates (at most 10) over min(10, targets), and the
    NDCG@10 of the candidates in the best order: what any re-ranking of them could reach."""
    discounts = 1.0 / np.log2(np.arange(2, 12))
    found, best = [], []
    for f in folds:
        hits = np.minimum(f.q.labels.reshape(f.cand.shape).sum(axis=1), 10)
        found.append(hits / f.q.n_relevant)
        best.append(np.cumsum(np.r_[0.0, discounts])[hits] / np.cumsum(discounts)[f.q.n_relevant - 1])
    return float(np.concatenate(found).mean()), float(np.concatenate(best).mean())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, choices=sorted(PRODUCT_BLENDS),
                        help="the evaluation seed whose training users are used")
    parser.add_argument("variants", nargs="*", default=["served"],
                        help='"served", extra features (comma-separated EXTRAS), "graded", "xN", {LightGBM JSON}, '
                             'joined with "+"')
    args = parser.parse_args(argv)
    try:
        variants = [Variant.parse(v) for v in args.variants]
    except ValueError as e:  # includes JSON errors
        parser.error(str(e))
    started = time.perf_counter()
    folds = load_folds(args.seed)
    print(f"seed {args.seed}: {sum(len(f.q.groups) for f in folds)} queries in {len(folds)} folds featured in "
          f"{time.perf_counter() - started:.0f} s", flush=True)
    found, best = ceiling(folds)
    print(f"the blend's top {folds[0].cand.shape[1]} hold {found:.4f} of the targets (at most 10 per query); "
          f"ordered perfectly, NDCG@10 {best:.4f}", flush=True)
    for text, variant in zip(args.variants, variants):
        started = time.perf_counter()
        (bn, br), (sn, sr) = cross_validate(folds, variant)
        print(f"seed {args.seed} {text}: blend NDCG@10 {bn:.4f} Recall@10 {br:.4f}; stage {sn:.4f} / {sr:.4f} "
              f"({100 * (sn / bn - 1):+.2f}% / {100 * (sr / br - 1):+.2f}%); {time.perf_counter() - started:.0f} s",
              flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
