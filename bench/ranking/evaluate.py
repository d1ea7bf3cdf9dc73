"""`python -m bench.ranking.evaluate`: the held-out-user evaluation of the recommender and its baselines.

For each seed: hold out 20% of the users; on the other 80% only, choose the serving blend the way
`python -m trainer train` does (trainer.tune_ranking, validation users drawn from the 80%), tune
every strong baseline on the same validation splits (bench/ranking/strong.py, multvae.py), fit MF
and the item graph; then score every recommender, and the product at several diversity settings,
on the held-out users' queries: accuracy, coverage, novelty and variety.
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as `python -m trainer` (trainer/__main__.py)

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import time  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from functools import partial  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from bench.ranking import baselines, multvae, strong  # noqa: E402
from bench.ranking.protocol import Scores, score  # noqa: E402
from movierec.ranking import parts  # noqa: E402
from movierec.ranking.lambdamart import LambdaMart  # noqa: E402
from movierec.ranking.parts import FALLBACK_ALPHA, FALLBACK_WEIGHTS  # noqa: E402
from trainer.heldout import split_users  # noqa: E402
from trainer.model import default_params, fit_model, warm_up_model  # noqa: E402
from trainer.movielens import load_movielens  # noqa: E402
from trainer.rerank_train import CANDIDATES, item_stats, serving_ranker, train_stage  # noqa: E402
from trainer.tune_ranking import build_ease, build_graph, tune_blend  # noqa: E402

PRODUCT = "product (default blend)"
BLEND_ALONE = "product, blend alone (no re-rank stage)"
EDLAE = "EDLAE liked only (tuned λ, dropout odds)"
BASELINES = ("popularity", "item-kNN cosine", "naive hybrid 0.7/0.3", "RP3beta alone (tuned)",
             "EASE all ratings (tuned λ)", "EASE liked only (tuned λ)", EDLAE, "iALS, implicit (tuned)",
             "Mult-VAE (tuned)", "SLIM-ElasticNet (tuned)")
# name -> (family, grid, validation splits used): every one tuned on the seed's validation users only
STRONG = {
    "RP3beta alone (tuned)": (strong.rp3beta, strong.RP3_GRID, strong.VALIDATION_SPLITS),
    "EASE all ratings (tuned λ)": (strong.ease_family(liked_only=False), strong.EASE_GRID, strong.VALIDATION_SPLITS),
    "EASE liked only (tuned λ)": (strong.ease_family(liked_only=True), strong.EASE_GRID, strong.VALIDATION_SPLITS),
    EDLAE: (strong.ease_family(liked_only=True), strong.EDLAE_GRID, strong.VALIDATION_SPLITS),
    "iALS, implicit (tuned)": (strong.ials, strong.IALS_GRID, strong.VALIDATION_SPLITS),
    "Mult-VAE (tuned)": (multvae.multvae, multvae.VAE_GRID, multvae.VAE_SPLITS),
    "SLIM-ElasticNet (tuned)": (strong.slim, strong.SLIM_GRID, strong.VALIDATION_SPLITS),
}
DIVERSITIES = (0.1, 0.2, 0.3, 0.5, 0.7, 1.0)  # the product re-ranked for variety (movierec/ranking/diversity.py)


def diversity_name(d: float) -> str:
    return f"product, diversity {d:g}"


def run_seed(dataset, params, skip: tuple[str, ...], seed: int) -> tuple[dict[str, Scores], dict]:
    """Scores of every recommender on one seed's held-out users, the chosen blend and baselines' parameters."""
    started = time.perf_counter()
    warm_up_model(params)
    split = split_users(dataset, seed)
    n_items = len(dataset.movies)
    genres = dataset.genre_matrix()
    train = (split.train_users, split.train_items, split.train_ratings, split.n_train_users)
    blend = tune_blend(*train, genres.astype(np.float64), params, seed, dataset.rating_scale,
                       parts.DEFAULT_FOLDIN_REG)[0]
    mf = fit_model(*train, n_items, params)
    counts = np.bincount(split.train_items, minlength=n_items)
    pop_rank = np.empty(n_items)
    pop_rank[np.argsort(-counts, kind="stable")] = np.arange(1, n_items + 1)
    x = baselines.interactions(split.train_users, split.train_items, split.n_train_users, n_items)
    graph = build_graph(*train[:3], split.n_train_users, n_items, blend)
    ease = build_ease(*train[:3], split.n_train_users, n_items, blend)
    years = dataset.years()
    stats = item_stats(split.train_items, split.train_ratings, n_items, years, mf.item_bias)
    stage_text, stage = train_stage(*train, genres.astype(np.float64), years, params, blend, seed,
                                    dataset.rating_scale, parts.DEFAULT_FOLDIN_REG)
    reranker = LambdaMart(stage_text, CANDIDATES) if stage_text is not None else None
    product = serving_ranker(mf, counts, genres, blend.serving(), graph, ease, stats, reranker)
    blend_alone = serving_ranker(mf, counts, genres, blend.serving(), graph, ease, stats)
    no_graph = serving_ranker(mf, counts, genres, {}, None)
    recommenders = {
        "popularity": baselines.popularity(counts.astype(np.float64)),
        "item-kNN cosine": baselines.item_knn(x),
        "naive hybrid 0.7/0.3": baselines.naive_hybrid(mf, genres),
        "previous scorer (ridge, b_i + q·p)": baselines.previous_scorer(mf, genres),
        "product without item graph": lambda r, s, k: no_graph.recommend(r, s, k, no_graph.default_alpha,
                                                                        explain=False).rows,
    }
    info: dict[str, Any] = {"blend": blend, "queries": len(split.queries), "tuned": {}, "seconds": {},
                            "rerank": stage}
    validation = strong.validation_splits(train, n_items, seed)
    for name, (family, grid, n_splits) in STRONG.items():
        if name in skip:
            continue
        tuning = time.perf_counter()
        chosen, value = strong.tune(family, grid, validation[:n_splits], n_items)
        recommenders[name] = strong.fit(family, chosen, train, n_items)
        info["tuned"][name] = (chosen, value)
        info["seconds"][name] = time.perf_counter() - tuning
    recommenders[PRODUCT] = lambda r, s, k: product.recommend(r, s, k, product.default_alpha, explain=False).rows
    recommenders[BLEND_ALONE] = lambda r, s, k: blend_alone.recommend(r, s, k, blend_alone.default_alpha,
                                                                      explain=False).rows
    for d in DIVERSITIES:
        recommenders[diversity_name(d)] = (lambda r, s, k, d=d: product.recommend(
            r, s, k, product.default_alpha, explain=False, diversity=d).rows)
    results = {name: score(rec, split.queries, pop_rank, n_items, genre_matrix=genres)
               for name, rec in recommenders.items()}
    info["seconds"]["seed"] = time.perf_counter() - started
    return results, info


METRICS = ("HR@10", "Recall@10", "NDCG@10", "coverage", "pop_rank", "ILD", "genres")


def _table(rows: dict[str, list[Scores]], names: Sequence[str]) -> str:
    lines = ["| recommender | " + " | ".join(METRICS) + " |", "|---|" + "---|" * len(METRICS)]
    for name in names:
        cells = []
        for m in METRICS:
            values = np.array([r.row()[m] for r in rows[name]])
            fmt = "{:.1f} ± {:.1f}" if m in ("pop_rank", "genres") else "{:.4f} ± {:.4f}"
            cells.append(fmt.format(values.mean(), values.std()))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _best_baseline(rows: dict[str, list[Scores]], i: int, metric: str) -> tuple[str, float]:
    return max(((n, getattr(rows[n][i], metric)) for n in BASELINES if n in rows), key=lambda t: t[1])


def _per_seed(seeds: list[int], rows: dict[str, list[Scores]]) -> str:
    """Per seed: the product against the best baseline on NDCG@10 and Recall@10, with the margins."""
    lines = ["| seed | product NDCG@10 | best baseline NDCG@10 | margin | product Recall@10 | "
             "best baseline Recall@10 | margin |", "|---|---|---|---|---|---|---|"]
    for i, seed in enumerate(seeds):
        mine = rows[PRODUCT][i]
        cells = []
        for metric in ("ndcg", "recall"):
            name, best = _best_baseline(rows, i, metric)
            value = getattr(mine, metric)
            cells += [f"{value:.4f}", f"{best:.4f} ({name})", f"{value - best:+.4f} ({100 * (value / best - 1):+.1f}%)"]
        lines.append(f"| {seed} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _targets(rows: dict[str, list[Scores]], n_seeds: int) -> tuple[bool, str]:
    """The issue's targets: beats every baseline on NDCG@10 and Recall@10 on every seed; >= 3% relative
    NDCG@10 over the best baseline on the mean over seeds; mean NDCG@10 >= 0.57."""
    wins = all(rows[PRODUCT][i].ndcg > rows[n][i].ndcg and rows[PRODUCT][i].recall > rows[n][i].recall
               for i in range(n_seeds) for n in BASELINES if n in rows)
    mean = {n: float(np.mean([r.ndcg for r in rows[n]])) for n in (*BASELINES, PRODUCT) if n in rows}
    best = max((n for n in BASELINES if n in rows), key=lambda n: mean[n])
    margin = mean[PRODUCT] / mean[best] - 1
    text = (f"product beats every baseline on NDCG@10 and Recall@10 on every seed: {wins}\n"
            f"mean NDCG@10 {mean[PRODUCT]:.4f} vs best baseline {best} {mean[best]:.4f}: {100 * margin:+.2f}% "
            f"(target >= +3%: {margin >= 0.03}); mean NDCG@10 >= 0.57: {mean[PRODUCT] >= 0.57}")
    return wins, text


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--jobs", type=int, default=1, help="seeds evaluated at once, one process each")
    parser.add_argument("--skip", nargs="*", default=[], choices=list(STRONG), metavar="BASELINE",
                        help=f"strong baselines to leave out (for a quicker look): {', '.join(STRONG)}")
    args = parser.parse_args(argv)
    for module, baseline in (("implicit", "iALS, implicit (tuned)"), ("torch", "Mult-VAE (tuned)"),
                             ("sklearn", "SLIM-ElasticNet (tuned)")):
        if baseline not in args.skip and importlib.util.find_spec(module) is None:
            parser.error(f"{module} is not installed: pip install -r bench/ranking/requirements.txt "
                         f"(or --skip '{baseline}')")
    dataset = load_movielens()
    params = default_params()  # the model the trainer serves by default
    job = partial(run_seed, dataset, params, tuple(args.skip))
    rows: dict[str, list[Scores]] = {}
    with ProcessPoolExecutor(args.jobs) as pool:
        for seed, (results, info) in zip(args.seeds, pool.map(job, args.seeds)):
            b = info["blend"]
            print(f"seed {seed}: {info['queries']} held-out queries; blend: RP3beta low-rating weight {b.low_weight}, "
                  f"α {b.rp3_alpha}, β {b.rp3_beta}; EASE {b.ease} (λ {b.ease_lambda}, dropout odds {b.ease_odds}); "
                  f"mf {b.mf}, "
                  f"popularity {b.popularity}, alpha {b.alpha} "
                  f"(validation (NDCG@10 + Recall@10) / 2 {b.validation:.4f}); {info['seconds']['seed']:.1f} s",
                  flush=True)
            print(f"  re-rank stage: {info['rerank']['held_out_fold']}, kept {info['rerank']['kept']}, "
                  f"{info['rerank']['seconds']}", flush=True)
            for name, (chosen, value) in info["tuned"].items():
                print(f"  tuned {name}: {chosen} (validation {value:.4f}; {info['seconds'][name]:.1f} s)", flush=True)
            for name, s in results.items():
                rows.setdefault(name, []).append(s)
                print(f"  {name:36s} " + "  ".join(f"{k} {v:.4f}" for k, v in s.row().items()), flush=True)
    print(f"\nmean ± std over seeds {args.seeds} (fallback without a graph: weights {FALLBACK_WEIGHTS}, "
          f"alpha {FALLBACK_ALPHA}):\n")
    variety = [diversity_name(d) for d in DIVERSITIES]
    print(_table(rows, [n for n in rows if n not in variety]))
    print("\nthe product re-ranked for variety (diversity 0 = the row above):\n")
    print(_table(rows, [PRODUCT, *variety]))
    print("\n" + _per_seed(args.seeds, rows))
    wins, text = _targets(rows, len(args.seeds))
    print("\n" + text)
    return 0 if wins else 1


if __name__ == "__main__":
    raise SystemExit(main())
