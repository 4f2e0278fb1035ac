"""Discrete allocation: turn target weights and a cash amount into whole lot steps per asset.

Two methods, with the semantics users know from PyPortfolioOpt's ``DiscreteAllocation``:

* :attr:`AllocationMethod.GREEDY` -- buy ``floor(w_i V / lot_i)`` lots of every asset (largest
  weight first), then spend the leftover one lot at a time on the asset whose weight (as a share
  of the invested amount) falls furthest below its target, skipping lots that no longer fit;
* :attr:`AllocationMethod.LP` -- the mixed-integer programme

  .. math::

     \\min_{n \\in \\mathbb{Z}_{\\ge 0}^N} \\; \\sum_i |w_i V - n_i c_i|
       + \\Big|\\Big(V - \\sum_i n_i c_i\\Big) - \\Big(1 - \\sum_i w_i\\Big) V\\Big|
     \\quad\\text{s.t.}\\quad \\sum_i n_i c_i \\le V,

  where ``c_i = step_i * price_i`` is the cost of one lot (with fully invested weights the second
  term is the leftover cash, PyPortfolioOpt's objective), solved exactly with
  :func:`scipy.optimize.milp` (HiGHS branch and bound).

Units: ``value`` and prices in the quote currency; ``steps`` and minimum amounts in units of the
base asset (e.g. ``0.00001`` BTC); minimum notionals in the quote currency. Weights are fractions
of ``value`` and must be long-only (``>= 0``) and sum to at most 1 (the rest stays as cash).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp

from cryptofolio.errors import TradeError


class AllocationMethod(StrEnum):
    GREEDY = "greedy"
    LP = "lp"


@dataclass(frozen=True)
class DiscreteAllocation:
    """A discrete portfolio.

    Attributes
    ----------
    amounts : pd.Series
        Units of each base asset bought (multiples of its lot step), indexed by asset.
    lots : pd.Series
        Number of lot steps per asset (integers).
    values : pd.Series
        ``amounts * prices`` in the quote currency.
    target_weights, weights : pd.Series
        The target weights and the achieved weights (fractions of ``total_value``).
    leftover : float
        Cash not spent, quote currency.
    total_value : float
        The amount allocated, quote currency.
    method : AllocationMethod
    """

    amounts: pd.Series
    lots: pd.Series
    values: pd.Series
    prices: pd.Series
    target_weights: pd.Series
    weights: pd.Series
    leftover: float
    total_value: float
    method: AllocationMethod

    @property
    def deviation(self) -> float:
        """``sum_i |w_i V - value_i|`` in the quote currency (the LP's first term)."""
        return float((self.target_weights * self.total_value - self.values).abs().sum())

    @property
    def rmse(self) -> float:
        """Root mean square of ``weights - target_weights`` (fractions)."""
        return float(np.sqrt(((self.weights - self.target_weights) ** 2).mean()))

    def to_frame(self) -> pd.DataFrame:
        """One row per asset: target weight, price, lots, amount, value, weight."""
        return pd.DataFrame(
            {
                "target_weight": self.target_weights,
                "price": self.prices,
                "lots": self.lots,
                "amount": self.amounts,
                "value": self.values,
                "weight": self.weights,
            }
        )


def auto_lot_step(price: float) -> float:
    """A power-of-ten lot step worth between 1 and 10 quote units at ``price``.

    Used when no exchange metadata is at hand (e.g. BTC at 37,000 -> 0.0001 BTC, ADA at 0.35 ->
    10 ADA, USDT at 1.0 -> 1 USDT), close to the steps the large exchanges use.
    """
    if not price > 0 or not math.isfinite(price):
        raise TradeError(f"cannot choose a lot step for a non-positive price {price!r}")
    return float(10.0 ** math.ceil(math.log10(1.0 / price)))


def _validate(
    weights: pd.Series,
    prices: pd.Series,
    value: float,
    steps: pd.Series | None,
    min_amounts: pd.Series | None,
    min_notionals: pd.Series | None,
) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series, pd.Series]:
    if not (value > 0 and math.isfinite(value)):
        raise TradeError(f"the value to allocate must be a positive amount, got {value!r}")
    weights = weights.astype(float)
    if weights.isna().any():
        raise TradeError(f"target weights are NaN for {', '.join(weights.index[weights.isna()])}")
    neg = weights[weights < -1e-12]
    if not neg.empty:
        raise TradeError(
            "discrete allocation is long-only; negative target weights for "
            f"{', '.join(neg.index)} (use --min-weight 0, or rebalance a linear futures account)"
        )
    weights = weights.clip(lower=0.0)
    if weights.sum() > 1 + 1e-6:
        raise TradeError(
            f"target weights sum to {weights.sum():.6f} > 1; a discrete allocation cannot spend "
            "more than the value given"
        )
    missing = [a for a in weights.index if a not in prices.index]
    if missing:
        raise TradeError(f"no latest price for {', '.join(missing)}")
    prices = prices.reindex(weights.index).astype(float)
    bad = prices[~(prices > 0) | ~np.isfinite(prices)]
    if not bad.empty:
        raise TradeError(f"latest prices must be positive; bad for {', '.join(bad.index)}")
    if steps is None:
        steps = pd.Series({a: auto_lot_step(p) for a, p in prices.items()}, dtype=float)
    else:
        absent = [a for a in weights.index if a not in steps.index]
        if absent:
            raise TradeError(f"no lot step given for {', '.join(absent)}")
        steps = steps.reindex(weights.index).astype(float)
        if not (steps > 0).all():
            raise TradeError(
                f"lot steps must be positive; bad for {', '.join(steps.index[~(steps > 0)])}"
            )
    # minimum number of lots of an asset once it is bought at all
    min_lots = pd.Series(1.0, index=weights.index)
    if min_amounts is not None:
        ma = min_amounts.reindex(weights.index).fillna(0.0).astype(float)
        min_lots = np.maximum(min_lots, np.ceil(ma / steps - 1e-9))
    if min_notionals is not None:
        mn = min_notionals.reindex(weights.index).fillna(0.0).astype(float)
        min_lots = np.maximum(min_lots, np.ceil(mn / (steps * prices) - 1e-9))
    return weights, prices, steps, min_lots.astype(float), weights.index.to_series()


