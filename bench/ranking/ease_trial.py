"""`python -m bench.ranking.ease_trial --seed 0`: does an EASE part help the product's blend? Validation users only.

On the seed's training users, the 4 validation splits trainer.tune_ranking scores blends on: the
product's grid (graph walks with low-rating weight 0 or 0.5, α 0.5 / 0.7, β 0.3-0.5; MF, popularity,
alpha) with an EASE part (trainer/ease.py) of weight 0-2 and λ 400-6400 beside the graph. Prints the
best (NDCG@10 + Recall@10) / 2 per EASE weight; the held-out users are never scored here.
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import itertools  # noqa: E402
from collections.abc import Sequence  # noqa: E402

import numpy as np  # noqa: E402

from movierec.ranking import parts  # noqa: E402
from trainer.heldout import split_users  # noqa: E402
from trainer.model import default_params, warm_up_model  # noqa: E402
from trainer.movielens import load_movielens  # noqa: E402
from trainer.tune_ranking import ALPHAS, MF_WEIGHTS, POP_WEIGHTS, SPLIT_SEED, VALIDATION_SPLITS, ValidationSplit  # noqa: E402

LAMBDAS = (400.0, 1600.0, 3200.0, 6400.0)
WEIGHTS = (0.0, 0.25, 0.5, 1.0, 2.0)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    dataset, params = load_movielens(), default_params()
    warm_up_model(params)
    split = split_users(dataset, args.seed)
    train = (split.train_users, split.train_items, split.train_ratings, split.n_train_users)
    scores: dict[tuple, list[float]] = {}
    for s in range(VALIDATION_SPLITS):
        v = ValidationSplit(*train, dataset.genre_matrix().astype(np.float64), params,
                            SPLIT_SEED * (s + 1) + args.seed, dataset.rating_scale, parts.DEFAULT_FOLDIN_REG)
        eases = {lam: v.ease_part(lam) for lam in LAMBDAS}
        for key, graph in v.graph_parts(lows=(0.0, 0.5)).items():
            for lam, we in itertools.product(LAMBDAS, WEIGHTS):
                if we == 0 and lam != LAMBDAS[0]:
                    continue  # weight 0: λ does not matter
                for wm, wp, alpha in itertools.product(MF_WEIGHTS, POP_WEIGHTS, ALPHAS):
                    ndcg, recall = v.judge.ndcg_recall(v.score(graph, wm, wp, alpha, eases[lam], we))
                    scores.setdefault((key, we, lam if we else 0.0, wm, wp, alpha), []).append((ndcg + recall) / 2)
        print(f"validation split {s + 1}/{VALIDATION_SPLITS}: {len(v.rows)} users", flush=True)
    mean = {k: float(np.mean(v)) for k, v in scores.items()}
    for we in WEIGHTS:
        best = max((k for k in mean if k[1] == we), key=mean.__getitem__)
        (low, a, b), _, lam, wm, wp, alpha = best
        print(f"EASE weight {we:g}: best (NDCG@10 + Recall@10) / 2 {mean[best]:.4f} at graph low {low} α {a} β {b}, "
              f"λ {lam:g}, mf {wm}, popularity {wp}, alpha {alpha}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
