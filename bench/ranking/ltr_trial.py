"""`python -m bench.ranking.ltr_trial`: would a LambdaMART stage over the blend's candidates pay? Validation users only.

A trial for issue 18's "learning to rank" direction, never touching held-out users: for one evaluation
seed, its training users are split into `--splits` folds (disjoint held-out users: a user in two
splits would let the ranker learn their targets), each held-out user of a split giving `--samples`
queries (different draws of the 5 liked inputs, the rest of their liked movies as targets; none of it
in the graph, EASE or MF the split is scored with).
Per query, the blend's top `--candidates` get features (bench/ranking/ltr_features.py). LightGBM's
LambdaMART is trained on the other splits' queries and scored on each split in turn, against the
blend alone on the same queries (all samples, and the first sample only: the blend search's queries).
Needs lightgbm (bench/ranking/requirements.txt).
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
from collections.abc import Sequence  # noqa: E402

import numpy as np  # noqa: E402

from bench.ranking import ltr_features  # noqa: E402
from movierec.ranking import parts  # noqa: E402
from trainer import item_graph  # noqa: E402
from trainer.heldout import LIKED, split_users  # noqa: E402
from trainer.model import default_params, warm_up_model  # noqa: E402
from trainer.movielens import load_movielens  # noqa: E402
from trainer.tune_ranking import DEFAULT_BLEND, NEIGHBORS, SPLIT_SEED, Blend, ValidationSplit  # noqa: E402

# The blends `python -m trainer train`'s search chose on these seeds' validation users (bench/ranking/RESULTS.md,
# issue 18 round 7, EDLAE settings in the search): the product's first stage, so the stage must beat them.
PRODUCT_BLENDS = {
    0: Blend(low_weight=1.0, rp3_alpha=0.5, rp3_beta=0.5, mf=0.2, popularity=0.2, alpha=0.9, ease=0.5,
             ease_lambda=800.0, ease_odds=16.0),
    4: Blend(low_weight=1.0, rp3_alpha=0.5, rp3_beta=0.5, mf=0.4, popularity=0.2, alpha=0.9, ease=0.5,
             ease_lambda=400.0, ease_odds=32.0),
    2: Blend(low_weight=0.5, rp3_alpha=0.7, rp3_beta=0.4, mf=0.2, popularity=0.0, alpha=0.8, ease=0.5,
             ease_lambda=200.0, ease_odds=32.0),
}
EASE_LAMBDA = 3200.0  # of the EASE feature when the blend has no EASE part


def split_data(v: ValidationSplit, blend: Blend, years: np.ndarray, n_candidates: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Candidates (Q, C) int64 in blend order, their features (Q, C, F) float32, labels (Q, C) int32, names."""
    n_items = v.n_items
    inter = item_graph.interactions(*v.train[:3], v.train[3], n_items, blend.low_weight)
    graph_rows, graph_weights = item_graph.build_graph(inter, blend.rp3_alpha, blend.rp3_beta, NEIGHBORS)
    graph = parts.zscore(parts.graph_scores(graph_rows, graph_weights, v.rows, v.weights, n_items))
    lam, odds = (blend.ease_lambda, blend.ease_odds) if blend.ease else (EASE_LAMBDA, 0.0)
    ease = v.ease_part(lam, odds)
    scores = v.score(graph, blend.mf, blend.popularity, blend.alpha, ease, blend.ease)
    masked = np.where(v.judge.inputs, -np.inf, scores)
    cand = np.argsort(-masked, axis=1, kind="stable")[:, :n_candidates]

    users, items, ratings, n_users = v.train
    assert v._gram is not None and len(v._gram.rows) == n_items  # ML-100K: the EASE part covers the catalog
    dense_graph = np.zeros((n_items, n_items), dtype=np.float32)
    np.maximum.at(dense_graph, (np.repeat(np.arange(n_items), graph_rows.shape[1]), graph_rows.ravel()),
                  graph_weights.ravel())
    liked = v._gram.gram
    n_liked = np.diag(liked).copy()
    rated = np.zeros((n_users, n_items), dtype=np.float32)
    rated[users, items] = 1.0
    co_rated = rated.T @ rated
    n_rated = np.diag(co_rated).copy()
    factor_units = parts.unit_rows(v.mf.item_factors.astype(np.float64))
    pairs = {
        "graph_w": dense_graph,
        "ease_w": v._gram.weights(lam, odds),
        "co_liked_cos": liked / np.sqrt(np.maximum(np.outer(n_liked, n_liked), 1.0)),
        "co_rated_log": np.log1p(co_rated),
        "mf_cos": factor_units @ factor_units.T,
        "genre_cos": v.genre_units @ v.genre_units.T,
    }
    sums = np.bincount(items, weights=ratings, minlength=n_items)
    item_stats = {
        "n_rated_log": np.log1p(n_rated),
        "mean_rating": np.where(n_rated > 0, sums / np.maximum(n_rated, 1), 0.0),
        "liked_share": np.bincount(items[ratings >= LIKED], minlength=n_items) / np.maximum(n_rated, 1),
        "year": years,
        "mf_bias": v.mf.item_bias.astype(np.float64),
        "popularity": v.popularity.astype(np.float64),
    }
    named_parts = {"blend": scores, "graph": graph, "ease": ease, "mf": v.factors, "genre": v.content}
    feats, names = ltr_features.build(cand, v.rows, v.weights, v.weights, named_parts,
                                      ("blend", "graph", "ease", "mf", "genre"), pairs, item_stats)
    labels = np.take_along_axis(v.judge.targets, cand, axis=1).astype(np.int32)
    return cand, feats, labels, names


