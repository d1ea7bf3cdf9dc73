"""bench/ranking/strong.py: the grid, the tuner and the numpy baselines on a tiny known dataset."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from bench.ranking import strong
from trainer import ease
from trainer.heldout import Judge, Query


def tiny_train() -> strong.Train:
    """Two taste groups of 20 users: movies 0-4 go together, and 5-9; every user rates all five of one group."""
    users, items = [], []
    for u in range(40):
        group = range(5) if u < 20 else range(5, 10)
        users += [u] * 5
        items += list(group)
    n = len(users)
    return (np.array(users, np.int32), np.array(items, np.int32), np.full(n, 5.0, np.float32), 40)


def test_grid_is_every_combination() -> None:
    assert strong.grid(a=(1, 2), b=("x",)) == [{"a": 1, "b": "x"}, {"a": 2, "b": "x"}]


def test_numpy_baselines_recommend_the_inputs_group() -> None:
    train = tiny_train()
    for family, params in ((strong.rp3beta, {"low": 0.0, "alpha": 0.5, "beta": 0.3, "neighbors": 4}),
                           (strong.ease_family(liked_only=True), {"lam": 1.0}),
                           (strong.ease_family(liked_only=False), {"lam": 1.0}),
                           (strong.ease_family(liked_only=True), {"lam": 1.0, "odds": 4.0}),
                           (strong.slim, {"liked_only": True, "l1_ratio": 0.01, "alpha": 0.01, "neighbors": 0}),
                           (strong.slim, {"liked_only": False, "l1_ratio": 0.01, "alpha": 0.01, "neighbors": 4})):
        rec = strong.fit(family, params, train, 10)
        assert set(rec(np.array([0, 1]), np.full(2, 5.0), 3).tolist()) == {2, 3, 4}
        assert set(rec(np.array([7]), np.full(1, 5.0), 4).tolist()) == {5, 6, 8, 9}


def test_edlae_baseline_scores_as_the_served_part_fits() -> None:
    """The EDLAE baseline (dropout odds in the grid) is trainer/ease.py's closed form, odds 0 plain EASE."""
    train = tiny_train()
    users, items, ratings, n_users = train
    ratings = ratings.copy()
    ratings[::3] = 2.0  # some not liked: both sides read liked ratings only
    train = (users, items, ratings, n_users)
    rows = np.array([[0, 6]])
    for odds in (0.0, 3.0):
        (_, scorer), = strong.ease_family(liked_only=True)(train, 10, [{"lam": 2.0, "odds": odds}])
        _, b = ease.fit(users, items, ratings, n_users, 10, 2.0, odds=odds)
        np.testing.assert_allclose(np.asarray(scorer(rows, np.full((1, 2), 5.0)))[0], b[0] + b[6], atol=1e-5)


def test_tune_picks_the_grid_point_that_scores_best_on_validation() -> None:
    queries = [Query(0, np.array([0, 1]), np.full(2, 5.0, np.float32), np.array([2, 3, 4]))]
    split = strong.Validation(tiny_train(), Judge(queries, 10, k=3), np.array([[0, 1]]), np.full((1, 2), 5.0))

    def family(train, n_items, points):
        for p in points:  # "good" ranks the group's movies first, "bad" the other group's
            order = np.array([2, 3, 4, 5, 6, 7, 8, 9, 0, 1]) if p["which"] == "good" else np.arange(9, -1, -1)
            scores = np.empty(n_items)
            scores[order] = np.arange(n_items, 0, -1)
            yield p, (lambda r, s, scores=scores: np.tile(scores, (len(r), 1)))
    chosen, value = strong.tune(family, strong.grid(which=("bad", "good")), [split], 10)
    assert chosen == {"which": "good"} and value == 1.0


def test_slim_weights_are_non_negative_off_the_diagonal_and_follow_co_occurrence() -> None:
    """Movies 0 and 1 always rated together; 3 always with 2, 2 three times alone; 4 with nothing. The path
    of two alphas agrees with separate fits (the warm start changes the route, not the optimum)."""
    pairs = [(u, i) for u in range(30) for i in (0, 1)] + [(u, i) for u in range(30, 50) for i in (2, 3)]
    pairs += [(u, 4) for u in range(50, 60)] + [(u, 2) for u in range(60, 63)]
    users, items = zip(*pairs)
    x = sp.csr_matrix((np.ones(len(users)), (users, items)), shape=(63, 5))
    both = strong.slim_weights(x, 0.1, [0.001, 0.01])
    for b in both:
        assert (b >= 0).all() and not np.diag(b).any()
        assert b[1, 0] > 0.5 and b[0, 1] > 0.5  # each of 0, 1 predicts the other
        assert b[2, 3] > 0.5 and b[3, 2] > 0  # 3 always came with 2: 2 predicts 3 strongly
        assert not b[[0, 1], 2:].any() and not b[2:, :2].any()  # never rated together: no weight
        assert not b[:, 4].any() and not b[4].any()  # 4 co-occurs with nothing
    assert both[0, 1, 0] > both[1, 1, 0]  # less regularisation, larger weight
    for b, alpha in zip(both, (0.001, 0.01)):
        np.testing.assert_allclose(b, strong.slim_weights(x, 0.1, [alpha])[0], atol=1e-4)


def test_top_per_column_keeps_each_columns_largest() -> None:
    b = np.array([[0.0, 3.0, 1.0], [2.0, 0.0, 5.0], [1.0, 4.0, 0.0]], np.float32)
    assert strong.top_per_column(b, 1).tolist() == [[0, 0, 0], [2, 0, 5], [0, 4, 0]]
    assert strong.top_per_column(b, 3) is b
