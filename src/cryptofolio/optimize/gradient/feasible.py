"""The constraint set of the gradient engine: per-asset bounds, a budget and a gross cap.

The set is ``{w : lo <= w <= hi, sum(w) = budget, sum(|w|) <= gross}`` (``gross`` ``None``: no
cap), the set of :class:`~cryptofolio.optimize.Constraints` without its L2 term (which the
engine adds to the objective). It is resolved and checked for feasibility by the exact
optimiser's own rules, so both engines accept and refuse the same constraints with the same
messages.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cryptofolio.errors import InfeasibleError
from cryptofolio.optimize import Constraints
from cryptofolio.optimize.constraints import resolve_box


@dataclass(frozen=True)
class FeasibleSet:
    """Bounds (fractions of equity, shape ``(n,)``, infinite allowed), budget and gross cap."""

    assets: tuple[str, ...]
    lo: np.ndarray
    hi: np.ndarray
    budget: float
    gross: float | None = None

    @property
    def n(self) -> int:
        return len(self.assets)

    @property
    def is_capped_simplex(self) -> bool:
        """Long-only with a positive budget and no binding gross cap: ``0 <= w <= hi``,
        ``sum(w) = budget`` (the set where mirror descent applies)."""
        return (
            self.budget > 0
            and not np.any(self.lo != 0.0)
            and (self.gross is None or self.gross >= self.budget)
        )

    def describe(self) -> str:
        """The set in words, for error messages."""
        lo, hi = float(np.min(self.lo)), float(np.max(self.hi))
        text = f"bounds {lo:g} to {hi:g}, budget {self.budget:g}"
        return text + (f", gross cap {self.gross:g}" if self.gross is not None else "")


def feasible_set(constraints: Constraints, assets: Sequence[str]) -> FeasibleSet:
    """The set that ``constraints`` describe over ``assets``.

    Raises
    ------
    InfeasibleError
        Reversed bounds, unknown assets in ``constraints.bounds``, bounds that cannot sum to the
        budget, or a gross cap below the least gross exposure the bounds allow (the message
        names the bounds at fault and how to fix them).
    """
    box = resolve_box(constraints, list(assets))
    gross = box.gross
    if gross is not None and not math.isfinite(gross):
        gross = None
    return FeasibleSet(
        assets=tuple(box.assets),
        lo=np.array(box.lo, dtype=float),
        hi=np.array(box.hi, dtype=float),
        budget=float(box.budget),
        gross=gross,
    )


def check_capped_simplex(fs: FeasibleSet) -> None:
    """Raise :class:`InfeasibleError` unless mirror descent applies to ``fs``."""
    if not fs.is_capped_simplex:
        raise InfeasibleError(
            f"mirror descent works on long-only weights with a positive budget ({fs.describe()} "
            "given); use method 'adam' or 'gd' (projected) for shorts, market-neutral or a "
            "binding gross cap"
        )