def _result(
    lots: np.ndarray,
    weights: pd.Series,
    prices: pd.Series,
    steps: pd.Series,
    value: float,
    method: AllocationMethod,
) -> DiscreteAllocation:
    lots_s = pd.Series(lots.astype(np.int64), index=weights.index, name="lots")
    amounts = (lots_s * steps).rename("amount")
    # round away float noise of lot arithmetic (0.1 * 3 = 0.30000000000000004)
    amounts = amounts.round(12)
    values = (amounts * prices).rename("value")
    leftover = float(value - values.sum())
    return DiscreteAllocation(
        amounts=amounts,
        lots=lots_s,
        values=values,
        prices=prices.rename("price"),
        target_weights=weights.rename("target_weight"),
        weights=(values / value).rename("weight"),
        leftover=leftover,
        total_value=float(value),
        method=method,
    )


def greedy_allocation(
    weights: pd.Series,
    prices: pd.Series,
    value: float,
    *,
    steps: pd.Series | None = None,
    min_amounts: pd.Series | None = None,
    min_notionals: pd.Series | None = None,
) -> DiscreteAllocation:
    """Greedy discrete allocation (PyPortfolioOpt ``greedy_portfolio`` semantics, long-only).

    Parameters
    ----------
    weights : pd.Series
        Target weights (fractions of ``value``, ``>= 0``, sum ``<= 1``), indexed by asset.
    prices : pd.Series
        Latest price of one unit of each asset, quote currency.
    value : float
        Amount to allocate, quote currency.
    steps : pd.Series, optional
        Lot step per asset in base units; default :func:`auto_lot_step`.
    min_amounts, min_notionals : pd.Series, optional
        Exchange minimum order amount (base units) and notional (quote); an asset is either not
        bought or bought at least that much.

    Notes
    -----
    Round 1 buys ``floor(w_i V / c_i)`` lots (``c_i`` the lot cost; raised to the minimum or
    dropped to zero when the minimum does not fit the target). Round 2 repeatedly buys one more
    lot of the affordable asset with the largest deficit ``w_i - value_i / sum(value)`` until no
    affordable asset has a positive deficit. The deficit is measured against the *invested*
    amount, as PyPortfolioOpt does.
    """
    weights, prices, steps, min_lots, _ = _validate(
        weights, prices, value, steps, min_amounts, min_notionals
    )
    order = np.argsort(-weights.to_numpy(), kind="stable")
    w = weights.to_numpy()[order]
    cost = (steps * prices).to_numpy()[order]
    mins = min_lots.to_numpy()[order]
    invest = float(w.sum())  # the rest of the value is meant to stay cash
    lots = np.floor(w * value / cost + 1e-9)
    lots[lots < mins] = 0.0  # a position below the exchange minimum is not bought in round 1
    funds = invest * value - float(lots @ cost)
    while funds > 0 and invest > 0:
        invested = lots * cost
        total = invested.sum()
        current = invested / total if total > 0 else np.zeros_like(invested)
        deficit = w / invest - current
        next_cost = np.where(lots > 0, cost, cost * mins)
        affordable = next_cost <= funds + 1e-9
        candidates = np.where(affordable & (deficit > 0), deficit, -np.inf)
        idx = int(np.argmax(candidates))
        if not np.isfinite(candidates[idx]):
            break
        add = 1.0 if lots[idx] > 0 else mins[idx]
        lots[idx] += add
        funds -= add * cost[idx]
    out = np.empty_like(lots)
    out[order] = lots
    return _result(out, weights, prices, steps, value, AllocationMethod.GREEDY)


