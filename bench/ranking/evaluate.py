"""`python -m bench.ranking.evaluate`: the held-out-user evaluation of the recommender and its baselines.

For each seed: hold out 20% of the users; on the other 80% only, choose the serving blend the way
`python -m trainer train` does (trainer.tune_ranking, validation users drawn from the 80%), tune
EASE's L2 on the same validation splits, fit MF and the item graph; then score every recommender
on the held-out users' queries.
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as `python -m trainer` (trainer/__main__.py)

import argparse  # noqa: E402
import time  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from bench.ranking import baselines  # noqa: E402
from bench.ranking.protocol import Scores, score  # noqa: E402
from movierec.ranking import parts  # noqa: E402
from movierec.ranking.parts import FALLBACK_ALPHA, FALLBACK_WEIGHTS  # noqa: E402
from movierec.ranking.ranker import Ranker  # noqa: E402
from trainer.heldout import split_users  # noqa: E402
from trainer.model import default_params, fit_model, warm_up_model  # noqa: E402
from trainer.movielens import load_movielens  # noqa: E402
from trainer.sgd import MFModel  # noqa: E402
from trainer.tune_ranking import build_graph, tune_blend  # noqa: E402

PRODUCT = "product (default blend)"
BASELINES = ("popularity", "item-kNN cosine", "EASE (tuned λ)", "naive hybrid 0.7/0.3")


def in_memory_model(mf: MFModel, counts: np.ndarray, genres: np.ndarray, serving: dict[str, Any],
                    graph: tuple[np.ndarray, np.ndarray] | None) -> Ranker:
    """The serving Ranker over a model in memory; counts (I,) are the training users' ratings per movie,
    so popularity comes from them only."""
    rows, weights = graph if graph is not None else (None, None)
    return Ranker(mf.item_factors, genres, counts, rows, weights,
                  {"foldin_reg": parts.DEFAULT_FOLDIN_REG, **serving})


def run_seed(dataset, seed: int, params) -> tuple[dict[str, Scores], dict]:
    """Scores of every recommender on one seed's held-out users, and the chosen blend."""
    split = split_users(dataset, seed)
    n_items = len(dataset.movies)
    genres = dataset.genre_matrix()
    train = (split.train_users, split.train_items, split.train_ratings, split.n_train_users)
    blend = tune_blend(*train, genres.astype(np.float64), params, seed, dataset.rating_scale,
                       parts.DEFAULT_FOLDIN_REG)[0]
    lam = baselines.tune_ease(*train, n_items, seed)
    mf = fit_model(*train, n_items, params)
    counts = np.bincount(split.train_items, minlength=n_items)
    pop_rank = np.empty(n_items)
    pop_rank[np.argsort(-counts, kind="stable")] = np.arange(1, n_items + 1)
    x = baselines.interactions(split.train_users, split.train_items, split.n_train_users, n_items)
    graph = build_graph(*train[:3], split.n_train_users, n_items, blend)
    product = in_memory_model(mf, counts, genres, blend.serving(), graph)
    no_graph = in_memory_model(mf, counts, genres, {}, None)
    recommenders = {
        "popularity": baselines.popularity(counts.astype(np.float64)),
        "item-kNN cosine": baselines.item_knn(x),
        "EASE (tuned λ)": baselines.ease(baselines.ease_weights(x, lam)),
        "naive hybrid 0.7/0.3": baselines.naive_hybrid(mf, genres),
        "previous scorer (ridge, b_i + q·p)": baselines.previous_scorer(mf, genres),
        "previous scorer without b_i": baselines.previous_scorer(mf, genres, item_bias=False),
        "product without item graph": lambda r, s, k: no_graph.recommend(r, s, k, no_graph.default_alpha,
                                                                        explain=False).rows,
        PRODUCT: lambda r, s, k: product.recommend(r, s, k, product.default_alpha, explain=False).rows,
    }
    results = {name: score(rec, split.queries, pop_rank, n_items) for name, rec in recommenders.items()}
    return results, {"blend": blend, "ease_lambda": lam, "queries": len(split.queries)}


def _table(rows: dict[str, list[Scores]]) -> str:
    metrics = ("HR@10", "Recall@10", "NDCG@10", "coverage", "pop_rank")
    lines = ["| recommender | " + " | ".join(metrics) + " |", "|---|" + "---|" * len(metrics)]
    for name, runs in rows.items():
        cells = []
        for m in metrics:
            values = np.array([r.row()[m] for r in runs])
            fmt = "{:.1f} ± {:.1f}" if m == "pop_rank" else "{:.4f} ± {:.4f}"
            cells.append(fmt.format(values.mean(), values.std()))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _per_seed(seeds: list[int], rows: dict[str, list[Scores]]) -> str:
    """Per seed: the product against the best baseline on NDCG@10 and Recall@10, with the margins."""
    lines = ["| seed | product NDCG@10 | best baseline NDCG@10 | margin | product Recall@10 | "
             "best baseline Recall@10 | margin |", "|---|---|---|---|---|---|---|"]
    for i, seed in enumerate(seeds):
        mine = rows[PRODUCT][i]
        cells = []
        for metric in ("ndcg", "recall"):
            name, best = max(((n, getattr(rows[n][i], metric)) for n in BASELINES), key=lambda t: t[1])
            value = getattr(mine, metric)
            cells += [f"{value:.4f}", f"{best:.4f} ({name})", f"{value - best:+.4f}"]
        lines.append(f"| {seed} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args(argv)
    dataset = load_movielens()
    params = default_params()  # the model the trainer serves by default
    warm_up_model(params)
    rows: dict[str, list[Scores]] = {}
    wins = True
    for seed in args.seeds:
        started = time.perf_counter()
        results, info = run_seed(dataset, seed, params)
        b = info["blend"]
        print(f"seed {seed}: {info['queries']} held-out queries; EASE λ={info['ease_lambda']:g}; blend: RP3beta "
              f"low-rating weight {b.low_weight}, α {b.rp3_alpha}, β {b.rp3_beta}; mf {b.mf}, popularity "
              f"{b.popularity}, alpha {b.alpha} (validation (NDCG@10 + Recall@10) / 2 {b.validation:.4f}); "
              f"{time.perf_counter() - started:.1f} s", flush=True)
        for name, s in results.items():
            rows.setdefault(name, []).append(s)
            print(f"  {name:36s} " + "  ".join(f"{k} {v:.4f}" for k, v in s.row().items()), flush=True)
        mine = results[PRODUCT]
        beaten = [n for n in BASELINES if results[n].ndcg >= mine.ndcg or results[n].recall >= mine.recall]
        wins &= not beaten
        print(f"  product beats every baseline on NDCG@10 and Recall@10: {not beaten}"
              + (f" (not: {beaten})" if beaten else ""), flush=True)
    print(f"\nmean ± std over seeds {args.seeds} (fallback without a graph: weights {FALLBACK_WEIGHTS}, "
          f"alpha {FALLBACK_ALPHA}):\n")
    print(_table(rows))
    print("\n" + _per_seed(args.seeds, rows))
    print(f"\nproduct beats every baseline on NDCG@10 and Recall@10 on every seed: {wins}")
    return 0 if wins else 1


if __name__ == "__main__":
    raise SystemExit(main())
