"""Objectives of the gradient engine: differentiable torch losses of a batch of portfolios.

An objective is a callable ``loss(weights, data) -> (B,)`` where ``weights`` has shape
``(B, n)`` and ``data`` is an :class:`ObjectiveData` of tensors; lower is better. The built-ins
below are small frozen dataclasses carrying their parameters; any user function
``f(weights (B, n), returns (B, T, n) or (T, n)) -> (B,)`` written with torch operations becomes
one with :class:`CustomObjective`.

Units: ``covariance`` is annualised (``(n, n)`` shared or ``(B, n, n)`` one per problem),
``expected_returns`` annualised (``(n,)`` or ``(B, n)``), ``returns`` periodic (``(T, n)`` or
``(B, T, n)``), ``periods_per_year`` annualises the figures read from ``returns``. Weights are
fractions of equity.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from cryptofolio.errors import OptimizationError
from cryptofolio.optimize.gradient._torch import import_torch

torch = import_torch()
Tensor = torch.Tensor


@dataclass(frozen=True)
class ObjectiveData:
    """The data an objective reads (``None``: not given), shapes as in the module docstring:
    torch tensors, or NumPy arrays that :func:`~cryptofolio.optimize.gradient.solve.solve_batch`
    moves to the device."""

    covariance: Tensor | None = None
    expected_returns: Tensor | None = None
    returns: Tensor | None = None
    periods_per_year: float = 365.0


def _need(value: Tensor | None, what: str, objective: str) -> Tensor:
    if value is None:
        raise OptimizationError(f"the {objective} objective needs {what}; pass it")
    return value


def quadratic_form(weights: Tensor, covariance: Tensor) -> Tensor:
    """``w' S w`` per row: ``(B,)`` for ``weights`` ``(B, n)`` and ``S`` ``(n, n)`` or ``(B, n, n)``."""
    if covariance.dim() == 2:
        return ((weights @ covariance) * weights).sum(-1)
    return (torch.bmm(covariance, weights.unsqueeze(-1)).squeeze(-1) * weights).sum(-1)


def linear_form(weights: Tensor, vector: Tensor) -> Tensor:
    """``mu' w`` per row for ``mu`` ``(n,)`` or ``(B, n)``."""
    return (weights * vector).sum(-1)


def portfolio_returns(weights: Tensor, returns: Tensor) -> Tensor:
    """Periodic portfolio returns ``(B, T)`` for ``returns`` ``(T, n)`` or ``(B, T, n)``."""
    if returns.dim() == 2:
        return weights @ returns.T
    return torch.bmm(returns, weights.unsqueeze(-1)).squeeze(-1)


@dataclass(frozen=True)
class MinVariance:
    """Annualised variance ``w' S w`` (the exact optimiser's ``min-variance``)."""

    name = "min-variance"

    def __call__(self, weights: Tensor, data: ObjectiveData) -> Tensor:
        return quadratic_form(weights, _need(data.covariance, "a covariance", self.name))


@dataclass(frozen=True)
class Utility:
    """``1/2 w' S w - lambda mu' w`` (the exact ``max-utility``); ``risk_aversion`` ``lambda``
    is a number or a tuple of ``B``, one per problem (one covariance, ``B`` risk aversions)."""

    risk_aversion: float | tuple[float, ...] = 1.0
    name = "max-utility"

    @property
    def batch_size(self) -> int | None:
        """``B`` when ``risk_aversion`` holds one value per problem."""
        return None if isinstance(self.risk_aversion, int | float) else len(self.risk_aversion)

    def __call__(self, weights: Tensor, data: ObjectiveData) -> Tensor:
        cov = _need(data.covariance, "a covariance", self.name)
        mu = _need(data.expected_returns, "expected returns", self.name)
        lam = torch.as_tensor(self.risk_aversion, dtype=weights.dtype, device=weights.device)
        return 0.5 * quadratic_form(weights, cov) - lam * linear_form(weights, mu)


@dataclass(frozen=True)
class NegativeSharpe:
    """``-(mu' w - rf) / sqrt(w' S w)`` (the exact ``max-sharpe``; ``rf`` annual fraction)."""

    risk_free_rate: float = 0.0
    name = "max-sharpe"

    def __call__(self, weights: Tensor, data: ObjectiveData) -> Tensor:
        cov = _need(data.covariance, "a covariance", self.name)
        mu = _need(data.expected_returns, "expected returns", self.name)
        excess = linear_form(weights, mu) - self.risk_free_rate
        return -excess / torch.sqrt(quadratic_form(weights, cov))


@dataclass(frozen=True)
class NegativeSortino:
    """``-(P mean(r) - rf) / (sqrt(P) sqrt(mean(min(r - mar, 0)^2)))`` on the returns window:
    minus the annualised Sortino ratio (``mar`` periodic minimum acceptable return)."""

    risk_free_rate: float = 0.0
    mar: float = 0.0
    name = "sortino"

    def __call__(self, weights: Tensor, data: ObjectiveData) -> Tensor:
        r = portfolio_returns(weights, _need(data.returns, "a returns window", self.name))
        ppy = data.periods_per_year
        downside = torch.sqrt(torch.clamp(r - self.mar, max=0.0).square().mean(-1) * ppy)
        return -(r.mean(-1) * ppy - self.risk_free_rate) / downside


