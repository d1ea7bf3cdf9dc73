"""Bayesian probabilistic MF with biases by Gibbs sampling, exported as one biased MF (samples concatenated)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numba
import numpy as np

from trainer.implicit import IMPLICIT_MAX_WIDTH, Link
from trainer.sgd import MFModel


@dataclass(frozen=True)
class BPMFParams:
    """Everything that determines a BPMF run (recorded in the artifact manifest).

    Each user carries x_u = (p_u, b_u) and each item y_i = (q_i, b_i), both (factors + 1)-vectors
    with Normal-Wishart hyperpriors (Salakhutdinov & Mnih 2008), so the biases get a learned
    Gaussian prior jointly with the factors. r ~ N(mu + b_u + b_i + p_u . q_i, 1 / precision), with
    mu the training mean (fixed). The first `burn_in` sweeps are dropped, the next `samples` kept.
    With implicit > 0 each row's prior mean also moves with what it rated (trainer/implicit.py).
    """

    factors: int = 10
    burn_in: int = 20
    samples: int = 100
    precision: float = 1.5  # alpha: 1 / noise variance of a rating (1.25-2 tried on validation)
    beta0: float = 2.0  # strength of the hyperprior on the means
    serve_factors: int = 100  # export at most this many factors (exact low-rank compression); 0 = all k·S
    seed: int = 42
    # λ of the implicit-feedback link matrices (trainer/implicit.py), 0 = off: 0.5 was best of 0.1-100 on
    # ML-100K validation (bench/trainer/RESULTS.md); sides wider than IMPLICIT_MAX_WIDTH skip it
    implicit: float = 0.5


    def __post_init__(self) -> None:
        checks = {"factors": self.factors >= 1, "burn_in": self.burn_in >= 0, "samples": self.samples >= 1,
                  "precision": self.precision > 0, "beta0": self.beta0 > 0, "serve_factors": self.serve_factors >= 0,
                  "implicit": self.implicit >= 0}
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"invalid BPMF parameters: {', '.join(f'{n}={getattr(self, n)!r}' for n in bad)}")

    @property
    def epochs(self) -> int:
        """Gibbs sweeps in all (burn-in + kept), for progress bars."""
        return self.burn_in + self.samples

    @property
    def served_factors(self) -> int:
        """Columns of the exported factor arrays: factors × samples, at most serve_factors (when > 0)."""
        concatenated = self.factors * self.samples
        return concatenated if self.serve_factors == 0 else min(concatenated, self.serve_factors)

    def to_dict(self) -> dict[str, float | int | str]:
        return {"model": "bpmf", **asdict(self)}


@numba.njit(cache=True, nogil=True, fastmath=True, parallel=True)
def sample_rows(indptr, cols, ratings, mu, bias_other, design, prior_prec, prior_rhs, alpha, noise):
    """Draws every row's vector from its Gaussian conditional given the other side's design vectors.

    CSR by row: row r's ratings are positions indptr[r]:indptr[r + 1] of cols (int32 columns)
    and ratings (float32); the target of a rating is rating - mu - bias_other[col] (bias_other (C,)
    float64). design: (C, d) float64, one vector per column; prior_prec
    (d, d) and prior_rhs (R, d) = row r's prior mean @ prior_prec; noise: (R, d) standard normal draws.
    Per row: Λ = prior_prec + alpha Σ v vᵀ, b = prior_rhs + alpha Σ t v, L Lᵀ = Λ (Cholesky),
    x = Λ⁻¹ b + L⁻ᵀ z. Returns (R, d) float64. Rows are independent given the pre-drawn noise, so the
    parallel loop gives the same draws on any number of threads.
    """
    n_rows, d = noise.shape
    out = np.empty((n_rows, d))
    for r in numba.prange(n_rows):
        lam = prior_prec.copy()
        b = prior_rhs[r].copy()
        for j in range(indptr[r], indptr[r + 1]):
            c = cols[j]
            t = alpha * (ratings[j] - mu - bias_other[c])
            for a in range(d):
                va = alpha * design[c, a]
                b[a] += t * design[c, a]
                for e in range(a + 1):  # the lower triangle is all the Cholesky reads
                    lam[a, e] += va * design[c, e]
        # Cholesky, in place into the lower triangle of lam
        for a in range(d):
            s = lam[a, a]
            for e in range(a):
                s -= lam[a, e] * lam[a, e]
            diag = np.sqrt(s)
            lam[a, a] = diag
            for f in range(a + 1, d):
                s = lam[f, a]
                for e in range(a):
                    s -= lam[f, e] * lam[a, e]
                lam[f, a] = s / diag
        # L y = b, then Lᵀ x = y + z: x = Λ⁻¹ b + L⁻ᵀ z
        y = np.empty(d)
        for a in range(d):
            s = b[a]
            for e in range(a):
                s -= lam[a, e] * y[e]
            y[a] = s / lam[a, a]
        for a in range(d):
            y[a] += noise[r, a]
        for a in range(d - 1, -1, -1):
            s = y[a]
            for e in range(a + 1, d):
                s -= lam[e, a] * out[r, e]
            out[r, a] = s / lam[a, a]
    return out


@numba.njit(cache=True, nogil=True, fastmath=True, parallel=True)
def train_rmse(users, items, ratings, mu, x, y, k):
    """RMSE of one sample (x (U, k + 1), y (I, k + 1): factors then bias) on the (N,) training ratings,
    without the (N, k) gathers numpy would allocate (2 GB each at 25M ratings)."""
    total = 0.0
    for n in numba.prange(ratings.shape[0]):
        u, i = users[n], items[n]
        pred = mu + x[u, k] + y[i, k]
        for a in range(k):
            pred += x[u, a] * y[i, a]
        total += (pred - ratings[n]) ** 2
    return np.sqrt(total / ratings.shape[0])


@dataclass
class _Side:
    """One side's ratings in CSR order: indptr (R + 1,) int64, cols (N,) int32, ratings (N,) float32 (exact
    for MovieLens' half stars).

    link: the side's implicit features (None: plain BPMF), beta its current (C, d) draw.
    """

    indptr: np.ndarray
    cols: np.ndarray
    ratings: np.ndarray
    link: Link | None = None
    beta: np.ndarray | None = None

    @classmethod
    def of(cls, rows: np.ndarray, cols: np.ndarray, ratings: np.ndarray, n_rows: int) -> "_Side":
        order = np.argsort(rows, kind="stable")
        indptr = np.zeros(n_rows + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
        return cls(indptr, np.ascontiguousarray(cols[order], dtype=np.int32),
                   np.ascontiguousarray(ratings[order], dtype=np.float32))

    shift: np.ndarray | float = 0.0  # (R, d) βᵀ f_r of the current beta

    def with_link(self, other: "_Side", lam: float, d: int) -> None:
        """Turns on implicit features over the other side's rows (β starts at 0)."""
        n_cols = len(other.indptr) - 1
        self.link = Link.of(self.indptr, self.cols, other.indptr, other.cols, n_cols, lam)
        self.beta = np.zeros((n_cols, d))

    def sample(self, mine: np.ndarray, mu: float, other: np.ndarray, k: int, beta0: float, alpha: float,
               rng: np.random.Generator) -> np.ndarray:
        """(R, k + 1) rows drawn given this side's current rows `mine` and the other side's (C, k + 1)
        vectors (factors, bias): hyperparameters, then the link β (with implicit features), then the rows."""
        if self.link is None or self.beta is None:
            mean, prec = _sample_hyper(mine, beta0, rng)
        else:
            mean, prec = _sample_hyper(mine - self.shift, beta0, rng, self.link.lam * self.beta.T @ self.beta,
                                       len(self.beta))
            self.beta = self.link.sample(mine, mean, prec, rng)
            self.shift = self.link.mean_shift(self.beta)
        design = np.ascontiguousarray(np.concatenate([other[:, :k], np.ones((len(other), 1))], axis=1))
        noise = rng.standard_normal((len(self.indptr) - 1, k + 1))
        prior_rhs = np.ascontiguousarray(np.broadcast_to(mean + self.shift, noise.shape) @ prec)
        bias_other = np.ascontiguousarray(other[:, k])
        return sample_rows(self.indptr, self.cols, self.ratings, mu, bias_other, design, prec, prior_rhs, alpha, noise)


