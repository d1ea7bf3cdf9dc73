"""`python -m bench.ranking.evaluate`: the held-out-user evaluation of the recommender and its baselines.

For each seed: hold out 20% of the users, tune the serving blend on validation users drawn from the
other 80% only, train MF on the 80%, then score every recommender on the held-out users' queries.
"""
from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

import numpy as np

from bench.ranking import baselines
from bench.ranking.protocol import Scores, score, split_users
from bench.ranking.tuning import build_graph, in_memory_model, tune
from services.scorer.model import FALLBACK_ALPHA, FALLBACK_WEIGHTS
from trainer.movielens import load_movielens
from trainer.model import Params, default_params, fit_model, warm_up_model

PRODUCT = "product (default blend)"
BASELINES = ("popularity", "item-kNN cosine", "EASE (tuned λ)", "naive hybrid 0.7/0.3")


def run_seed(dataset, seed: int, params: Params) -> tuple[dict[str, Scores], dict]:
    """Scores of every recommender on one seed's held-out users, and the chosen blend."""
    split = split_users(dataset, seed)
    n_items = len(dataset.movies)
    genres = dataset.genre_matrix()
    blend, lam, _ = tune(split.train_users, split.train_items, split.train_ratings, split.n_train_users, genres,
                      params, seed)
    mf = fit_model(split.train_users, split.train_items, split.train_ratings, split.n_train_users, n_items, params)
    counts = np.bincount(split.train_items, minlength=n_items)
    pop_rank = np.empty(n_items)
    pop_rank[np.argsort(-counts, kind="stable")] = np.arange(1, n_items + 1)
    x = baselines.interactions(split.train_users, split.train_items, split.n_train_users, n_items)
    graph = build_graph(split.train_users, split.train_items, split.n_train_users, n_items, blend)
    product = in_memory_model(mf, dataset.movies, counts, genres, dataset.genre_names, blend.serving(), graph)
    no_graph = in_memory_model(mf, dataset.movies, counts, genres, dataset.genre_names, {}, None)
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
        print(f"seed {seed}: {info['queries']} held-out queries; EASE λ={info['ease_lambda']:g}; blend λ={b.lam:g} "
              f"cosine={b.cosine_share} mf={b.mf} popularity={b.popularity} alpha={b.alpha} "
              f"(validation (NDCG@10 + Recall@10) / 2 {b.validation:.4f}); {time.perf_counter() - started:.1f} s")
        for name, s in results.items():
            rows.setdefault(name, []).append(s)
            print(f"  {name:36s} " + "  ".join(f"{k} {v:.4f}" for k, v in s.row().items()))
        mine = results[PRODUCT]
        beaten = [n for n in BASELINES if results[n].ndcg >= mine.ndcg or results[n].recall >= mine.recall]
        wins &= not beaten
        print(f"  product beats every baseline on NDCG@10 and Recall@10: {not beaten}"
              + (f" (not: {beaten})" if beaten else ""))
    print(f"\nmean ± std over seeds {args.seeds} (fallback without a graph: weights {FALLBACK_WEIGHTS}, "
          f"alpha {FALLBACK_ALPHA}):\n")
    print(_table(rows))
    print(f"\nproduct beats every baseline on NDCG@10 and Recall@10 on every seed: {wins}")
    return 0 if wins else 1


if __name__ == "__main__":
    raise SystemExit(main())
