"""The Ranker the scorer serves: the hybrid score of parts.py for one request, fast.

Everything a request needs from the whole catalog is one mat-vec over [item factors | genre units |
popularity]; the parts' means, variances and covariances come from moments computed once at load
(and from the item graph's few non-zero entries), so no part is z-scored by a pass over the catalog.
tests/scorer/test_model_reference.py checks it against the plain definitions in parts.py.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from movierec.ranking.diversity import mmr, pool_size
from movierec.ranking.parts import (
    DEFAULT_FOLDIN_REG,
    DEFAULT_RATING_SCALE,
    FALLBACK_ALPHA,
    FALLBACK_WEIGHTS,
    explanations,
    fold_in,
    fold_in_coefficients,
    fold_in_with_coefficients,
    popularity,
    rating_weights,
    unit_rows,
)
from movierec.ranking.rerank_features import ItemStats, Reranker, candidate_features, graph_pairs


@dataclass(frozen=True)
class _Scored:
    """One request's catalog scores (I,) float32 (up to a constant) and what reports its parts at a few rows.

    cf = offset + sum over parts of coef[part] * part, with the parts mf = F p, pop = z(log popularity),
    graph and ease (I,) float64; z(cf) = (cf - cf_mean) / cf_std.
    """

    score: np.ndarray
    coef: dict[str, float]
    offset: float
    cf_mean: float
    cf_std: float
    p: np.ndarray | None
    foldin_c: np.ndarray | None  # (n,) float64: p = Q^T c (parts.fold_in_coefficients), for the explanations
    graph: np.ndarray | None
    ease: np.ndarray | None
    profile: np.ndarray
    content_mean: float
    content_std: float
    part_stats: dict[str, tuple[float, float]]  # part ("mf", "graph", "ease") -> its catalog (mean, std)


@dataclass(frozen=True)
class Ranked:
    """Top-k result: catalog rows (k,) int64, hybrid score and its two standardised parts (k,) float32.

    With explanations (parts.explanations): reasons[j] lists (input row, share) for the input movies that
    carried result j's collaborative score, largest first (shares of one result sum to at most 1);
    drivers[j] says what carried its score ("inputs", "genre", "popularity"); genre_share and
    popularity_share (k,) float32 are those parts' shares of its score's positive parts.
    """

    rows: np.ndarray
    score: np.ndarray
    collaborative: np.ndarray
    content: np.ndarray
    reasons: tuple[tuple[tuple[int, float], ...], ...] = ()
    drivers: tuple[str, ...] = ()
    genre_share: np.ndarray | None = None
    popularity_share: np.ndarray | None = None


class Ranker:
    """alpha * collaborative + (1 - alpha) * genre similarity, both z-scored over the catalog (parts.blend).

    collaborative = w_graph z(graph) + w_ease z(ease) + w_mf z(mf) + w_pop z(log popularity), z-scored again:
    - graph: sum over input movies of rating weight * item-graph weight (RP3beta, pruned; parts.graph_scores);
    - ease: sum over input movies of rating weight * EASE weight (dense over its movies; parts.ease_scores);
    - mf: q_i . p with p folded in by ridge regression of the rating weights (parts.fold_in);
    - popularity: log(1 + number of ratings).
    A rating's weight is parts.rating_weights: 5 or "liked" = 1, 3 = 0, 1 = -1 on a 1-5 scale, so a
    disliked movie pushes its neighbours, factors and genres down.

    item_factors (I, k) float32, genre_matrix (I, G) 0/1, n_ratings (I,); neighbor_rows / neighbor_weights
    (I, N) int32 / float32 or None; serving: an artifact manifest's "serving" entries (weights,
    default_alpha, foldin_reg, rating_min, rating_max), defaults where absent; ease_rows (N,) int32 /
    ease_weights (N, N) float32 or None: the EASE part (trainer/ease.py). item_stats: per-movie year, mean
    rating and MF bias (the re-rank stage's features; zeros without); reranker: the learning-to-rank stage
    over the blend's best candidates (rerank_features.py; None: the blend alone).
    """

    def __init__(self, item_factors: np.ndarray, genre_matrix: np.ndarray, n_ratings: np.ndarray,
                 neighbor_rows: np.ndarray | None = None, neighbor_weights: np.ndarray | None = None,
                 serving: dict[str, Any] | None = None, ease_rows: np.ndarray | None = None,
                 ease_weights: np.ndarray | None = None, item_stats: ItemStats | None = None,
                 reranker: Reranker | None = None) -> None:
        serving = serving or {}
        n = len(item_factors)
        self.item_stats = item_stats if item_stats is not None else ItemStats.empty(n)
        if len(self.item_stats.year) != n:
            raise ValueError(f"item_stats cover {len(self.item_stats.year)} movies, the catalog {n}")
        self.reranker = reranker
        self.neighbor_rows, self.neighbor_weights = _checked_graph(neighbor_rows, neighbor_weights, n)
        self.ease_rows, self.ease_weights = _checked_ease(ease_rows, ease_weights, n)
        # (I, k + G + 1) float32 = [item factors | genre unit vectors | z(log popularity)], side by side so
        # one mat-vec scores the whole catalog.
        self._stacked = np.hstack([item_factors, unit_rows(genre_matrix.astype(np.float32)),
                                   popularity(n_ratings)[:, None]]).astype(np.float32)
        k, g = item_factors.shape[1], genre_matrix.shape[1]
        self.item_factors = self._stacked[:, :k]  # (I, k) float32 views into _stacked
        self.genre_units = self._stacked[:, k:k + g]  # (I, G)
        self.popularity = self._stacked[:, -1]  # (I,)
        if reranker is not None:  # built here, not on the first request after a (hot) load
            _ = self.factor_units
        self._moments()
        tuned = "weights" in serving and self.neighbor_rows is not None
        self.weights = {**FALLBACK_WEIGHTS, **serving["weights"]} if tuned else dict(FALLBACK_WEIGHTS)
        if self.weights["ease"] and self.ease_rows is None:
            raise ValueError(f"serving weights give the EASE part weight {self.weights['ease']}, but there are "
                             "no ease_rows/ease_weights arrays")
        self.default_alpha = float(serving.get("default_alpha", FALLBACK_ALPHA))
        self.foldin_reg = float(serving.get("foldin_reg", DEFAULT_FOLDIN_REG))
        self.rating_min = float(serving.get("rating_min", DEFAULT_RATING_SCALE[0]))
        self.rating_max = float(serving.get("rating_max", DEFAULT_RATING_SCALE[1]))

    @property
    def n_items(self) -> int:
        return len(self._stacked)

    @cached_property
    def factor_units(self) -> np.ndarray:
        """(I, k) float32 unit item factors: the re-rank features' MF cosines. Built only for a Ranker whose
        candidates are featured (a model without a stage at 62,000 movies would hold ~50 MB of them for nothing)."""
        return unit_rows(self.item_factors)

    def _moments(self) -> None:
        """Catalog means and covariances of the parts, float64, so a request needs no pass to z-score them:
        mean(F p) = f_mean . p and var(F p) = p' f_cov p; likewise for the genre units; pop_f = cov(popularity, F)."""
        def mean_cov(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            x = x.astype(np.float64)
            mean = x.mean(axis=0)
            return mean, x.T @ x / len(x) - np.outer(mean, mean)
        self._f_mean, self._f_cov = mean_cov(self.item_factors)
        self._u_mean, self._u_cov = mean_cov(self.genre_units)
        pop = self.popularity.astype(np.float64)
        self._pop_mean, self._pop_var = float(pop.mean()), float(pop.var())
        self._pop_f = pop @ self.item_factors.astype(np.float64) / len(pop) - self._pop_mean * self._f_mean
        nb_rows, nb_weights = self.neighbor_rows, self.neighbor_weights
        if nb_rows is not None and nb_weights is not None:
            # Per movie, its neighbour row summed against the parts: sum_j w_ij, sum_j w_ij pop_j and
            # sum_j w_ij F_j, so the graph part's covariances with them cost O(inputs) per request.
            self._nb_sum = nb_weights.sum(axis=1, dtype=np.float64)
            self._nb_pop = np.einsum("ij,ij->i", nb_weights.astype(np.float64), pop[nb_rows])
            self._nb_f = np.zeros_like(self.item_factors)
            for j in range(nb_rows.shape[1]):  # one neighbour rank at a time: an (I, k) temporary
                self._nb_f += nb_weights[:, j, None] * self.item_factors[nb_rows[:, j]]
        if self.ease_rows is not None and self.ease_weights is not None:
            # Per movie of the EASE part, its row B[i] summed against the parts, as for the graph:
            # sum_j B_ij, sum_j B_ij pop_j and sum_j B_ij F_j.
            b = self.ease_weights.astype(np.float64)
            self._ease_pos = np.full(len(self._stacked), -1, dtype=np.int64)  # catalog row -> row of B, -1 outside
            self._ease_pos[self.ease_rows] = np.arange(len(self.ease_rows))
            self._ease_sum = b.sum(axis=1)
            self._ease_pop = b @ pop[self.ease_rows]
            self._ease_f = b @ self.item_factors[self.ease_rows].astype(np.float64)

    def rating_weights(self, ratings: np.ndarray) -> np.ndarray:
        """(n,) float64 weight of each input rating on this model's scale (parts.rating_weights)."""
        return rating_weights(ratings, (self.rating_min, self.rating_max))

    def fold_in(self, rows: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """An anonymous person's factors (k,) float32 from the input movies' rating weights (n,)."""
        return fold_in(self.item_factors, rows, weights, self.foldin_reg)

    def _score(self, rows: np.ndarray, weights: np.ndarray, profile: np.ndarray, alpha: float) -> _Scored:
        """Every movie's blend score up to a constant (I,) float32, with what is needed to report the parts.

        Equal, up to float rounding, to alpha * z(cf) + (1 - alpha) * z(content) with each part
        z-scored over the catalog (the class docstring); the means, variances and covariances come
        from the moments precomputed at load and from the graph's few non-zero entries, so the whole
        catalog is touched once, by one mat-vec over [item factors | genre units | popularity].
        """
        w = self.weights
        n = self.n_items
        coef: dict[str, float] = {}  # part -> b in cf = sum b * part + offset (the z-scores unrolled)
        offset = 0.0
        cov: dict[tuple[str, str], float] = {}
        stats: dict[str, tuple[float, float]] = {}  # part -> (mean, std) over the catalog
        p, foldin_c = None, None
        if w["mf"]:
            p32, foldin_c = fold_in_with_coefficients(self.item_factors, rows, weights, self.foldin_reg)
            p = p32.astype(np.float64)  # (k,)
            mean, var = float(self._f_mean @ p), max(float(p @ self._f_cov @ p), 0.0)
            mf_mean = mean
            stats["mf"] = mean, math.sqrt(var)
            if math.sqrt(var) >= 1e-12:
                coef["mf"] = w["mf"] / math.sqrt(var)
                offset -= coef["mf"] * mean
                cov["mf", "mf"], cov["pop", "mf"] = var, float(self._pop_f @ p)
        if w["popularity"]:
            coef["pop"] = float(w["popularity"])
            cov["pop", "pop"] = self._pop_var
        graph, graph_mean = None, 0.0
        nb_rows, nb_weights = self.neighbor_rows, self.neighbor_weights
        if nb_rows is not None and nb_weights is not None and w["graph"]:
            neighbours = nb_rows[rows].ravel()  # (n N,): the only movies the graph part reaches
            contrib = (nb_weights[rows] * weights[:, None]).ravel()
            graph = np.bincount(neighbours, contrib, n)  # (I,) float64
            mean = graph_mean = float(weights @ self._nb_sum[rows]) / n
            var = max(float(contrib @ graph[neighbours]) / n - mean * mean, 0.0)  # sum of g^2 over its support
            stats["graph"] = mean, math.sqrt(var)
            if math.sqrt(var) >= 1e-12:
                coef["graph"] = w["graph"] / math.sqrt(var)
                offset -= coef["graph"] * mean
                cov["graph", "graph"] = var
                cov["pop", "graph"] = float(weights @ self._nb_pop[rows]) / n - mean * self._pop_mean
                if "mf" in coef:
                    cov["graph", "mf"] = float((weights @ self._nb_f[rows]) @ p) / n - mean * mf_mean
        ease, ease_sub = None, None
        if self.ease_rows is not None and self.ease_weights is not None and w["ease"]:
            pos = self._ease_pos[rows]
            inside = pos >= 0  # inputs outside the part add nothing to it
            if inside.any():
                wi, pi = weights[inside], pos[inside]
                ease_sub = wi @ self.ease_weights[pi].astype(np.float64)  # (N,): the part at its movies
                ease = np.zeros(n)
                ease[self.ease_rows] = ease_sub
                mean = float(ease_sub.sum()) / n
                var = max(float(ease_sub @ ease_sub) / n - mean * mean, 0.0)
                stats["ease"] = mean, math.sqrt(var)
                if math.sqrt(var) >= 1e-12:
                    coef["ease"] = w["ease"] / math.sqrt(var)
                    offset -= coef["ease"] * mean
                    cov["ease", "ease"] = var
                    cov["pop", "ease"] = float(wi @ self._ease_pop[pi]) / n - mean * self._pop_mean
                    if "mf" in coef:
                        cov["ease", "mf"] = float((wi @ self._ease_f[pi]) @ p) / n - mean * mf_mean
                    if "graph" in coef and graph is not None:
                        cov["graph", "ease"] = float(graph @ ease) / n - graph_mean * mean
        var_cf = sum(coef[x] * coef[y] * cov.get((x, y), cov.get((y, x), 0.0)) for x in coef for y in coef)
        std_cf = math.sqrt(max(var_cf, 0.0))
        cf_scale = alpha / std_cf if std_cf >= 1e-12 and alpha else 0.0
        content_mean = float(self._u_mean @ profile)
        content_std = math.sqrt(max(float(profile @ self._u_cov @ profile), 0.0))
        content_scale = (1.0 - alpha) / content_std if content_std >= 1e-12 and alpha != 1.0 else 0.0
        mix = np.zeros(self._stacked.shape[1], dtype=np.float64)  # weights of [factors | genre units | popularity]
        k, g = self.item_factors.shape[1], self.genre_units.shape[1]
        if p is not None and "mf" in coef:
            mix[:k] = cf_scale * coef["mf"] * p
        mix[k:k + g] = content_scale * profile
        mix[-1] = cf_scale * coef.get("pop", 0.0)
        score = self._stacked @ mix.astype(np.float32)
        if "graph" in coef:
            np.add.at(score, neighbours, (cf_scale * coef["graph"] * contrib).astype(np.float32))
        if "ease" in coef and ease_sub is not None and self.ease_rows is not None:
            score[self.ease_rows] += (cf_scale * coef["ease"] * ease_sub).astype(np.float32)  # rows are unique
        cf_mean = coef.get("pop", 0.0) * self._pop_mean  # mean over the catalog of cf (the z-scored parts' is 0)
        return _Scored(score, coef, offset, cf_mean, std_cf, p, foldin_c, graph, ease, profile, content_mean,
                       content_std, stats)

    def _parts(self, s: _Scored, alpha: float, top: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """score, z(collaborative) and z(content) (k,) float32 of the movies at rows top (k,)."""
        cf = np.full(len(top), s.offset)
        if s.p is not None and "mf" in s.coef:
            cf += s.coef["mf"] * (self.item_factors[top].astype(np.float64) @ s.p)
        if "pop" in s.coef:
            cf += s.coef["pop"] * self.popularity[top]
        if s.graph is not None and "graph" in s.coef:
            cf += s.coef["graph"] * s.graph[top]
        if s.ease is not None and "ease" in s.coef:
            cf += s.coef["ease"] * s.ease[top]
        cf_z = (cf - s.cf_mean) / s.cf_std if s.cf_std >= 1e-12 else np.zeros(len(top))
        content = self.genre_units[top].astype(np.float64) @ s.profile
        content_z = (content - s.content_mean) / s.content_std if s.content_std >= 1e-12 else np.zeros(len(top))
        score = alpha * cf_z + (1.0 - alpha) * content_z
        return score.astype(np.float32), cf_z.astype(np.float32), content_z.astype(np.float32)

    def _top(self, score: np.ndarray, banned: np.ndarray, k: int, allowed: np.ndarray | None) -> np.ndarray:
        """Rows (<= k,) int64 of the highest scores, best first, never banned, only allowed ones (score is
        overwritten)."""
        banned = np.unique(banned)
        if allowed is not None:
            score[~allowed] = -np.inf
            candidates = int(allowed.sum()) - int(allowed[banned].sum())
        else:
            candidates = self.n_items - len(banned)
        score[banned] = -np.inf
        k = min(k, candidates)
        if k <= 0:
            return np.empty(0, dtype=np.int64)
        top = np.argpartition(-score, k - 1)[:k]
        return top[np.argsort(-score[top], kind="stable")].astype(np.int64)

    def contributions(self, s: _Scored, rows: np.ndarray, weights: np.ndarray,
                      top: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each input movie's term (n, k) float64 of z(collaborative) at the results top (k,), and popularity's (k,).

        z(cf) is linear in the parts: graph_j = sum_i w_i W_ij and mf_j = sum_i c_i q_i . q_j
        (parts.fold_in_coefficients), so input i's term is its own part of each, less its catalog mean,
        scaled as in the score; the terms and popularity's sum to the results' z(collaborative).
        """
        n, k = len(rows), len(top)
        inputs = np.zeros((n, k))
        if s.cf_std < 1e-12:
            return inputs, np.zeros(k)
        if "graph" in s.coef and self.neighbor_rows is not None:
            graph = graph_pairs(self, rows, top)  # W[i, j]: input i's graph weight to result j
            inputs += s.coef["graph"] * weights[:, None] * (graph - self._nb_sum[rows, None] / self.n_items)
        if "ease" in s.coef and self.ease_weights is not None:
            pos = self._ease_pos[rows]
            inside = np.flatnonzero(pos >= 0)
            at = self._ease_pos[top]  # (k,) results' rows of B, -1 outside the part (weight 0 there)
            b = np.where(at >= 0, self.ease_weights[np.ix_(pos[inside], np.maximum(at, 0))], 0.0)  # (inside, k)
            own = b - self._ease_sum[pos[inside], None] / self.n_items
            inputs[inside] += s.coef["ease"] * weights[inside, None] * own
        if "mf" in s.coef:
            c = s.foldin_c if s.foldin_c is not None else fold_in_coefficients(
                self.item_factors, rows, weights, self.foldin_reg)  # (n,)
            centred = self.item_factors[top].astype(np.float64) - self._f_mean  # (k, f)
            inputs += s.coef["mf"] * c[:, None] * (self.item_factors[rows].astype(np.float64) @ centred.T)
        pop = s.coef.get("pop", 0.0) * (self.popularity[top].astype(np.float64) - self._pop_mean)
        return inputs / s.cf_std, pop / s.cf_std

    def _explained(self, ranked: Ranked, s: _Scored, rows: np.ndarray, weights: np.ndarray, alpha: float) -> Ranked:
        """ranked with its reasons, drivers and shares (parts.explanations of its score's terms)."""
        if len(ranked.rows) == 0:  # filters or exclusions left no candidate: nothing to explain
            return ranked
        inputs, pop = self.contributions(s, rows, weights, ranked.rows)
        named, drivers, genre_share, pop_share = explanations(inputs, pop, ranked.content.astype(np.float64), alpha)
        reasons = tuple(tuple((int(rows[i]), share) for i, share in why) for why in named)
        return Ranked(ranked.rows, ranked.score, ranked.collaborative, ranked.content, reasons, tuple(drivers),
                      genre_share.astype(np.float32), pop_share.astype(np.float32))

    def recommend(self, rows: np.ndarray, ratings: np.ndarray, k: int, alpha: float,
                  exclude_rows: np.ndarray | None = None, allowed: np.ndarray | None = None,
                  explain: bool = True, diversity: float = 0.0) -> Ranked:
        """Top-k movies for a person who rated the movies at rows (n,) with ratings (n,) float32.

        With a re-rank stage, the blend's best max(stage candidates, MMR pool) are re-ordered by it
        first. diversity in [0, 1]: 0 is that ranking; above 0 the best candidates are re-ranked by
        maximal marginal relevance over item factors (diversity.mmr) with the stage's (else the blend's)
        scores as relevance. Either way the reported scores are the blend's, so they need no longer
        fall down the list.
        """
        weights = self.rating_weights(ratings)
        profile = weights @ self.genre_units[rows]  # (G,) float64: the rating-weighted genre profile
        scored = self._score(rows, weights, profile, alpha)
        banned = rows if exclude_rows is None else np.concatenate([rows, exclude_rows])
        pool = pool_size(k, diversity)
        if self.reranker is not None:
            pool = max(pool, self.reranker.candidates)
        top = self._top(scored.score, banned, pool, allowed)
        relevance = scored.score[top]
        if self.reranker is not None and len(top):
            relevance = self.reranker.scores(candidate_features(self, scored, rows, weights, top, alpha))
            order = np.argsort(-relevance, kind="stable")  # ties keep the blend's order
            top, relevance = top[order], relevance[order]
        top = top[mmr(relevance, self.item_factors[top], k, diversity)] if diversity > 0.0 else top[:k]
        ranked = Ranked(top, *self._parts(scored, alpha, top))
        return self._explained(ranked, scored, rows, weights, alpha) if explain else ranked

    def candidates(self, rows: np.ndarray, weights: np.ndarray, n: int, alpha: float) -> tuple[np.ndarray, np.ndarray]:
        """The blend's best n rows (<= n,) int64 for inputs rows (n_in,) with rating weights (n_in,) float64
        (inputs excluded), and their re-rank features (<= n, len(FEATURES)) float32: what the stage sees in
        recommend, for training it."""
        scored = self._score(rows, weights, weights @ self.genre_units[rows], alpha)
        top = self._top(scored.score, rows, n, None)
        return top, candidate_features(self, scored, rows, weights, top, alpha)

    def similar(self, row: int, k: int, alpha: float) -> Ranked:
        """Movies closest to one movie: the collaborative part for it alone, blended with genre cosine."""
        rows, weights = np.array([row], dtype=np.int64), np.ones(1)
        scored = self._score(rows, weights, self.genre_units[row].astype(np.float64), alpha)
        top = self._top(scored.score, rows, k, None)
        return Ranked(top, *self._parts(scored, alpha, top))


def _checked_ease(rows: np.ndarray | None, weights: np.ndarray | None,
                  n: int) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The EASE part if it is well formed, (None, None) without one; ValueError saying what is wrong."""
    if rows is None and weights is None:
        return None, None
    if (rows is None or weights is None or rows.ndim != 1 or rows.dtype != np.int32 or weights.dtype != np.float32
            or weights.shape != (len(rows), len(rows)) or len(rows) == 0 or rows.min() < 0 or rows.max() >= n
            or len(np.unique(rows)) != len(rows) or not np.all(np.isfinite(weights))):
        raise ValueError(f"ease_rows/ease_weights must be int32 (N,) distinct rows < {n} and float32 (N, N) "
                         "finite weights")
    return rows, weights


def _checked_graph(rows: np.ndarray | None, weights: np.ndarray | None,
                   n: int) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The item graph if it is well formed, (None, None) without one; ValueError saying what is wrong."""
    if rows is None and weights is None:
        return None, None
    if (rows is None or weights is None or rows.ndim != 2 or rows.shape != weights.shape or rows.shape[0] != n
            or rows.dtype != np.int32 or weights.dtype != np.float32 or rows.min() < 0 or rows.max() >= n
            or not np.all(np.isfinite(weights))):
        raise ValueError(f"neighbor_rows/neighbor_weights must be int32/float32 (I, N) with rows < {n} "
                         "and finite weights")
    return rows, weights