def _wishart(df: float, scale: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One (d, d) draw from Wishart(df, scale) by the Bartlett decomposition.

    scale = L Lᵀ; A lower triangular with A_ii = √χ²(df - i), A_ij ~ N(0, 1) below; W = L A Aᵀ Lᵀ.
    (numpy only: scipy is not in the trainer image.)
    """
    d = scale.shape[0]
    a = np.tril(rng.standard_normal((d, d)), -1)
    a[np.diag_indices(d)] = np.sqrt(rng.chisquare(df - np.arange(d)))
    la = np.linalg.cholesky(scale) @ a
    return la @ la.T


def _sample_hyper(x: np.ndarray, beta0: float, rng: np.random.Generator, link_scatter: np.ndarray | float = 0.0,
                  link_rows: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(mean (d,), precision (d, d)) drawn from the Normal-Wishart posterior given rows x (n, d).

    Prior: mean 0, beta0, identity scale, d degrees of freedom. With implicit features x holds the
    rows minus their βᵀf shift, and β's own prior adds λ βᵀβ (link_scatter) and C (link_rows) dof.
    """
    n, d = x.shape
    mean = x.mean(axis=0)
    scatter = (x - mean).T @ (x - mean)
    diff = mean[:, None]
    w_inv = np.eye(d) + scatter + link_scatter + (beta0 * n / (beta0 + n)) * (diff @ diff.T)
    w = np.linalg.inv(w_inv)
    precision = _wishart(d + n + link_rows, (w + w.T) / 2, rng)
    mu_post = n * mean / (beta0 + n)
    # mean ~ N(mu_post, ((beta0 + n) precision)⁻¹) through the Cholesky factor of the covariance
    # (rng.multivariate_normal does an SVD per call, a large share of a sweep)
    cov = np.linalg.inv((beta0 + n) * precision)
    mean_draw = mu_post + np.linalg.cholesky((cov + cov.T) / 2) @ rng.standard_normal(d)
    return mean_draw, np.ascontiguousarray(precision)


@dataclass
class Chain:
    """The last state of a Gibbs chain, to start another fit on the same users and movies from.

    x (U, k + 1), y (I, k + 1) float64 rows (factors, bias); betas: each side's link matrix or None.
    The final fit starts from the evaluation fit's state, so it needs only WARM_BURN_IN sweeps.
    """

    x: np.ndarray | None = None
    y: np.ndarray | None = None
    betas: tuple[np.ndarray | None, np.ndarray | None] = (None, None)


# Sweeps dropped when a fit starts from another fit's chain on 80% of the same ratings: the state is
# already a draw near this posterior (bench/trainer/RESULTS.md).
WARM_BURN_IN = 2


def fit_bpmf(users: np.ndarray, items: np.ndarray, ratings: np.ndarray, n_users: int, n_items: int,
             params: BPMFParams, on_sweep: Callable[[int, float], None] | None = None,
             chain: Chain | None = None) -> MFModel:
    """Gibbs-samples BPMF and returns the posterior-mean predictor as one biased MF.

    users, items: (N,) indices < n_users / n_items; ratings (N,) float. The S kept samples' factors
    are put side by side, each scaled by 1/√S — (U, k·S) and (I, k·S) float32 — so p_u · q_i =
    mean over samples of p_us · q_is; biases are the samples' means. Prediction therefore equals
    the average of the S sampled predictors exactly; then `compress` brings the factor count down
    to params.served_factors (exactly so if the average has no higher rank).
    on_sweep(sweep, train_rmse) is called after every sweep (burn-in included). Seeded.
    chain: started from when it holds a state of the same shapes (burn-in then min(burn_in,
    WARM_BURN_IN)); the final state is stored into it.
    """
    users = np.ascontiguousarray(users, dtype=np.int32)
    items = np.ascontiguousarray(items, dtype=np.int32)
    ratings = np.ascontiguousarray(ratings, dtype=np.float32)
    if not (len(users) == len(items) == len(ratings)) or len(ratings) == 0:
        raise ValueError("users, items and ratings must be non-empty and of equal length")
    rng = np.random.default_rng(params.seed)
    k, d, alpha = params.factors, params.factors + 1, float(params.precision)
    mu = float(ratings.mean(dtype=np.float64))
    # x[:, :k] = factors, x[:, k] = bias; start small so the first sweeps fit biases first
    x = np.concatenate([rng.normal(0, 0.1, (n_users, k)), np.zeros((n_users, 1))], axis=1)
    y = np.concatenate([rng.normal(0, 0.1, (n_items, k)), np.zeros((n_items, 1))], axis=1)
    s_total = params.samples
    user_factors = np.empty((n_users, k * s_total), dtype=np.float32)
    item_factors = np.empty((n_items, k * s_total), dtype=np.float32)
    user_bias, item_bias = np.zeros(n_users), np.zeros(n_items)
    scale = 1.0 / np.sqrt(s_total)
    by_user = _Side.of(users, items, ratings, n_users)
    by_item = _Side.of(items, users, ratings, n_items)
    if params.implicit > 0:  # each side's features are the other side's rows; see IMPLICIT_MAX_WIDTH
        if min(n_users, n_items) <= IMPLICIT_MAX_WIDTH:
            by_user.with_link(by_item, params.implicit, d)
            by_item.with_link(by_user, params.implicit, d)
    burn_in = params.burn_in
    if chain is not None and chain.x is not None and chain.x.shape == x.shape and chain.y is not None \
            and chain.y.shape == y.shape:
        x, y, burn_in = chain.x, chain.y, min(burn_in, WARM_BURN_IN)
        for side, beta in zip((by_user, by_item), chain.betas):
            if side.link is not None and beta is not None and side.beta is not None \
                    and beta.shape == side.beta.shape:
                side.beta, side.shift = beta, side.link.mean_shift(beta)
    for sweep in range(burn_in + s_total):
        x = by_user.sample(x, mu, y, k, params.beta0, alpha, rng)
        y = by_item.sample(y, mu, x, k, params.beta0, alpha, rng)
        kept = sweep - burn_in
        if kept >= 0:
            user_factors[:, kept * k:(kept + 1) * k] = x[:, :k] * scale
            item_factors[:, kept * k:(kept + 1) * k] = y[:, :k] * scale
            user_bias += x[:, k] / s_total
            item_bias += y[:, k] / s_total
        if on_sweep is not None:
            on_sweep(sweep, float(train_rmse(users, items, ratings, mu, x, y, k)))
    if chain is not None:
        chain.x, chain.y, chain.betas = x, y, (by_user.beta, by_item.beta)
    model = MFModel(mu, user_factors, item_factors, user_bias.astype(np.float32), item_bias.astype(np.float32))
    return compress(model, params.served_factors, params.seed)


def compress(model: MFModel, rank: int, seed: int = 0, power_iterations: int = 2) -> MFModel:
    """The same biased MF with (U, r) / (I, r) factors, r = min(rank, current): P Qᵀ's best rank-r part.

    Randomised SVD (Halko, Martinsson & Tropp 2011) of M = P Qᵀ without forming the (U, I) matrix:
    a seeded Gaussian test matrix, `power_iterations` passes through M and Mᵀ, then the SVD of the
    small projection; the singular values are split evenly (√σ on each side). Only products with
    P and Q (GEMMs), so it costs O((U + I) · K · r) rather than the O((U + I) · K²) of exact QRs of
    the concatenated factors (3.5 s for K = 1,000 on ML-100K here). On ML-100K the posterior mean
    of 100 samples × 10 factors kept its validation RMSE within 0.0002 at 50 to 500 factors
    (bench/trainer/RESULTS.md).
    """
    p, q = model.user_factors, model.item_factors  # (U, K), (I, K) float32
    k = p.shape[1]
    if rank >= k:
        return model
    width = min(k, rank + 20)  # oversampling
    omega = np.random.default_rng(seed).standard_normal((q.shape[0], width)).astype(np.float32)
    y = p @ (q.T @ omega)  # (U, width) = M Ω
    for _ in range(power_iterations):
        z = q @ (p.T @ np.linalg.qr(y)[0])  # Mᵀ Y
        y = p @ (q.T @ np.linalg.qr(z)[0])
    basis = np.linalg.qr(y.astype(np.float64))[0]  # (U, width) orthonormal
    small = (basis.T.astype(np.float32) @ p) @ q.T  # (width, I) = basisᵀ M
    left, sigma, right_t = np.linalg.svd(small.astype(np.float64), full_matrices=False)
    root = np.sqrt(sigma[:rank])
    return MFModel(model.global_mean, (basis @ left[:, :rank] * root).astype(np.float32),
                   (right_t[:rank].T * root).astype(np.float32), model.user_bias, model.item_bias)
