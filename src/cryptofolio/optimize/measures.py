"""Risk and return measures of given weights, computed directly from their definitions.

The objectives' solvers report these figures; the tests recompute them here independently of
any solver. Units: ``covariance`` and ``expected_returns`` annualised, ``returns`` periodic
(T x n fractions), ``weights`` fractions of equity.
"""

from __future__ import annotations

import math

import numpy as np


def portfolio_variance(w: np.ndarray, covariance: np.ndarray) -> float:
    """``w'Σw`` (annualised when ``Σ`` is)."""
    return float(w @ covariance @ w)


def historical_cvar(w: np.ndarray, R: np.ndarray, alpha: float) -> float:
    """Periodic CVaR at level ``alpha`` of the losses ``-R w``: min over a of
    ``a + mean((loss - a)+) / (1 - alpha)``, attained at a loss of the sample (exact)."""
    loss = -(R @ w)
    T = loss.size
    k = math.ceil(alpha * T - 1e-9) - 1
    a = float(np.partition(loss, k)[k])
    return a + float(np.maximum(loss - a, 0.0).sum()) / ((1 - alpha) * T)


def semivariance(
    w: np.ndarray, R: np.ndarray, periods_per_year: float, benchmark: float = 0.0
) -> float:
    """Annualised semivariance ``ppy / T * sum_t min(r_t'w - B, 0)²`` below the periodic ``B``."""
    short = np.minimum(R @ w - benchmark, 0.0)
    return float(periods_per_year * (short @ short) / R.shape[0])
