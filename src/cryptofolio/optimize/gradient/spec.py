"""Specification and results of the gradient engine (small frozen dataclasses; no torch)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import pandas as pd

from cryptofolio.errors import OptimizationError


class Method(StrEnum):
    """The update rule.

    ``adam``: Adam on the gradient, then the exact Euclidean projection onto the constraint set;
    ``gd``: plain projected gradient descent; ``mirror``: exponentiated gradient (mirror descent
    with the entropy), then the exact Kullback-Leibler projection (long-only sets with a positive
    budget only).
    """

    ADAM = "adam"
    GD = "gd"
    MIRROR = "mirror"


@dataclass(frozen=True)
class GradientSpec:
    """How the gradient engine runs.

    Parameters
    ----------
    lr
        Learning rate in weight units: every step is taken on the gradient divided by its
        largest entry at the start (per problem), so the first plain step moves a weight by at
        most ``lr`` whatever the units of the objective. It is the starting rate: a problem
        whose residual stalls has its rate halved (see
        :mod:`~cryptofolio.optimize.gradient.descent`).
    iterations
        Most update steps.
    tol
        Convergence tolerance on the first-order residual ``max |w - P(w - g)|`` (``g`` the
        gradient scaled as above, ``P`` the projection): zero exactly at a KKT point.
    method
        :class:`Method`.
    device
        ``"cpu"``, ``"cuda"`` or ``"auto"`` (CUDA when available).
    dtype
        ``"float64"`` (default: the precision the verification needs) or ``"float32"``.
    check_every
        Iterations between convergence checks (each costs one projection).
    """

    lr: float = 0.05
    iterations: int = 2000
    tol: float = 1e-9
    method: Method = Method.ADAM
    device: str = "cpu"
    dtype: str = "float64"
    check_every: int = 10

    def __post_init__(self) -> None:
        object.__setattr__(self, "method", Method(self.method))
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise OptimizationError(f"learning rate must be a positive number, got {self.lr}")
        if int(self.iterations) < 1:
            raise OptimizationError(f"iterations must be >= 1, got {self.iterations}")
        if not (math.isfinite(self.tol) and self.tol > 0):
            raise OptimizationError(f"tol must be a positive number, got {self.tol}")
        if self.dtype not in ("float64", "float32"):
            raise OptimizationError(f"dtype must be 'float64' or 'float32', got {self.dtype!r}")
        if int(self.check_every) < 1:
            raise OptimizationError(f"check_every must be >= 1, got {self.check_every}")


@dataclass(frozen=True)
class BatchResult:
    """``B`` problems solved at once.

    ``weights`` ``(B, n)`` (columns ``assets``); ``objective_values`` ``(B,)`` (the loss, in the
    objective's units, L2 term included); ``converged`` ``(B,)`` whether the first-order
    residual reached ``tol``; ``residuals`` ``(B,)`` that residual; ``iterations`` ``(B,)``
    steps taken by each problem (a converged problem stops moving). A problem with
    ``converged`` False is not a solution: its residual says how far it is from one.
    """

    weights: np.ndarray
    objective_values: np.ndarray
    converged: np.ndarray
    residuals: np.ndarray
    iterations: np.ndarray
    assets: tuple[str, ...]
    method: Method
    device: str
    tol: float

    @property
    def all_converged(self) -> bool:
        return bool(np.all(self.converged))

    def frame(self) -> pd.DataFrame:
        """The weights as a DataFrame (problems x assets)."""
        return pd.DataFrame(self.weights, columns=list(self.assets))


@dataclass(frozen=True)
class GradientPortfolio:
    """One portfolio from the gradient engine; figures annualised fractions where they need
    ``covariance``/``expected_returns`` (NaN where not given).

    ``first_order`` holds the KKT-style residuals of the answer (see
    :func:`~cryptofolio.optimize.gradient.verification.first_order_residuals`);
    ``exact_gap`` the objective of these weights minus that of the exact optimiser's (``None``
    where the exact optimiser does not solve the objective or was not asked).
    """

    weights: pd.Series
    objective_value: float
    converged: bool
    residual: float
    iterations: int
    expected_return: float = math.nan
    volatility: float = math.nan
    sharpe: float = math.nan
    risk_free_rate: float = 0.0
    first_order: dict[str, float] = field(default_factory=dict)
    exact_gap: float | None = None
