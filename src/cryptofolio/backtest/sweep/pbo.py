"""Probability of backtest overfitting by combinatorially symmetric cross-validation (CSCV).

Bailey, Borwein, López de Prado & Zhu, "The probability of backtest overfitting", *Journal of
Computational Finance* 20(4), 2017 (SSRN 2326253, 2015), §2-3:

1. The ``T x N`` matrix ``M`` of periodic returns of ``N`` configurations is cut into ``S``
   (even) contiguous row blocks.
2. For every choice ``J`` of ``S/2`` blocks (``C(S, S/2)`` combinations), ``J`` is the
   in-sample set and its complement ``J̄`` the out-of-sample set.
3. ``n*`` is the configuration with the best in-sample Sharpe ratio; ``ω̄`` its relative rank
   out of sample, ``rank / (N + 1)`` with rank 1 the worst and ``N`` the best (ties averaged);
   ``λ = ln(ω̄ / (1 - ω̄))``.
4. ``PBO = #{λ <= 0} / C(S, S/2)``: how often the in-sample winner is at or below the median
   out of sample. About 0.5 when no configuration has an edge; near 0 when the in-sample
   winner keeps winning.

Sharpe ratios are per period, ``mean / std`` with ``ddof=1``, computed from each block's row
count, sum and sum of squares (a configuration with zero variance in a set ranks last there).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata

from cryptofolio.backtest.sweep.folds import group_bounds
from cryptofolio.errors import BacktestError

MAX_CSCV_SPLITS = 1_000_000


@dataclass(frozen=True)
class OverfitProbability:
    """Result of :func:`probability_of_backtest_overfitting`.

    Attributes
    ----------
    pbo
        Fraction of CSCV splits where the in-sample winner's logit ``λ`` is ``<= 0``.
    logits
        ``λ`` of each split (length ``C(S, S/2)``).
    winners
        Column of the in-sample winner in each split.
    is_sharpe, oos_sharpe
        Per-period Sharpe of each split's winner, in and out of sample.
    blocks
        ``S``.
    """

    pbo: float
    logits: np.ndarray
    winners: np.ndarray
    is_sharpe: np.ndarray
    oos_sharpe: np.ndarray
    blocks: int

    @property
    def n_splits(self) -> int:
        """``C(S, S/2)``."""
        return len(self.logits)


def probability_of_backtest_overfitting(
    returns: np.ndarray, blocks: int = 16
) -> OverfitProbability:
    """PBO of selecting the best in-sample Sharpe among the columns of ``returns`` (``T x N``
    periodic returns, no NaN), by CSCV with ``blocks`` row blocks.

    Raises
    ------
    BacktestError
        Fewer than 2 configurations, an odd ``blocks``, fewer than 2 rows per block, NaN in the
        returns, or more than a million splits.
    """
    m = np.asarray(returns, dtype=float)
    if m.ndim != 2 or m.shape[1] < 2:
        raise BacktestError("PBO needs the returns of at least 2 configurations (T x N, N >= 2)")
    if blocks < 2 or blocks % 2:
        raise BacktestError(f"CSCV needs an even number of blocks >= 2, got {blocks}")
    if m.shape[0] < 2 * blocks:
        raise BacktestError(
            f"CSCV with {blocks} blocks needs at least {2 * blocks} rows, got {m.shape[0]}; "
            "use fewer cscv blocks or a longer period"
        )
    if not np.isfinite(m).all():
        raise BacktestError("PBO: the returns have NaN or infinite values")
    if math.comb(blocks, blocks // 2) > MAX_CSCV_SPLITS:
        raise BacktestError(f"CSCV with {blocks} blocks has too many splits; use at most 24")
    bounds = group_bounds(m.shape[0], blocks)
    count = np.array([b - a for a, b in bounds], dtype=float)
    total = np.array([m[a:b].sum(axis=0) for a, b in bounds])
    square = np.array([(m[a:b] ** 2).sum(axis=0) for a, b in bounds])
    chosen = np.array(
        [
            [g in combo for g in range(blocks)]
            for combo in itertools.combinations(range(blocks), blocks // 2)
        ],
        dtype=float,
    )
    is_sr = _sharpe(chosen @ count, chosen @ total, chosen @ square)
    oos_sr = _sharpe((1 - chosen) @ count, (1 - chosen) @ total, (1 - chosen) @ square)
    winners = np.argmax(is_sr, axis=1)
    ranks = rankdata(oos_sr, axis=1, method="average")
    rows = np.arange(len(winners))
    omega = ranks[rows, winners] / (m.shape[1] + 1)
    logits = np.log(omega / (1 - omega))
    return OverfitProbability(
        pbo=float(np.mean(logits <= 0)),
        logits=logits,
        winners=winners,
        is_sharpe=is_sr[rows, winners],
        oos_sharpe=oos_sr[rows, winners],
        blocks=blocks,
    )


def _sharpe(n: np.ndarray, total: np.ndarray, square: np.ndarray) -> np.ndarray:
    """Per-period Sharpe (ddof=1) from counts ``(C,)`` and sums ``(C, N)``; -inf where the
    variance is not positive (ranks last, never wins)."""
    n = n[:, None]
    mean = total / n
    var = (square - total * mean) / (n - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        sr = mean / np.sqrt(var)
    return np.where(var > 1e-300, sr, -np.inf)
