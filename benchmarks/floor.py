"""The linear-algebra floor: closed-form *unconstrained* (budget-only) portfolios in NumPy/SciPy.

These solve easier problems than T1/T2 (no long-only or position limits), with one Cholesky
factorisation and a triangular solve. They show how much of a solver's time is spent above the
unavoidable cost of touching the N x N covariance: no constrained solver can beat them by much.
Both run on one BLAS thread: on the shared 2-core machine, multi-threaded BLAS spins and is
often 10-100x slower on these sizes, which would make the floor meaningless.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import cho_factor, cho_solve
from threadpoolctl import ThreadpoolController

_CONTROLLER = ThreadpoolController()  # built once: inspecting the BLAS libraries costs ms


def min_variance_unconstrained(cov: np.ndarray) -> np.ndarray:
    """Global minimum-variance weights Σ⁻¹1 / 1'Σ⁻¹1 (sum to 1, shorts allowed)."""
    with _CONTROLLER.limit(limits=1, user_api="blas"):
        return _min_variance(cov)


def _min_variance(cov: np.ndarray) -> np.ndarray:
    factor = cho_factor(cov, lower=True, check_finite=False)
    raw = cho_solve(factor, np.ones(cov.shape[0]), check_finite=False)
    return raw / raw.sum()


def tangency_unconstrained(cov: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Maximum-Sharpe (risk-free 0) weights Σ⁻¹μ / 1'Σ⁻¹μ (sum to 1, shorts allowed)."""
    with _CONTROLLER.limit(limits=1, user_api="blas"):
        return _tangency(cov, mu)


def _tangency(cov: np.ndarray, mu: np.ndarray) -> np.ndarray:
    factor = cho_factor(cov, lower=True, check_finite=False)
    raw = cho_solve(factor, mu, check_finite=False)
    return raw / raw.sum()