def judged(labels: np.ndarray, n_relevant: np.ndarray, order_scores: np.ndarray, first: np.ndarray
           ) -> tuple[float, ...]:
    """NDCG@10, Recall@10 over every query, and NDCG@10 over the first-sample queries, of the candidates
    ranked by order_scores (Q, C): labels (Q, C) 0/1, n_relevant (Q,) min(10, targets) as Judge counts."""
    hits = np.take_along_axis(labels, np.argsort(-order_scores, axis=1, kind="stable")[:, :10], axis=1)
    discounts = 1.0 / np.log2(np.arange(2, 12))
    ndcg = (hits * discounts).sum(axis=1) / np.cumsum(discounts)[n_relevant - 1]
    recall = hits.sum(axis=1) / n_relevant
    return float(ndcg.mean()), float(recall.mean()), float(ndcg[first].mean())


def load_splits(args: argparse.Namespace) -> list[dict[str, np.ndarray]]:
    """Per split: cand, feats, labels, n_relevant, users and names (see split_data); from --cache when it
    holds this configuration's, else computed (and written there)."""
    key = f"s{args.seed}-k{args.splits}-n{args.samples}-c{args.candidates}-{args.blend}-r{int(args.random_splits)}"
    path = os.path.join(args.cache, f"ltr-{key}.npz") if args.cache else ""
    if path and os.path.exists(path):
        with np.load(path, allow_pickle=False) as f:
            return [{k.split("/", 1)[1]: f[k] for k in f.files if k.startswith(f"{s}/")} for s in range(args.splits)]
    blend = PRODUCT_BLENDS[args.seed] if args.blend == "product" else DEFAULT_BLEND
    dataset = load_movielens()
    params = default_params()
    warm_up_model(params)
    item_graph.warm_up()
    outer = split_users(dataset, args.seed)  # only its training users are used below
    genres = dataset.genre_matrix().astype(np.float64)
    years = dataset.years()
    out = []
    for s in range(args.splits):
        v = ValidationSplit(outer.train_users, outer.train_items, outer.train_ratings, outer.n_train_users, genres,
                            params, SPLIT_SEED * (s + 1 if args.random_splits else 1) + args.seed,
                            dataset.rating_scale, parts.DEFAULT_FOLDIN_REG, max_queries=100_000,
                            samples=args.samples, fold=None if args.random_splits else (s, args.splits))
        cand, feats, labels, names = split_data(v, blend, years, args.candidates)
        out.append({"cand": cand, "feats": feats, "labels": labels, "n_relevant": v.judge.n_relevant,
                    "users": v.users, "names": np.array(names)})
        print(f"split {s}: {len(v.rows)} queries of {len(np.unique(v.users))} users", flush=True)
    if path:
        np.savez(path, **{f"{s}/{k}": a for s, d in enumerate(out) for k, a in d.items()})
    return out


