"""`python -m bench.ranking.ltr_trial`: would a LambdaMART stage over the blend's candidates pay? Validation users only.

A trial for issue 18's "learning to rank" direction, never touching held-out users: for one evaluation
seed, its training users are split 4 times (the validation splits the blend is chosen on); on each,
the parts of the served blend (DEFAULT_BLEND's graph, MF, popularity, genres) and an EASE (liked
only) score are computed for the blend's top CANDIDATES per query. LightGBM's LambdaMART is trained
on three splits' queries and scored on the fourth, in turn, against the blend alone on the same queries.
Needs lightgbm (bench/ranking/requirements.txt); the scorer does not serve this.
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
from collections.abc import Sequence  # noqa: E402

import numpy as np  # noqa: E402

from bench.ranking import strong  # noqa: E402
from movierec.ranking import parts  # noqa: E402
from trainer import item_graph  # noqa: E402
from trainer.heldout import split_users  # noqa: E402
from trainer.model import default_params, warm_up_model  # noqa: E402
from trainer.movielens import load_movielens  # noqa: E402
from trainer.tune_ranking import DEFAULT_BLEND, NEIGHBORS, SPLIT_SEED, ValidationSplit  # noqa: E402

CANDIDATES = 50
FEATURES = ("blend", "graph", "mf", "popularity", "genre", "ease_liked", "blend_rank")


def split_features(v: ValidationSplit) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidates (Q, C) int64 by blend score, their features (Q, C, F) float32 and labels (Q, C) 0/1."""
    b = DEFAULT_BLEND
    inter = item_graph.interactions(*v.train[:3], v.train[3], v.n_items, b.low_weight)
    graph_rows, graph_weights = item_graph.build_graph(inter, b.rp3_alpha, b.rp3_beta, NEIGHBORS)
    graph = parts.zscore(parts.graph_scores(graph_rows, graph_weights, v.rows, v.weights, v.n_items))
    blend = v.score(graph, b.mf, b.popularity, b.alpha)
    _, ease = next(strong.ease_family(liked_only=True)(v.train, v.n_items, [{"lam": 3200.0}]))
    ease_scores = np.asarray(ease(v.rows, v.weights))
    masked = np.where(v.judge.inputs, -np.inf, blend)
    cand = np.argsort(-masked, axis=1, kind="stable")[:, :CANDIDATES]
    pop = np.broadcast_to(v.popularity, blend.shape)
    columns = [blend, graph, v.factors, pop, v.content, ease_scores]
    feats = np.stack([np.take_along_axis(c, cand, axis=1) for c in columns]
                     + [np.broadcast_to(np.arange(CANDIDATES, dtype=float), cand.shape)], axis=2)
    return cand, feats.astype(np.float32), np.take_along_axis(v.judge.targets, cand, axis=1).astype(np.int32)


def main(argv: Sequence[str] | None = None) -> int:
    import lightgbm  # benchmark-only dependency

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="the evaluation seed whose training users are used")
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--leaves", type=int, default=15)
    parser.add_argument("--min-leaf", type=int, default=50, help="min_data_in_leaf")
    args = parser.parse_args(argv)
    dataset = load_movielens()
    params = default_params()
    warm_up_model(params)
    outer = split_users(dataset, args.seed)  # only its training users are used below
    genres = dataset.genre_matrix().astype(np.float64)
    splits = [ValidationSplit(outer.train_users, outer.train_items, outer.train_ratings, outer.n_train_users, genres,
                              params, SPLIT_SEED * (s + 1) + args.seed, dataset.rating_scale, parts.DEFAULT_FOLDIN_REG)
              for s in range(4)]
    data = [split_features(v) for v in splits]
    blend_ndcg, ltr_ndcg = [], []
    for test in range(len(splits)):
        train = [d for i, d in enumerate(data) if i != test]
        x = np.concatenate([f.reshape(-1, len(FEATURES)) for _, f, _ in train])
        y = np.concatenate([lab.ravel() for _, _, lab in train])
        groups = [CANDIDATES] * sum(len(c) for c, _, _ in train)
        booster = lightgbm.train(
            {"objective": "lambdarank", "learning_rate": 0.05, "num_leaves": args.leaves,
             "min_data_in_leaf": args.min_leaf,
             "bagging_fraction": 0.8, "bagging_freq": 1, "feature_fraction": 0.8, "num_threads": 1, "seed": 0,
             "verbosity": -1, "lambdarank_truncation_level": 20},
            lightgbm.Dataset(x, y, group=groups, feature_name=list(FEATURES)), num_boost_round=args.rounds)
        cand, feats, _ = data[test]
        v = splits[test]
        predicted = booster.predict(feats.reshape(-1, len(FEATURES))).reshape(cand.shape)
        scores = np.full((len(cand), v.n_items), -np.inf)
        np.put_along_axis(scores, cand, predicted, axis=1)
        blend_scores = np.full_like(scores, -np.inf)
        np.put_along_axis(blend_scores, cand, -np.arange(CANDIDATES, dtype=float)[None, :].repeat(len(cand), 0), axis=1)
        blend_ndcg.append(v.judge.ndcg_recall(blend_scores)[0])
        ltr_ndcg.append(v.judge.ndcg_recall(scores)[0])
        print(f"validation split {test}: {len(cand)} queries; NDCG@10 blend {blend_ndcg[-1]:.4f}, "
              f"LambdaMART over its top {CANDIDATES} {ltr_ndcg[-1]:.4f}", flush=True)
    b, m = float(np.mean(blend_ndcg)), float(np.mean(ltr_ndcg))
    print(f"mean over the 4 splits (seed {args.seed}'s training users only): blend {b:.4f}, LambdaMART {m:.4f} "
          f"({100 * (m / b - 1):+.1f}%)")
    importance = dict(zip(FEATURES, booster.feature_importance("gain").round(1).tolist()))
    print(f"feature gain (last fold): {importance}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
