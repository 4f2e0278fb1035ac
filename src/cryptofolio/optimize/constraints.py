"""Turn a :class:`Constraints` into numeric bounds and check feasibility before any solve."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from cryptofolio.errors import InfeasibleError

if TYPE_CHECKING:
    from cryptofolio.optimize.specs import Constraints

FEAS_TOL = 1e-9


@dataclass(frozen=True)
class Box:
    """Per-asset bounds (fractions of equity) and the linear constraints on the sum."""

    assets: tuple[str, ...]
    lo: np.ndarray
    hi: np.ndarray
    budget: float
    gross: float | None

    @property
    def n(self) -> int:
        return len(self.assets)

    @functools.cached_property
    def long_only_within_budget(self) -> bool:
        """Every lower bound 0 and every upper bound at least a positive budget: then the
        bounds that can bind are the zeros alone (``w >= 0`` and ``sum(w) = budget`` keep every
        weight at or below the budget), and the box QP is a QP over a scaled simplex."""
        return self.budget > 0 and not self.lo.any() and bool((self.hi >= self.budget).all())

    def key(self) -> tuple:
        """Hashable description of the constraint structure (for warm-start caches)."""
        return self._key

    @functools.cached_property
    def _key(self) -> tuple:
        # formed once: the bound arrays of a resolved box are read-only (see resolve_box)
        return (self.assets, self.lo.tobytes(), self.hi.tobytes(), self.budget, self.gross)


def resolve_box(constraints: Constraints, assets: list[str] | tuple[str, ...]) -> Box:
    """Per-asset bounds from the global and per-asset settings, with every conflict named.

    The bound arrays of the box are read-only.

    Raises
    ------
    InfeasibleError
        When a bound pair is reversed, an override names an unknown asset, or the bounds, the
        budget and the gross-exposure cap cannot all hold at once.
    """
    assets = tuple(assets) if all(type(a) is str for a in assets) else tuple(map(str, assets))
    box = _resolve_box(constraints, assets)
    box.lo.flags.writeable = False
    box.hi.flags.writeable = False
    return box


def _resolve_box(constraints: Constraints, assets: tuple[str, ...]) -> Box:
    n = len(assets)
    c = constraints
    for name, value in (("min_weight", c.min_weight), ("max_weight", c.max_weight)):
        if math.isnan(value):
            raise InfeasibleError(f"constraint {name} is NaN; give a number (fraction of equity)")
    if c.min_weight > c.max_weight:
        raise InfeasibleError(
            f"min_weight {c.min_weight:g} > max_weight {c.max_weight:g}: the global bounds are "
            "reversed; swap them"
        )
    if not math.isfinite(c.budget):
        raise InfeasibleError(f"budget (net exposure) must be finite, got {c.budget}")
    if c.l2 < 0 or not math.isfinite(c.l2):
        raise InfeasibleError(f"l2 regularisation must be a finite number >= 0, got {c.l2}")
    lo = np.full(n, float(c.min_weight))
    hi = np.full(n, float(c.max_weight))
    index = {a: i for i, a in enumerate(assets)} if c.bounds else {}
    unknown = [a for a in c.bounds if str(a) not in index]
    if unknown:
        raise InfeasibleError(
            f"bounds given for {', '.join(map(str, unknown))}, which are not among the assets "
            f"({', '.join(assets)}); remove them or add the assets"
        )
    for asset, (blo, bhi) in c.bounds.items():
        i = index[str(asset)]
        if blo is not None and not math.isnan(blo):
            lo[i] = float(blo)
        if bhi is not None and not math.isnan(bhi):
            hi[i] = float(bhi)
        if lo[i] > hi[i]:
            raise InfeasibleError(
                f"bounds of {asset}: lower {lo[i]:g} > upper {hi[i]:g}; fix --bounds {asset}=LO:HI"
            )
    budget = float(c.budget)
    gross = None if c.gross_exposure is None else float(c.gross_exposure)
    box = Box(assets=assets, lo=lo, hi=hi, budget=budget, gross=gross)
    check_feasible(box)
    return box


def check_feasible(box: Box) -> None:
    """Cheap feasibility test of {lo <= w <= hi, sum w = budget, sum |w| <= gross}."""
    lo, hi, b = box.lo, box.hi, box.budget
    if box.n == 0:
        raise InfeasibleError("no assets to optimise over")
    s_hi, s_lo = float(np.sum(hi)), float(np.sum(lo))
    if s_hi < b - FEAS_TOL:
        raise InfeasibleError(
            f"the upper bounds sum to {s_hi:g} < budget {b:g}: the weights cannot add up to the "
            f"budget; raise max_weight (now up to {float(np.max(hi)):g}) or the per-asset upper "
            "bounds, or lower the budget (net exposure)"
        )
    if s_lo > b + FEAS_TOL:
        raise InfeasibleError(
            f"the lower bounds sum to {s_lo:g} > budget {b:g}: the weights cannot add up to the "
            "budget; lower min_weight or the per-asset lower bounds, or raise the budget"
        )
    if box.gross is not None:
        g = box.gross
        if not g > 0:
            raise InfeasibleError(f"gross_exposure must be > 0, got {g:g}")
        if g < abs(b) - FEAS_TOL:
            raise InfeasibleError(
                f"gross_exposure {g:g} < |budget| {abs(b):g}: sum |w| >= |sum w| always; raise "
                "the gross-exposure cap or lower the net exposure"
            )
        # smallest gross exposure compatible with the bounds and the budget
        gmin = min_gross(box)
        if gmin > g + FEAS_TOL:
            raise InfeasibleError(
                f"gross_exposure {g:g} is below {gmin:g}, the least sum |w| that the bounds "
                f"(min_weight/max_weight/bounds) and the budget {b:g} allow; raise the cap or "
                "relax the bounds"
            )


def min_gross(box: Box) -> float:
    """Least sum |w| over {lo <= w <= hi, sum w = budget} (a small LP solved greedily)."""
    lo, hi, b = box.lo, box.hi, box.budget
    # start at the point of the box closest to 0, then move the sum to the budget at least cost
    w = np.clip(0.0, lo, hi)
    gap = b - float(np.sum(w))
    if gap > 0:
        room = hi - w  # increasing from w >= 0 costs 1 per unit, from w < 0 (only if hi<0) gains
        order = np.argsort(np.where(w < 0, -1.0, 1.0), kind="stable")
        for i in order:
            step = min(room[i], gap)
            w[i] += step
            gap -= step
            if gap <= 0:
                break
    elif gap < 0:
        room = w - lo
        order = np.argsort(np.where(w > 0, -1.0, 1.0), kind="stable")
        gap = -gap
        for i in order:
            step = min(room[i], gap)
            w[i] -= step
            gap -= step
            if gap <= 0:
                break
    return float(np.sum(np.abs(w)))


def extreme_return(box: Box, mu: np.ndarray, maximise: bool = True) -> tuple[float, np.ndarray]:
    """Highest (or lowest) mu'w over {lo <= w <= hi, sum w = budget} by greedy filling.

    Ties between assets with the same mu are broken by index; callers that need the
    minimum-variance portfolio among ties handle them.
    """
    lo, hi = box.lo, box.hi
    sign = 1.0 if maximise else -1.0
    if np.all(np.isfinite(lo)):
        w = lo.copy()
        gap = box.budget - float(np.sum(w))
        for i in np.argsort(-sign * mu, kind="stable"):
            if gap <= 0:
                break
            step = min(hi[i] - lo[i], gap)
            w[i] += step
            gap -= step
    elif np.all(np.isfinite(hi)):
        w = hi.copy()
        gap = float(np.sum(w)) - box.budget
        for i in np.argsort(sign * mu, kind="stable"):
            if gap <= 0:
                break
            step = min(hi[i] - lo[i], gap)
            w[i] -= step
            gap -= step
    else:
        return (
            (sign * np.inf, np.full(box.n, np.nan))
            if np.ptp(mu) > 0
            else (
                float(mu[0] * box.budget / box.n),
                np.full(box.n, box.budget / box.n),
            )
        )
    return float(mu @ w), w