@dataclass(frozen=True)
class NegativeOmega:
    """``-E[(r - threshold)+] / E[(threshold - r)+]``: minus the Omega ratio of the periodic
    portfolio returns at ``threshold`` (periodic).

    ``smoothing`` ``s > 0`` replaces ``(x)+`` by ``s softplus(x / s)`` (at most ``s ln 2``
    above it; periodic return units), a smooth function the engine converges on; ``s = 0`` is
    the exact, piecewise-linear ratio (a subgradient method: it reaches a small residual only
    slowly, if at all, and the answer is then reported as not converged)."""

    threshold: float = 0.0
    smoothing: float = 1e-4
    name = "omega"

    def __call__(self, weights: Tensor, data: ObjectiveData) -> Tensor:
        if not self.smoothing >= 0:
            raise OptimizationError(f"omega needs smoothing >= 0, got {self.smoothing}")
        r = portfolio_returns(weights, _need(data.returns, "a returns window", self.name))
        s = self.smoothing
        if s > 0:
            softplus = torch.nn.functional.softplus
            gain = (s * softplus((r - self.threshold) / s)).mean(-1)
            loss = (s * softplus((self.threshold - r) / s)).mean(-1)
        else:
            gain = torch.relu(r - self.threshold).mean(-1)
            loss = torch.relu(self.threshold - r).mean(-1)
        return -gain / loss


@dataclass(frozen=True)
class SmoothedCVaR:
    """Periodic CVaR at level ``alpha`` of the losses ``-r``, smoothed:
    ``min_z z + E[s softplus((L - z) / s)] / (1 - alpha)`` (``s = smoothing``, periodic return
    units; ``s -> 0`` gives Rockafellar-Uryasev's CVaR). The inner minimiser ``z`` solves
    ``E[sigmoid((L - z) / s)] = 1 - alpha`` by bisection without a gradient: by the envelope
    theorem the gradient in the weights is the partial one at that ``z``."""

    alpha: float = 0.95
    smoothing: float = 1e-3
    name = "smoothed-cvar"

    def __call__(self, weights: Tensor, data: ObjectiveData) -> Tensor:
        if not (0 < self.alpha < 1 and self.smoothing > 0):
            raise OptimizationError(
                f"smoothed CVaR needs 0 < alpha < 1 and smoothing > 0, got {self.alpha}, "
                f"{self.smoothing}"
            )
        losses = -portfolio_returns(weights, _need(data.returns, "a returns window", self.name))
        s, tail = self.smoothing, 1.0 - self.alpha
        with torch.no_grad():
            lo = losses.amin(-1, keepdim=True) - 40 * s
            hi = losses.amax(-1, keepdim=True) + 40 * s
            for _ in range(60):
                z = 0.5 * (lo + hi)
                above = torch.sigmoid((losses - z) / s).mean(-1, keepdim=True) > tail
                lo, hi = torch.where(above, z, lo), torch.where(above, hi, z)
            z = 0.5 * (lo + hi)
        excess = s * torch.nn.functional.softplus((losses - z) / s)
        return z.squeeze(-1) + excess.mean(-1) / tail


@dataclass(frozen=True)
class Drawdown:
    """Drawdown of the cumulative (summed, not compounded: convex in the weights) periodic
    portfolio returns: their mean (``kind="mean"``, the average drawdown) or largest
    (``kind="max"``), in periodic return units.

    ``smoothing`` ``s > 0`` replaces the running peak by ``s log(sum exp(wealth / s))`` over the
    past (and the largest drawdown by the same soft maximum), a smooth upper bound within
    ``s log(T)`` that the engine can converge on; ``s = 0`` is the exact, non-smooth drawdown
    (a subgradient method: it reaches a small residual only slowly, if at all)."""

    kind: str = "mean"
    smoothing: float = 1e-3
    name = "drawdown"

    def __call__(self, weights: Tensor, data: ObjectiveData) -> Tensor:
        if self.kind not in ("mean", "max") or not self.smoothing >= 0:
            raise OptimizationError(
                f"drawdown needs kind 'mean' or 'max' and smoothing >= 0, got {self.kind!r}, "
                f"{self.smoothing}"
            )
        r = portfolio_returns(weights, _need(data.returns, "a returns window", self.name))
        wealth = torch.cat([torch.zeros_like(r[..., :1]), torch.cumsum(r, dim=-1)], dim=-1)
        s = self.smoothing
        if s > 0:
            peak = s * torch.logcumsumexp(wealth / s, dim=-1)
        else:
            peak = torch.cummax(wealth, dim=-1).values
        drawdown = (peak - wealth)[..., 1:]
        if self.kind == "mean":
            return drawdown.mean(-1)
        return s * torch.logsumexp(drawdown / s, dim=-1) if s > 0 else drawdown.amax(-1)


@dataclass(frozen=True)
class CustomObjective:
    """A user loss ``f(weights (B, n), returns (B, T, n) or (T, n)) -> (B,)`` in torch.

    ``f`` must be differentiable in the weights (autograd) and return one finite loss per
    problem; the engine checks both at the start and says which fails."""

    function: Callable[[Tensor, Tensor], Tensor]
    name: str = "custom"

    def __call__(self, weights: Tensor, data: ObjectiveData) -> Tensor:
        return self.function(weights, _need(data.returns, "a returns window", self.name))


@dataclass(frozen=True)
class WithL2:
    """``objective + gamma ||w||^2`` (the L2 term of :class:`~cryptofolio.optimize.Constraints`)."""

    objective: Callable[[Tensor, ObjectiveData], Tensor]
    gamma: float

    @property
    def name(self) -> str:
        return getattr(self.objective, "name", "custom")

    def __call__(self, weights: Tensor, data: ObjectiveData) -> Tensor:
        return self.objective(weights, data) + self.gamma * weights.square().sum(-1)


def with_l2(objective, gamma: float):
    """``objective`` with the L2 term added (``gamma`` 0: ``objective`` itself)."""
    if not (math.isfinite(gamma) and gamma >= 0):
        raise OptimizationError(f"l2 must be a finite number >= 0, got {gamma}")
    return WithL2(objective, gamma) if gamma else objective
