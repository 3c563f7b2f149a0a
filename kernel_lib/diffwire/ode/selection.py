"""Choosing a sparse model: bagged threshold sweeps, candidates ranked by an information
criterion on held-out stretches, inclusion probabilities and coefficient intervals.

Along one trajectory the monomials of a polynomial library are nearly collinear, so the
residual on the fitted points always favours a dense polynomial that chases the network's
small errors. What tells the sparse law from such a polynomial is a stretch of the
trajectory the fit did not see: there a dense polynomial swings off, the law carries over.
So every candidate is refitted without one contiguous stretch at a time and judged on that
stretch, and the candidates are ranked by AICc (or BIC) of those held-out residuals
(Mangan et al. 2017). When the observations are known, the held-out residual is that of
the whole model simulated with the candidate in place of the network, against the data:
the scale of what matters is then the data's own noise, not the network's precision.

Candidates, per component of the term: the supports of a threshold sweep of STLSQ, on the
whole trajectory and as ensemble SINDy (Fasel et al. 2022: a term kept when at least half
of `bags` resamplings keep it), and the path of forward selection (the term that lowers the
residual most, added one at a time), which offers a sparse law even where the network's
errors keep every threshold's fit dense. Each component's candidates are judged with the
network still supplying the other components; the best few of each are then combined and
judged together. Resamplings are moving-block bootstraps (stretches drawn with
replacement): the states are a smooth curve, and resampling single rows, as pysindy's
EnsembleOptimizer does, leaves every bag almost the same as the data.

Inclusion probabilities are ensemble ones: the fraction of bags (block bootstraps of the
held-out residuals) in which the best candidate keeps the term. Coefficient intervals are
percentiles of least-squares refits on block bootstraps of the trajectory: they measure how
well this network's outputs pin the coefficient down, not the spread between networks.

STLSQ is pysindy's algorithm written out in numpy (the same coefficients, which a test
checks against pysindy): a sweep fits it a few thousand times, and pysindy's input
validation costs about 100 times the arithmetic at this size.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable

import numpy as np

THRESHOLDS = np.logspace(-3, 1, 41)
CRITERIA = ("aicc", "bic")
TOLERANCE = 2.0  # information-criterion difference below which the sparser model is kept


@dataclasses.dataclass
class Candidate:
    """One sparse model: which terms each component keeps, its score, its weight."""

    support: np.ndarray  # [D, F] bool
    rows: np.ndarray | None = None  # held-out squared residual per observation (or state)
    score: float = math.inf  # AICc or BIC (lower is better)
    weight: float = 0.0  # Akaike weight: exp(-delta/2), normalised over the candidates
    coef: np.ndarray | None = None  # [D, F] when fitted to the observations
    half: np.ndarray | None = None  # [D, F] 95% interval half-widths of those

    @property
    def k(self) -> int:
        return int(self.support.sum())


def features(X: np.ndarray, powers: np.ndarray) -> np.ndarray:
    """The library's monomials of states `X` [N, D]: [N, F]."""
    return np.prod(X[:, None, :] ** powers[None, :, :], axis=-1)


def stlsq(F: np.ndarray, Y: np.ndarray, threshold: float, alpha: float,
          max_iter: int = 20) -> np.ndarray:
    """Sequentially thresholded ridge regression, as pysindy's STLSQ (ridge fits on the
    current support, terms below `threshold` dropped, until the support settles; then an
    unbiased least-squares refit): coefficients [D, F]."""
    n_f = F.shape[1]
    ind = np.ones((Y.shape[1], n_f), bool)
    for _ in range(max_iter):
        before = ind.copy()
        for i in range(Y.shape[1]):
            cols = np.nonzero(ind[i])[0]
            if not len(cols):
                continue
            X = F[:, cols]
            c = np.linalg.solve(X.T @ X + alpha * np.eye(len(cols)), X.T @ Y[:, i])
            ind[i] = False
            ind[i, cols[np.abs(c) >= threshold]] = True
        if np.array_equal(ind, before):
            break
    return lstsq(F, Y, ind)