def lp_allocation(
    weights: pd.Series,
    prices: pd.Series,
    value: float,
    *,
    steps: pd.Series | None = None,
    min_amounts: pd.Series | None = None,
    min_notionals: pd.Series | None = None,
    time_limit: float = 30.0,
) -> DiscreteAllocation:
    """Integer-programming discrete allocation minimising the deviation from the target.

    Minimises ``sum_i |w_i V - n_i c_i| + |leftover - (1 - sum w) V|`` over whole lots
    ``n_i >= 0`` with the leftover non-negative (for weights summing to 1 this is PyPortfolioOpt
    ``lp_portfolio``'s objective ``sum |eta| + leftover``), with
    :func:`scipy.optimize.milp` (HiGHS). Exchange minimums become semi-continuous constraints:
    ``n_i = 0`` or ``n_i >= min_lots_i`` (one binary per asset with a minimum above one lot).
    Parameters as :func:`greedy_allocation`.

    Raises
    ------
    TradeError
        If HiGHS does not prove optimality within ``time_limit`` seconds.
    """
    weights, prices, steps, min_lots, _ = _validate(
        weights, prices, value, steps, min_amounts, min_notionals
    )
    n = len(weights)
    w = weights.to_numpy()
    c = (steps * prices).to_numpy()
    mins = min_lots.to_numpy()
    upper = np.floor(value / c + 1e-9)
    semi = np.flatnonzero((mins > 1) & (mins <= upper))
    # lots that can never meet the minimum are fixed at zero
    upper = np.where(mins > upper, 0.0, upper)
    k = len(semi)
    nv = 2 * n + 1 + k  # variables: n (n ints), u (n continuous >= 0), u_cash (1), z (k binaries)
    obj = np.concatenate([np.zeros(n), np.ones(n), [1.0], np.zeros(k)])
    integrality = np.concatenate([np.ones(n), np.zeros(n + 1), np.ones(k)])
    bounds = Bounds(
        np.zeros(nv),
        np.concatenate([upper, np.full(n + 1, np.inf), np.ones(k)]),
    )
    res = milp(
        obj,
        constraints=_lp_constraints(w, c, value, mins, upper, semi),
        integrality=integrality,
        bounds=bounds,
        options={"time_limit": time_limit, "mip_rel_gap": 0.0},
    )
    if res.status != 0 or res.x is None:
        raise TradeError(
            f"the integer allocation did not solve to optimality ({res.message}); "
            "use --method greedy"
        )
    lots = np.rint(res.x[:n])
    return _result(lots, weights, prices, steps, value, AllocationMethod.LP)