def main(argv: Sequence[str] | None = None) -> int:
    import lightgbm  # benchmark-only dependency

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="the evaluation seed whose training users are used")
    parser.add_argument("--splits", type=int, default=5,
                        help="validation splits: the folds of one order of the users, so no user is in two")
    parser.add_argument("--random-splits", action="store_true",
                        help="the blend search's splits instead (20%% of the users each, a user may be in several)")
    parser.add_argument("--samples", type=int, default=8, help="queries per held-out user (draws of the inputs)")
    parser.add_argument("--candidates", type=int, default=50)
    parser.add_argument("--blend", choices=("product", "default"), default="product",
                        help="the first stage: the blend the trainer chose on this seed, or DEFAULT_BLEND")
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--leaves", type=int, default=15)
    parser.add_argument("--min-leaf", type=int, default=50, help="min_data_in_leaf")
    parser.add_argument("--learning-rate", type=float, default=0.05)
    parser.add_argument("--objective", choices=("lambdarank", "rank_xendcg"), default="lambdarank")
    parser.add_argument("--truncation", type=int, default=20, help="lambdarank_truncation_level")
    parser.add_argument("--drop", nargs="*", default=[], help="feature names left out")
    parser.add_argument("--rank-cap", type=float, default=0.0,
                        help="catalog ranks above this count as this (a top-M partition, not a sort, finds them)")
    parser.add_argument("--cache", default="", help="a folder keeping each configuration's features")
    args = parser.parse_args(argv)
    data = load_splits(args)
    names = [str(n) for n in data[0]["names"]]
    unknown = set(args.drop) - set(names)
    if unknown:
        parser.error(f"no such features: {sorted(unknown)}")
    keep = [i for i, n in enumerate(names) if n not in args.drop]
    if args.rank_cap:
        ranks = [i for i, n in enumerate(names) if n.endswith("_rank") and n != "blend_rank"]
        for d in data:
            d["feats"][:, :, ranks] = np.minimum(d["feats"][:, :, ranks], args.rank_cap)
    results = []
    for test in range(len(data)):
        train = [d for i, d in enumerate(data) if i != test]
        x = np.concatenate([d["feats"][:, :, keep].reshape(-1, len(keep)) for d in train])
        y = np.concatenate([d["labels"].ravel() for d in train])
        groups = [args.candidates] * sum(len(d["cand"]) for d in train)
        booster = lightgbm.train(
            {"objective": args.objective, "learning_rate": args.learning_rate, "num_leaves": args.leaves,
             "min_data_in_leaf": args.min_leaf, "bagging_fraction": 0.8, "bagging_freq": 1,
             "feature_fraction": 0.8, "num_threads": 1, "seed": 0, "verbosity": -1,
             "lambdarank_truncation_level": args.truncation},
            lightgbm.Dataset(x, y, group=groups, feature_name=[names[i] for i in keep]),
            num_boost_round=args.rounds)
        d = data[test]
        users = d["users"]
        first = np.r_[True, users[1:] != users[:-1]]  # each user's first query
        predicted = booster.predict(d["feats"][:, :, keep].reshape(-1, len(keep))).reshape(d["cand"].shape)
        in_order = -np.broadcast_to(np.arange(args.candidates, dtype=float), d["cand"].shape)
        results.append((judged(d["labels"], d["n_relevant"], in_order, first),
                        judged(d["labels"], d["n_relevant"], predicted, first)))
        (bn, br, b1), (mn, mr, m1) = results[-1]
        print(f"validation split {test}: {len(users)} queries; blend NDCG@10 {bn:.4f} Recall@10 {br:.4f} "
              f"(first draws {b1:.4f}); LambdaMART {mn:.4f} / {mr:.4f} ({m1:.4f})", flush=True)
    b, m = np.mean([r[0] for r in results], axis=0), np.mean([r[1] for r in results], axis=0)
    print(f"mean over the {len(data)} splits (seed {args.seed}'s training users only), blend -> LambdaMART: "
          f"NDCG@10 {b[0]:.4f} -> {m[0]:.4f} ({100 * (m[0] / b[0] - 1):+.2f}%), Recall@10 {b[1]:.4f} -> {m[1]:.4f} "
          f"({100 * (m[1] / b[1] - 1):+.2f}%), first draws only NDCG@10 {b[2]:.4f} -> {m[2]:.4f} "
          f"({100 * (m[2] / b[2] - 1):+.2f}%)")
    gain = booster.feature_importance("gain")
    top = sorted(zip([names[i] for i in keep], gain), key=lambda t: -t[1])
    print("feature gain (last fold): " + ", ".join(f"{n} {g:.0f}" for n, g in top))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