def lstsq(F: np.ndarray, Y: np.ndarray, support: np.ndarray) -> np.ndarray:
    """Least-squares coefficients [D, F] on `support` (zero elsewhere)."""
    coef = np.zeros(support.shape)
    for j in range(Y.shape[1]):
        s = support[j]
        if s.any():
            coef[j, s], *_ = np.linalg.lstsq(F[:, s], Y[:, j], rcond=None)
    return coef


def block_bags(n: int, bags: int, rng: np.random.Generator, block: int | None = None) -> list:
    """Row indices of `bags` moving-block bootstrap samples of an `n`-row trajectory."""
    block = block or max(2, int(round(n ** 0.5)))
    starts = np.arange(max(1, n - block + 1))
    out = []
    for _ in range(bags):
        picks = rng.choice(starts, size=-(-n // block), replace=True)
        out.append(np.concatenate([np.arange(s, min(s + block, n)) for s in picks])[:n])
    return out


def component_supports(F: np.ndarray, y: np.ndarray, alpha: float, bags: list, scale: float,
                       thresholds=THRESHOLDS, negligible: float = 1e-3,
                       max_terms: int = 6) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Candidate supports [F] of one component, from the threshold sweep (whole and
    bagged) and the forward-selection path, and that path alone (sparsest first). Terms
    contributing less than `negligible` of the target's scale count as absent; supports of
    more than `max_terms` terms are left out (the dense fits this selection is meant to
    avoid)."""
    size = np.sqrt((F ** 2).mean(0))
    Y = y[:, None]
    seen: dict[bytes, np.ndarray] = {}

    def add(s):
        if s.sum() <= max_terms:
            seen.setdefault(s.tobytes(), s)

    for j in range(F.shape[1]):  # every one-term law: cheap, and the sparsest there is
        add(np.arange(F.shape[1]) == j)
    for th in thresholds:
        add(np.abs(stlsq(F, Y, th, alpha)[0]) * size >= negligible * scale)
        kept = [np.abs(stlsq(F[r], Y[r], th, alpha)[0]) * size >= negligible * scale
                for r in bags]
        add(np.mean(kept, axis=0) >= 0.5)
    path = []
    support = np.zeros(F.shape[1], bool)
    for _ in range(min(max_terms, F.shape[1])):
        best, best_rss = None, math.inf
        for j in np.nonzero(~support)[0]:
            trial = support.copy()
            trial[j] = True
            c, *_ = np.linalg.lstsq(F[:, trial], y, rcond=None)
            rss = float(((y - F[:, trial] @ c) ** 2).sum())
            if rss < best_rss:
                best, best_rss = j, rss
        support[best] = True
        path.append(support.copy())
        add(support.copy())
    return list(seen.values()), path


def stretches(n: int, folds: int) -> list:
    """Contiguous index blocks of an `n`-point trajectory (one per point below `folds`)."""
    return np.array_split(np.arange(n), min(folds, n)) if n >= 3 else []


def regression_rows(F, Y, support, blocks) -> np.ndarray:
    """Held-out squared residual of the regression itself per state: each block predicted
    from the others."""
    rows = np.zeros(len(F))
    for block in blocks:
        train = np.setdiff1d(np.arange(len(F)), block)
        coef = lstsq(F[train], Y[train], support)
        rows[block] = ((Y[block] - F[block] @ coef.T) ** 2).sum(-1)
    return rows


def simulation_rows(F, Y, support, state_blocks, obs_blocks, observed,
                    simulate: Callable[[np.ndarray], np.ndarray | None]) -> np.ndarray:
    """Held-out squared residual of the whole model per observation: for each stretch the
    candidate is refitted on the states outside it, the model simulated with it, and
    compared with the observations inside it. A failed simulation (diverged, NaN) gives
    infinity."""
    rows = np.zeros(len(observed))
    for sblock, oblock in zip(state_blocks, obs_blocks):
        train = np.setdiff1d(np.arange(len(F)), sblock)
        sim = simulate(lstsq(F[train], Y[train], support))
        if sim is None or not np.all(np.isfinite(sim)):
            return np.full(len(observed), math.inf)
        rows[oblock] = ((sim[oblock] - observed[oblock]) ** 2).reshape(len(oblock), -1).sum(-1)
    return rows


def information(rss: float, n: int, k: int, criterion: str, floor: float = 1e-300) -> float:
    """AICc or BIC of a least-squares fit with `k` terms on `n` values (Gaussian errors).
    Residuals below `floor` are rounding: two exact fits tie, and the sparser wins."""
    if not math.isfinite(rss) or n == 0:
        return math.inf
    fit = n * math.log(max(rss, floor) / n)
    if criterion == "bic":
        return fit + k * math.log(n)
    if n - k - 1 <= 0:
        return math.inf
    return fit + 2 * k + 2 * k * (k + 1) / (n - k - 1)


def rank(candidates: list, criterion: str, values_per_row: int, floor: float = 1e-300,
         tolerance: float = TOLERANCE) -> list:
    """Candidates scored, the chosen one first (see :func:`choose`), then the rest best
    first (ties to fewer terms), with Akaike weights."""
    for c in candidates:
        c.score = information(float(c.rows.sum()), c.rows.size * values_per_row, c.k,
                              criterion, floor)
    ordered = sorted(candidates, key=lambda c: (c.score, c.k))
    best = ordered[0].score
    if math.isfinite(best):
        w = np.array([math.exp(-(c.score - best) / 2) if math.isfinite(c.score) else 0.0
                      for c in ordered])
        for c, wi in zip(ordered, w / w.sum()):
            c.weight = float(wi)
    pick = choose([c.score for c in ordered], [c.k for c in ordered], tolerance)
    return [ordered[pick]] + ordered[:pick] + ordered[pick + 1:]


def choose(scores, ks, tolerance: float = TOLERANCE) -> int:
    """Index of the sparsest candidate whose score is within `tolerance` of the best (the
    lower score among equally sparse ones). A difference of information criterion below 2
    is no evidence for the bigger model (Burnham and Anderson; the rule Mangan et al. 2017
    use), and along one trajectory a dense polynomial nearly always buys a slightly lower
    score by chasing the network's small errors."""
    scores = np.asarray(scores, dtype=float)
    best = scores.min()
    if not math.isfinite(best):
        return int(np.lexsort((ks, scores))[0])
    near = np.nonzero(scores <= best + tolerance)[0]
    return int(near[np.lexsort((scores[near], np.asarray(ks)[near]))[0]])


def combine(per_component: list[list[np.ndarray]]) -> list[np.ndarray]:
    """Joint supports [D, F]: every combination of one support [F] per component."""
    return [np.stack(combo) for combo in itertools.product(*per_component)]


def inclusion(candidates: list, criterion: str, values_per_row: int, bags: list,
              floor: float = 1e-300, tolerance: float = TOLERANCE) -> np.ndarray:
    """Per term [D, F]: the fraction of bags (resampled rows of the held-out residuals) in
    which the candidate chosen by :func:`choose` keeps it."""
    k = np.array([c.k for c in candidates])
    rows = np.stack([c.rows for c in candidates])  # [C, rows]
    supports = np.stack([c.support for c in candidates])
    counts = np.zeros(supports.shape[1:])
    for r in bags:
        rss = rows[:, r].sum(1)
        n = len(r) * values_per_row
        scores = [information(float(x), n, int(ki), criterion, floor * len(r) / rows.shape[1])
                  for x, ki in zip(rss, k)]
        counts += supports[choose(scores, k, tolerance)]
    return counts / len(bags)


def intervals(F, Y, support, bags, level: float = 0.95) -> np.ndarray:
    """Percentile interval [D, F, 2] of least-squares coefficients on `support` over the
    bootstrap `bags` of the trajectory."""
    coefs = np.array([lstsq(F[rows], Y[rows], support) for rows in bags])
    lo, hi = (1 - level) / 2 * 100, (1 + level) / 2 * 100
    return np.stack([np.percentile(coefs, lo, axis=0), np.percentile(coefs, hi, axis=0)], -1)