def _lp_constraints(
    w: np.ndarray,
    c: np.ndarray,
    value: float,
    mins: np.ndarray,
    upper: np.ndarray,
    semi: np.ndarray,
) -> LinearConstraint:
    """The MILP's rows over ``(n, u, u_cash, z)``: ``u_i >= |w_i V - c_i n_i|``,
    ``u_cash >= |sum(w) V - c.n|``, the budget ``c.n <= V``, and for each asset in ``semi``
    ``min_i z_i <= n_i <= upper_i z_i`` (``c``: cost of one lot, quote; ``mins``/``upper``:
    lots)."""
    invest = float(w.sum())
    n, k = len(w), len(semi)
    nv = 2 * n + 1 + k
    zc = 2 * n + 1  # first binary
    rows, lo, hi = [], [], []
    # u_cash >= |leftover - (1 - s) V| = |s V - c.n|
    r = np.zeros(nv)
    r[:n], r[2 * n] = c, 1.0
    rows.append(r), lo.append(invest * value), hi.append(np.inf)
    r = np.zeros(nv)
    r[:n], r[2 * n] = -c, 1.0
    rows.append(r), lo.append(-invest * value), hi.append(np.inf)
    for i in range(n):
        # u_i >= w_i V - c_i n_i   ->   c_i n_i + u_i >= w_i V
        r = np.zeros(nv)
        r[i], r[n + i] = c[i], 1.0
        rows.append(r), lo.append(w[i] * value), hi.append(np.inf)
        # u_i >= c_i n_i - w_i V   ->  -c_i n_i + u_i >= -w_i V
        r = np.zeros(nv)
        r[i], r[n + i] = -c[i], 1.0
        rows.append(r), lo.append(-w[i] * value), hi.append(np.inf)
    budget = np.zeros(nv)
    budget[:n] = c
    rows.append(budget), lo.append(-np.inf), hi.append(value)
    for j, i in enumerate(semi):
        # n_i >= min_i z_i  and  n_i <= upper_i z_i
        r = np.zeros(nv)
        r[i], r[zc + j] = 1.0, -mins[i]
        rows.append(r), lo.append(0.0), hi.append(np.inf)
        r = np.zeros(nv)
        r[i], r[zc + j] = 1.0, -upper[i]
        rows.append(r), lo.append(-np.inf), hi.append(0.0)
    return LinearConstraint(np.array(rows), np.array(lo), np.array(hi))


def allocate(
    weights: pd.Series,
    prices: pd.Series,
    value: float,
    method: AllocationMethod = AllocationMethod.GREEDY,
    *,
    steps: pd.Series | None = None,
    min_amounts: pd.Series | None = None,
    min_notionals: pd.Series | None = None,
) -> DiscreteAllocation:
    """Dispatch to :func:`greedy_allocation` or :func:`lp_allocation`."""
    func = (
        greedy_allocation if AllocationMethod(method) is AllocationMethod.GREEDY else lp_allocation
    )
    return func(
        weights,
        prices,
        value,
        steps=steps,
        min_amounts=min_amounts,
        min_notionals=min_notionals,
    )
