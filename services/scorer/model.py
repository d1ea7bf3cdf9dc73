"""The hybrid recommender held in memory: item graph + MF factors + popularity + genres, ranked with numpy."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from services.common.artifact import Artifact, ArtifactError, CatalogMovie

LIKED_RATING = 5.0  # a movie someone "likes" without giving a rating
N_REASONS = 3  # input movies named per recommendation ("because you liked ...")

# Blend weights inside the collaborative part, relative to the item graph (weight 1). Artifacts
# written by `python -m trainer train` carry their own in manifest["serving"]["weights"]; these
# apply to artifacts without an item graph (`--ranking off`). Measured with the held-out-user
# protocol on ML-100K (seeds 0, 1): popularity weight 1 / 2 / 4 gave NDCG@10 0.33 / 0.36 / 0.39-0.40,
# against 0.36 for popularity alone; MF alone ranks far below popularity.
FALLBACK_WEIGHTS = {"graph": 0.0, "mf": 1.0, "popularity": 4.0}
FALLBACK_ALPHA = 0.9


@dataclass(frozen=True)
class _Scored:
    """One request's catalog scores (I,) float32 (up to a constant) and what reports its parts at a few rows.

    cf = offset + sum over parts of coef[part] * part, with the parts mf = F p, pop = z(log popularity)
    and graph (I,) float64; z(cf) = (cf - cf_mean) / cf_std.
    """

    score: np.ndarray
    coef: dict[str, float]
    offset: float
    cf_mean: float
    cf_std: float
    p: np.ndarray | None
    graph: np.ndarray | None
    profile: np.ndarray
    content_mean: float
    content_std: float


class UnknownIdError(KeyError):
    """A user or movie id the model was not trained on; str() is a message for people."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Ranked:
    """Top-k result: catalog rows (k,) int64, hybrid score and its two standardised parts (k,) float32.

    reasons[j] lists (input row, share) for the input movies that contributed most to result j's
    collaborative score, largest first; shares of one result sum to at most 1.
    """

    rows: np.ndarray
    score: np.ndarray
    collaborative: np.ndarray
    content: np.ndarray
    reasons: tuple[tuple[tuple[int, float], ...], ...] = ()


def _zscore(x: np.ndarray) -> np.ndarray:
    """Standardises over the catalog so the parts of the blend share one scale."""
    std = x.std()
    if not np.isfinite(std) or std < 1e-12:
        return np.zeros_like(x)
    return (x - x.mean()) / std


