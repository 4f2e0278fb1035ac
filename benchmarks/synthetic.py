"""Seeded synthetic crypto-like daily return panels for the benchmark suite.

A K-factor model with Student-t (fat-tailed) factor and idiosyncratic shocks:

    r[t, i] = m[i] + sum_k beta[i, k] * f[t, k] + e[t, i]

* the first factor is a "crypto market" factor every asset loads on (beta around 1), the others
  are sector factors with smaller loadings;
* shocks are Student-t with 3-5 degrees of freedom, rescaled to unit variance;
* each column is finally rescaled so that its *sample* annualised volatility (daily std * sqrt(365))
  equals a target drawn uniformly in [60 %, 100 %], and its annualised mean return is drawn from
  N(20 %, 40 %), so expected returns, covariances and scenarios all look like crypto.

Units: returns are daily simple returns (fractions); the index is daily UTC timestamps.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PERIODS_PER_YEAR = 365.0


def _unit_t(rng: np.random.Generator, dof: float, size: tuple[int, ...]) -> np.ndarray:
    """Student-t draws rescaled to unit variance (dof > 2)."""
    return rng.standard_t(dof, size=size) / np.sqrt(dof / (dof - 2.0))


def synthetic_returns(
    n_assets: int,
    n_days: int = 1500,
    *,
    seed: int = 7,
    n_factors: int = 5,
    vol_range: tuple[float, float] = (0.60, 1.00),
    start: str = "2019-01-01",
) -> pd.DataFrame:
    """Daily simple returns of ``n_assets`` synthetic assets over ``n_days`` days.

    Parameters
    ----------
    n_assets, n_days
        Panel size (columns, rows).
    seed
        Seed of the generator; the same arguments always give the same panel.
    n_factors
        Number of common factors (the first is the market factor).
    vol_range
        Range of the annualised volatility targets (fractions, 0.6 = 60 % a year).
    start
        First date of the UTC daily index.

    Returns
    -------
    pandas.DataFrame
        ``n_days`` x ``n_assets`` daily simple returns, columns ``S0000``, ``S0001``, ...
    """
    if n_assets < 1 or n_days < 2:
        raise ValueError(f"need n_assets >= 1 and n_days >= 2, got {n_assets=} {n_days=}")
    rng = np.random.default_rng([seed, n_assets, n_days])
    k = max(1, min(n_factors, n_assets))
    # Factor returns: market factor dominant, sector factors weaker; fat tails (t, 4 dof).
    factor_scale = np.array([1.0] + [0.5] * (k - 1))
    factors = _unit_t(rng, 4.0, (n_days, k)) * factor_scale
    # Loadings: everyone on the market (beta ~ 1), each asset on one sector factor.
    betas = np.zeros((n_assets, k))
    betas[:, 0] = rng.uniform(0.6, 1.4, n_assets)
    if k > 1:
        sector = rng.integers(1, k, n_assets)
        betas[np.arange(n_assets), sector] = rng.uniform(0.5, 1.5, n_assets)
    # Idiosyncratic shocks: t with 3..5 dof per asset, of similar size to the systematic part.
    dofs = rng.uniform(3.0, 5.0, n_assets)
    idio = rng.standard_t(dofs, size=(n_days, n_assets)) / np.sqrt(dofs / (dofs - 2.0))
    idio *= rng.uniform(0.6, 1.2, n_assets)
    raw = factors @ betas.T + idio
    raw -= raw.mean(axis=0)
    # Rescale to crypto-like annualised volatility and add an annualised drift.
    target_vol = rng.uniform(*vol_range, n_assets)
    daily = raw / raw.std(axis=0, ddof=1) * (target_vol / np.sqrt(PERIODS_PER_YEAR))
    daily += rng.normal(0.20, 0.40, n_assets) / PERIODS_PER_YEAR
    # Keep simple returns above -95 % a day (a t draw can be extreme at high vol).
    daily = np.maximum(daily, -0.95)
    index = pd.date_range(start, periods=n_days, freq="D", tz="UTC", name="timestamp")
    columns = pd.Index([f"S{i:04d}" for i in range(n_assets)], name="symbol")
    return pd.DataFrame(daily, index=index, columns=columns)
