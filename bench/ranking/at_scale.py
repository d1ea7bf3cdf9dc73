"""`python -m bench.ranking.at_scale`: held-out-user protocol at a big size, product vs popularity and item-kNN.

One seed of bench.ranking.evaluate's protocol, made to run at the ML-25M size: 20% of the users held
out (trainer.heldout), a seeded sample of their queries scored (--queries); on the other 80% only,
the model `train` would fit there (trainer.sizing's choices), the item graph of the default blend
(what `train` picks by itself at this size) and, unless --no-tuned, of the blend `--ranking tuned`
chooses on validation users of the same 80%; popularity and a sparse item-kNN (cosine over who rated
what, top NEIGHBORS kept per movie) as baselines. Every recommender is scored by protocol.score.
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as `python -m trainer` (trainer/__main__.py)

import argparse  # noqa: E402
import time  # noqa: E402
from collections.abc import Sequence  # noqa: E402

import numpy as np  # noqa: E402

from bench.ranking import baselines  # noqa: E402
from bench.ranking.protocol import Recommender, Scores, score, top_k  # noqa: E402
from movierec.ranking import parts  # noqa: E402
from trainer import item_graph  # noqa: E402
from trainer.heldout import split_arrays  # noqa: E402
from trainer.model import default_params, fit_model, warm_up_model  # noqa: E402
from trainer.progress import peak_rss_gb  # noqa: E402
from trainer.rerank_train import serving_ranker  # noqa: E402
from trainer.sizing import choose  # noqa: E402
from trainer.sources import load_dataset  # noqa: E402
from trainer.tune_ranking import DEFAULT_BLEND, NEIGHBORS, Blend, build_ease, build_graph, tune_blend  # noqa: E402


def sparse_item_knn(users: np.ndarray, items: np.ndarray, n_users: int, n_items: int,
                    neighbors: int = NEIGHBORS) -> Recommender:
    """baselines.item_knn with each movie's top `neighbors` cosines only: sum over the inputs of
    |U_i & U_j| / sqrt(|U_i| |U_j|) (any rating counts), from one sparse walk (no (I, I) matrix).

    The walk with alpha 0 counts co-raters, the damping with beta 0.5 divides by sqrt(|U_j|); the
    rows are divided by sqrt(|U_i|) here.
    """
    inter = item_graph.interactions(users, items, np.full(len(users), 5.0, np.float32), n_users, n_items, 1.0)
    rows, weights = item_graph.top_rows(inter, 0.0, [0.5], neighbors)
    cosine = weights[0] / np.sqrt(np.maximum(inter.item_degree, 1.0))[:, None].astype(np.float32)

    def rec(inputs: np.ndarray, ratings: np.ndarray, k: int) -> np.ndarray:
        return top_k(parts.graph_scores(rows[0], cosine, inputs, np.ones(len(inputs)), n_items), inputs, k)
    return rec


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="synthetic:ml-25m", help="as `python -m trainer train --dataset`")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--queries", type=int, default=3000, help="held-out users scored (a seeded sample)")
    parser.add_argument("--no-tuned", action="store_true", help="skip the product with the searched blend")
    parser.add_argument("--blend", type=float, nargs=6, metavar=("LOW", "RP3_ALPHA", "BETA", "MF", "POP", "ALPHA"),
                        help="also score this blend, e.g. one a `train --ranking tuned` run chose on the whole set "
                             "(its validation users may overlap the held-out ones: a mild leak, say so)")
    args = parser.parse_args(argv)
    started = time.perf_counter()

    def say(line: str) -> None:
        print(f"[{time.perf_counter() - started:6.0f} s] {line}", flush=True)

    dataset = load_dataset(args.dataset)
    users, items = dataset.indices()
    n_users, n_items = len(dataset.user_ids()), len(dataset.movies)
    sized = choose(n_users, n_items, dataset.n_ratings, default_params(), set(), None)
    say(f"{dataset.name}: {sized.note}")
    split = split_arrays(users, items, dataset.rating, n_users, args.seed)
    rng = np.random.default_rng(args.seed)
    picked = np.sort(rng.choice(len(split.queries), min(args.queries, len(split.queries)), replace=False))
    queries = [split.queries[i] for i in picked]
    train = (split.train_users, split.train_items, split.train_ratings, split.n_train_users)
    say(f"{len(split.queries):,} held-out users with enough liked movies, {len(queries):,} scored")
    warm_up_model(sized.params)
    mf = fit_model(*train, n_items, sized.params)
    say("MF fitted on the training users")
    counts = np.bincount(split.train_items, minlength=n_items)
    pop_rank = np.empty(n_items)
    pop_rank[np.argsort(-counts, kind="stable")] = np.arange(1, n_items + 1)
    genres = dataset.genre_matrix()
    blends: dict[str, Blend] = {"product, default blend (what train picks at this size)": DEFAULT_BLEND}
    if args.blend:
        blends["product, given blend (--blend)"] = Blend(*args.blend)
    if not args.no_tuned:
        tried = tune_blend(*train, genres.astype(np.float64), sized.params, args.seed, dataset.rating_scale,
                           parts.DEFAULT_FOLDIN_REG, on_progress=say)
        blends["product, tuned blend (--ranking tuned)"] = tried[0]
        b = tried[0]
        say(f"tuned blend: low {b.low_weight}, RP3 alpha {b.rp3_alpha}, beta {b.rp3_beta}, mf {b.mf}, "
            f"popularity {b.popularity}, alpha {b.alpha} (validation {b.validation:.4f})")
    recommenders: dict[str, Recommender] = {
        "popularity": baselines.popularity(counts.astype(np.float64)),
        f"item-kNN cosine, top {NEIGHBORS} (sparse)": sparse_item_knn(split.train_users, split.train_items,
                                                                       split.n_train_users, n_items),
    }
    for name, blend in blends.items():
        graph = build_graph(*train[:3], split.n_train_users, n_items, blend)
        product = serving_ranker(mf, counts, genres, blend.serving(), graph,
                                  build_ease(*train[:3], split.n_train_users, n_items, blend))
        recommenders[name] = (lambda r, s, k, p=product: p.recommend(r, s, k, p.default_alpha, explain=False).rows)
    say("graphs built")
    results: dict[str, Scores] = {}
    for name, rec in recommenders.items():
        results[name] = score(rec, queries, pop_rank, n_items)
        say(f"scored {name}")
    print(f"\n{dataset.name}, seed {args.seed}, {len(queries):,} held-out users (NDCG@10, Recall@10 over them; "
          f"coverage: share of the {n_items:,} movies in any top 10)\n")
    print("| recommender | NDCG@10 | Recall@10 | HR@10 | coverage | mean popularity rank |\n|---|---|---|---|---|---|")
    for name, s in results.items():
        print(f"| {name} | {s.ndcg:.4f} | {s.recall:.4f} | {s.hr:.4f} | {s.coverage:.4f} | {s.pop_rank:.0f} |")
    print(f"\n{time.perf_counter() - started:.0f} s, peak memory {peak_rss_gb():.2f} GB, "
          f"load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