def _unit_rows(m: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return np.divide(m, norms, out=np.zeros_like(m), where=norms > 0)


DEFAULT_FOLDIN_REG = 3.0  # the trainer's measured choice (serving.foldin_reg) when a manifest has none


def fold_in(item_factors: np.ndarray, rows: np.ndarray, weights: np.ndarray, reg: float) -> np.ndarray:
    """A new user's factors p (k,) float32 by regularised least squares against the input movies' factors.

    Minimises sum_j (w_j - q_j . p)^2 + reg |p|^2 over the n input movies, with w (n,) their rating
    weights (1 = liked, negative = disliked) and q_j rows of item_factors (I, k). Solved in its
    n x n dual form, p = Q^T (Q Q^T + reg I)^-1 w, since n (<= 100) is small next to k. Unlike a plain
    mean of the factors, correlated inputs do not count twice and well-known directions are not
    over-weighted; as reg grows the answer tends to the (weighted) mean direction.
    """
    q = item_factors[rows].astype(np.float64)  # (n, k)
    gram = q @ q.T + reg * np.eye(len(rows))
    return (q.T @ np.linalg.solve(gram, weights.astype(np.float64))).astype(np.float32)


class HybridModel:
    """alpha * collaborative + (1 - alpha) * genre similarity, both z-scored over the catalog.

    collaborative = z(graph) * w_graph + z(mf) * w_mf + z(log popularity) * w_pop, z-scored again:
    - graph: sum over input movies of rating weight * item-graph weight (RP3beta, pruned);
    - mf: q_i . p with p folded in by ridge regression of the rating weights on the input movies'
      factors (see fold_in). Item bias is left
      out on purpose: it favours movies few people rated highly, which held-out users rarely pick;
    - popularity: log(1 + number of ratings), the prior that held-out users follow most.
    A rating r weighs (r - midpoint) / (max - midpoint): 5 or "liked" = 1, 4 = 0.5, 3 = 0, 1 = -1,
    so a disliked movie pushes its neighbours, factors and genres down.
    """

    def __init__(self, artifact: Artifact) -> None:
        a = artifact.arrays
        self.version = artifact.version
        self.manifest = artifact.manifest
        self.stats = artifact.stats  # stats.json for the dashboard (GetDatasetStats), None when absent
        self.movies: tuple[CatalogMovie, ...] = artifact.movies
        self.genre_names = artifact.genre_names
        self.item_row = artifact.item_row
        self.mu = float(a["global_mean"])
        self.item_factors = a["item_factors"]  # (I, k) float32
        self.item_bias = a["item_bias"]  # (I,) float32
        self.user_factors = a["user_factors"]  # (U, k) float32
        self.user_bias = a["user_bias"]  # (U,) float32
        self.user_row = {int(u): i for i, u in enumerate(a["user_ids"].tolist())}
        self.genre_matrix = artifact.genre_matrix  # (I, G) 0/1
        self.years = np.array([m.year for m in self.movies], dtype=np.int32)  # (I,), 0 = unknown
        popularity = _zscore(np.log1p(np.array([m.n_ratings for m in self.movies], dtype=np.float32)))
        # Everything a request scores the whole catalog with, side by side, so one mat-vec does it:
        # (I, k + G + 1) float32 = [item factors | genre unit vectors | z(log popularity)].
        self._stacked = np.hstack([a["item_factors"], _unit_rows(artifact.genre_matrix), popularity[:, None]])
        k, g = a["item_factors"].shape[1], artifact.genre_matrix.shape[1]
        self.item_factors = self._stacked[:, :k]  # (I, k) float32 views into _stacked
        self.genre_units = self._stacked[:, k:k + g]  # (I, G)
        self.popularity = self._stacked[:, -1]  # (I,)
        self.neighbor_rows, self.neighbor_weights = self._graph(a)  # (I, N) int32 / float32, or None
        self._moments()
        serving = artifact.manifest.get("serving", {})
        tuned = "weights" in serving and self.neighbor_rows is not None
        self.weights = {**FALLBACK_WEIGHTS, **serving["weights"]} if tuned else dict(FALLBACK_WEIGHTS)
        self.default_alpha = float(serving.get("default_alpha", FALLBACK_ALPHA))
        self.foldin_reg = float(serving.get("foldin_reg", DEFAULT_FOLDIN_REG))
        self.rating_min = float(serving.get("rating_min", 1.0))
        self.rating_max = float(serving.get("rating_max", 5.0))

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
        if self.neighbor_rows is not None:
            # Per movie, its neighbour row summed against the parts: sum_j w_ij, sum_j w_ij pop_j and
            # sum_j w_ij F_j, so the graph part's covariances with them cost O(inputs) per request.
            self._nb_sum = self.neighbor_weights.sum(axis=1, dtype=np.float64)
            self._nb_pop = np.einsum("ij,ij->i", self.neighbor_weights.astype(np.float64), pop[self.neighbor_rows])
            self._nb_f = np.zeros_like(self.item_factors)
            for j in range(self.neighbor_rows.shape[1]):  # one neighbour rank at a time: an (I, k) temporary
                self._nb_f += self.neighbor_weights[:, j, None] * self.item_factors[self.neighbor_rows[:, j]]

    def _graph(self, a: dict[str, np.ndarray]) -> tuple[np.ndarray | None, np.ndarray | None]:
        rows, weights = a.get("neighbor_rows"), a.get("neighbor_weights")
        if rows is None and weights is None:
            return None, None
        n = len(self.movies)
        if (rows is None or weights is None or rows.ndim != 2 or rows.shape != weights.shape or rows.shape[0] != n
                or rows.dtype != np.int32 or weights.dtype != np.float32 or rows.min() < 0 or rows.max() >= n
                or not np.all(np.isfinite(weights))):
            raise ArtifactError(f"model {self.version}: neighbor_rows/neighbor_weights must be int32/float32 (I, N) "
                                f"with rows < {n} and finite weights")
        return rows, weights

    @property
    def n_items(self) -> int:
        return len(self.movies)

    def rows_of(self, movie_ids: list[int]) -> np.ndarray:
        """Catalog rows (n,) int64 of movie ids; UnknownIdError lists every id not in the model."""
        rows = [self.item_row(m) for m in movie_ids]
        unknown = [m for m, r in zip(movie_ids, rows) if r is None]
        if unknown:
            raise UnknownIdError(f"movie ids not in model {self.version}: {unknown[:20]}")
        return np.asarray(rows, dtype=np.int64)

    def rating_weights(self, ratings: np.ndarray) -> np.ndarray:
        """(n,) float64 weight of each input rating: 1 for the top of the scale, 0 at its midpoint."""
        midpoint = (self.rating_min + self.rating_max) / 2.0
        return (ratings.astype(np.float64) - midpoint) / (self.rating_max - midpoint)

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
        p = None
        if w["mf"]:
            p = self.fold_in(rows, weights).astype(np.float64)  # (k,)
            mean, var = float(self._f_mean @ p), max(float(p @ self._f_cov @ p), 0.0)
            mf_mean = mean
            if math.sqrt(var) >= 1e-12:
                coef["mf"] = w["mf"] / math.sqrt(var)
                offset -= coef["mf"] * mean
                cov["mf", "mf"], cov["pop", "mf"] = var, float(self._pop_f @ p)
        if w["popularity"]:
            coef["pop"] = float(w["popularity"])
            cov["pop", "pop"] = self._pop_var
        graph = None
        if self.neighbor_rows is not None and w["graph"]:
            neighbours = self.neighbor_rows[rows].ravel()  # (n N,): the only movies the graph part reaches
            contrib = (self.neighbor_weights[rows] * weights[:, None]).ravel()
            graph = np.bincount(neighbours, contrib, n)  # (I,) float64
            mean = float(weights @ self._nb_sum[rows]) / n
            var = max(float(contrib @ graph[neighbours]) / n - mean * mean, 0.0)  # sum of g^2 over its support
            if math.sqrt(var) >= 1e-12:
                coef["graph"] = w["graph"] / math.sqrt(var)
                offset -= coef["graph"] * mean
                cov["graph", "graph"] = var
                cov["pop", "graph"] = float(weights @ self._nb_pop[rows]) / n - mean * self._pop_mean
                if "mf" in coef:
                    cov["graph", "mf"] = float((weights @ self._nb_f[rows]) @ p) / n - mean * mf_mean
        var_cf = sum(coef[x] * coef[y] * cov.get((x, y), cov.get((y, x), 0.0)) for x in coef for y in coef)
        std_cf = math.sqrt(max(var_cf, 0.0))
        cf_scale = alpha / std_cf if std_cf >= 1e-12 and alpha else 0.0
        content_mean = float(self._u_mean @ profile)
        content_std = math.sqrt(max(float(profile @ self._u_cov @ profile), 0.0))
        content_scale = (1.0 - alpha) / content_std if content_std >= 1e-12 and alpha != 1.0 else 0.0
        mix = np.zeros(self._stacked.shape[1], dtype=np.float64)  # weights of [factors | genre units | popularity]
        k, g = self.item_factors.shape[1], self.genre_units.shape[1]
        if "mf" in coef:
            mix[:k] = cf_scale * coef["mf"] * p
        mix[k:k + g] = content_scale * profile
        mix[-1] = cf_scale * coef.get("pop", 0.0)
        score = self._stacked @ mix.astype(np.float32)
        if "graph" in coef:
            np.add.at(score, neighbours, (cf_scale * coef["graph"] * contrib).astype(np.float32))
        cf_mean = coef.get("pop", 0.0) * self._pop_mean  # mean over the catalog of cf (the z-scored parts' is 0)
        return _Scored(score, coef, offset, cf_mean, std_cf, p, graph, profile, content_mean, content_std)

    def _parts(self, s: _Scored, alpha: float, top: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """score, z(collaborative) and z(content) (k,) float32 of the movies at rows top (k,)."""
        cf = np.full(len(top), s.offset)
        if "mf" in s.coef:
            cf += s.coef["mf"] * (self.item_factors[top].astype(np.float64) @ s.p)
        if "pop" in s.coef:
            cf += s.coef["pop"] * self.popularity[top]
        if "graph" in s.coef:
            cf += s.coef["graph"] * s.graph[top]
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

    def allowed(self, genres: list[str], year_min: int, year_max: int) -> np.ndarray | None:
        """(I,) bool of movies passing the filters (any of the genres; year in range), None without filters.

        Raises ValueError naming unknown genres. A year bound of 0 means no bound; with a bound,
        movies of unknown year are left out.
        """
        mask = None
        if genres:
            unknown = [g for g in genres if g not in self.genre_names]
            if unknown:
                # Echo a few, shortened: gRPC refuses replies whose status message exceeds ~8 KB.
                shown = [g[:40] for g in unknown[:5]] + (["..."] if len(unknown) > 5 else [])
                raise ValueError(f"unknown genres {shown}; known: {list(self.genre_names)}")
            columns = [self.genre_names.index(g) for g in genres]
            mask = self.genre_matrix[:, columns].any(axis=1)
        if year_min or year_max:
            years = (self.years > 0) & (self.years >= year_min) & ((self.years <= year_max) if year_max else True)
            mask = years if mask is None else mask & years
        return mask

    def reasons(self, rows: np.ndarray, weights: np.ndarray, top: np.ndarray) -> tuple:
        """Per result in top (k,): up to N_REASONS (input row, share) with the largest positive contribution.

        A contribution is the input's graph weight to the result plus its MF term, each scaled as
        in the collaborative part; shares are of the positive contributions' sum.
        """
        n, k = len(rows), len(top)
        if k == 0:  # filters or exclusions left no candidate: nothing to explain
            return ()
        contrib = np.zeros((n, k))
        if self.neighbor_rows is not None and self.weights["graph"]:
            is_result = np.zeros(self.n_items, dtype=bool)
            is_result[top] = True
            position = np.empty(self.n_items, dtype=np.intp)  # read only where is_result
            position[top] = np.arange(k)
            neighbours = self.neighbor_rows[rows]  # (n, N)
            i, j = np.nonzero(is_result[neighbours])  # input i's j-th neighbour is a result
            contrib[i, position[neighbours[i, j]]] = weights[i] * self.neighbor_weights[rows[i], j]
        if self.weights["mf"]:
            mf = (self.item_factors[rows] @ self.item_factors[top].T) * weights[:, None]  # (n, k)
            graph_max = float(np.abs(contrib).max())
            scale = max(graph_max, 1e-12) / max(float(np.abs(mf).max()), 1e-12) if graph_max > 0 else 1.0
            contrib += self.weights["mf"] / max(self.weights["graph"], 1.0) * scale * mf
        positive = np.maximum(contrib, 0.0)  # (n, k)
        best = np.argsort(-positive, axis=0, kind="stable")[:N_REASONS]  # (<= N_REASONS, k)
        total = positive.sum(axis=0)
        total[total == 0] = 1.0  # no positive contribution: every share is 0, and dropped below
        shares = (positive[best, np.arange(k)] / total).T.tolist()
        inputs = rows[best].T.tolist()
        return tuple(tuple((r, s) for r, s in zip(rs, ss) if s > 0) for rs, ss in zip(inputs, shares))

    def recommend(self, rows: np.ndarray, ratings: np.ndarray, k: int, alpha: float,
                  exclude_rows: np.ndarray | None = None, allowed: np.ndarray | None = None,
                  explain: bool = True) -> Ranked:
        """Top-k movies for a person who rated the movies at rows (n,) with ratings (n,) float32."""
        weights = self.rating_weights(ratings)
        profile = weights @ self.genre_units[rows]  # (G,) float64: the rating-weighted genre profile
        scored = self._score(rows, weights, profile, alpha)
        banned = rows if exclude_rows is None else np.concatenate([rows, exclude_rows])
        top = self._top(scored.score, banned, k, allowed)
        reasons = self.reasons(rows, weights, top) if explain else ()
        return Ranked(top, *self._parts(scored, alpha, top), reasons)

    def similar(self, row: int, k: int, alpha: float) -> Ranked:
        """Movies closest to one movie: the collaborative part for it alone, blended with genre cosine."""
        rows, weights = np.array([row], dtype=np.int64), np.ones(1)
        scored = self._score(rows, weights, self.genre_units[row].astype(np.float64), alpha)
        top = self._top(scored.score, rows, k, None)
        return Ranked(top, *self._parts(scored, alpha, top))

    def predict(self, user_id: int, movie_id: int) -> float:
        """Predicted rating of a training user for a movie, clipped to the rating scale."""
        u = self.user_row.get(int(user_id))
        if u is None:
            raise UnknownIdError(f"user {user_id} is not in the training data of model {self.version}")
        i = self.item_row(movie_id)
        if i is None:
            raise UnknownIdError(f"movie {movie_id} is not in model {self.version}")
        raw = self.mu + self.user_bias[u] + self.item_bias[i] + float(self.user_factors[u] @ self.item_factors[i])
        return float(np.clip(raw, self.rating_min, self.rating_max))
