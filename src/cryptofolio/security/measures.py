"""Security measures of proof-of-work coins: the security budget, its ratio to market cap, and
each coin's share of its algorithm's hash rate (merged mining counted once, for the parent).

The security budget is the miners' revenue per hour, issuance + fees in USD, divided by 24.
Miner revenue is the standard proxy for what renting the network's hash power for one hour
costs: in equilibrium miners spend about what they earn, so an attacker who outbids them for
an hour pays about as much (Budish 2018, "The Economic Limits of Bitcoin and the Blockchain",
NBER w24717; crypto51.app prices the same hour from NiceHash rental rates instead).

Hash rates are in a unit that varies by protocol, so shares are taken only among coins of one
algorithm, and :func:`compare_hash_rates` refuses coins of different algorithms.

Arrays kernels first (plain numpy), then the labelled wrappers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cryptofolio.errors import SecurityError
from cryptofolio.security.data import PowData, utc_day

HOURS_PER_DAY = 24.0


def security_budget_per_hour(issuance_usd: np.ndarray, fees_usd: np.ndarray) -> np.ndarray:
    """Miner revenue per hour (USD/h) from a day's issuance and fees (USD/day).

    NaN where either is NaN (a missing day stays missing).
    """
    return (np.asarray(issuance_usd, dtype=float) + np.asarray(fees_usd, dtype=float)) / (
        HOURS_PER_DAY
    )


def hash_share_kernel(
    hash_rate: np.ndarray, group: np.ndarray, parent: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's share of its group's hash rate, merged mining counted once.

    Parameters
    ----------
    hash_rate
        Shape (n,), positive, one unit within a group.
    group
        Shape (n,), non-negative int codes: rows of one group (one day and one algorithm)
        compete for the same hardware.
    parent
        Shape (n,), int: the row of the merge-mining parent (same group), or -1.

    Returns
    -------
    share, pool
        ``share[i] = hash_rate[i] / pool[group[i]]``, and the group pools per row. A
        merge-mined child's hash rate (read from its difficulty) already includes the parent's
        miners that mine it too, so the pool counts only the child's excess over its parent,
        ``max(h_child - h_parent, 0)``; the parent counts in full. So a child mined by all of
        its parent's miners has a share near 1, not the 1/2 a plain sum would give.
    """
    h = np.asarray(hash_rate, dtype=float)
    g = np.asarray(group, dtype=np.intp)
    p = np.asarray(parent, dtype=np.intp)
    merged = p >= 0
    contribution = h.copy()
    contribution[merged] = np.maximum(h[merged] - h[p[merged]], 0.0)
    pools = np.bincount(g, weights=contribution, minlength=int(g.max(initial=-1)) + 1)
    pool = pools[g]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = h / pool
    return share, pool


def _parent_rows(frame: pd.DataFrame, keys: Sequence[str]) -> np.ndarray:
    """Position of each row's parent (same ``keys`` values, symbol ``merged_with``), or -1."""
    n = len(frame)
    if not frame["merged_with"].notna().any():
        return np.full(n, -1, dtype=np.intp)
    left = frame[[*keys, "merged_with"]].reset_index(drop=True)
    left["_row"] = np.arange(n)
    right = frame[[*keys, "symbol"]].reset_index(drop=True)
    right["_parent"] = np.arange(n)
    matched = left.merge(right, left_on=[*keys, "merged_with"], right_on=[*keys, "symbol"])
    out = np.full(n, -1, dtype=np.intp)
    out[matched["_row"].to_numpy()] = matched["_parent"].to_numpy()
    return out


def hash_shares(frame: pd.DataFrame, keys: Sequence[str] = ("date",)) -> pd.DataFrame:
    """``hash_share`` and ``algorithm_hash`` (the pool) of each row of ``frame``, whose
    columns are ``keys``, ``symbol``, ``algorithm``, ``merged_with``, ``hash_rate``; a pool is
    one value of ``keys`` and one algorithm (see :func:`hash_share_kernel`)."""
    keys = list(keys)
    group = frame.groupby([*keys, "algorithm"], sort=False).ngroup().to_numpy()
    share, pool = hash_share_kernel(
        frame["hash_rate"].to_numpy(dtype=float), group, _parent_rows(frame, keys)
    )
    return pd.DataFrame({"hash_share": share, "algorithm_hash": pool}, index=frame.index)


def daily_measures(data: PowData) -> pd.DataFrame:
    """The measures of every coin and day: one row per (date, symbol).

    Columns: ``date``, ``symbol``, ``algorithm``, ``merged_with``, ``hash_rate`` (protocol
    unit), ``security_budget_usd_per_hour`` (issuance + fees, USD per hour),
    ``market_cap_usd``, ``budget_to_market_cap`` (hourly budget over market cap, a fraction:
    the cost of one hour of attack per dollar of market cap), ``hash_share`` (fraction of the
    algorithm's hash among the coins in the data, merged mining counted once) and
    ``algorithm_hash``. USD figures are NaN on the days the data has none.
    """
    d = data.daily
    out = d[["date", "symbol", "algorithm", "merged_with", "hash_rate"]].copy()
    out["security_budget_usd_per_hour"] = security_budget_per_hour(
        d["issuance_usd"].to_numpy(), d["fees_usd"].to_numpy()
    )
    out["market_cap_usd"] = d["market_cap_usd"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["budget_to_market_cap"] = out["security_budget_usd_per_hour"] / out[
            "market_cap_usd"
        ].where(lambda x: x > 0)
    shares = hash_shares(out)
    out["hash_share"] = shares["hash_share"]
    out["algorithm_hash"] = shares["algorithm_hash"]
    return out


def compare_hash_rates(data: PowData, symbols: Sequence[str], day: str | pd.Timestamp) -> pd.Series:
    """Hash rates of ``symbols`` on ``day`` relative to the largest of them (fractions).

    Raises
    ------
    SecurityError
        When the coins use different algorithms on ``day`` (their hash rates are in different
        units and measure different work), when a coin has no row on ``day``, or is not in
        the data.
    """
    at = utc_day(day)
    rows = data.between(at, at).set_index("symbol")
    symbols = [s.upper() for s in symbols]
    for s in symbols:
        data.coverage(s)  # raises for coins not in the data
    absent = [s for s in symbols if s not in rows.index]
    if absent:
        raise SecurityError(
            f"no hash rate for {', '.join(absent)} on {at:%Y-%m-%d}; "
            + "; ".join(
                f"{s} covers {a:%Y-%m-%d} to {b:%Y-%m-%d}"
                for s in absent
                for a, b in [data.coverage(s)]
            )
        )
    algos = rows.loc[symbols, "algorithm"]
    if algos.nunique() > 1:
        listing = ", ".join(f"{s} ({a})" for s, a in algos.items())
        raise SecurityError(
            f"cannot compare hash rates across algorithms: {listing} on {at:%Y-%m-%d}; their "
            "units differ and they measure different work. Compare coins of one algorithm, or "
            "compare security budgets (USD) instead"
        )
    h = rows.loc[symbols, "hash_rate"].astype(float)
    return h / h.max()
