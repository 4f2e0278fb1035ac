"""Monte Carlo portfolios: Dirichlet draws on the simplex, optionally with shorts."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from cryptofolio.errors import InfeasibleError
from cryptofolio.optimize.inputs import align_series, check_covariance


def random_portfolios(
    covariance: pd.DataFrame,
    expected_returns: pd.Series,
    n: int = 10_000,
    *,
    allow_shorts: bool = False,
    risk_free_rate: float = 0.0,
    seed: int | None = None,
    max_short: float = 0.5,
) -> pd.DataFrame:
    """Monte Carlo portfolios: one row per sample with return, volatility, sharpe (annualised
    fractions) and one weight column per asset.

    Long-only samples are uniform on the simplex (Dirichlet with all concentrations 1). With
    ``allow_shorts`` each sample is ``(1 + h) d1 - h d2`` with ``d1, d2`` Dirichlet and ``h``
    uniform on [0, max_short]: weights still sum to 1, gross exposure is ``1 + 2h``.
    """
    assets, S = check_covariance(covariance)
    mu = align_series(expected_returns, assets, "expected returns", required=True)
    if int(n) != n or n < 1:
        raise InfeasibleError(f"n (number of random portfolios) must be an integer >= 1, got {n}")
    if not (math.isfinite(max_short) and max_short >= 0):
        raise InfeasibleError(f"max_short must be a finite number >= 0, got {max_short}")
    rng = np.random.default_rng(seed)
    k = len(assets)
    W = rng.dirichlet(np.ones(k), size=int(n))
    if allow_shorts:
        h = rng.uniform(0.0, max_short, size=(int(n), 1))
        W = (1 + h) * W - h * rng.dirichlet(np.ones(k), size=int(n))
    ret = W @ mu
    vol = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", W, S, W), 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        sharpe = np.where(vol > 0, (ret - risk_free_rate) / vol, np.nan)
    out = pd.DataFrame(W, columns=assets)
    out.insert(0, "sharpe", sharpe)
    out.insert(0, "volatility", vol)
    out.insert(0, "return", ret)
    return out


def best_random_portfolio(samples: pd.DataFrame, max_volatility: float | None = None) -> pd.Series:
    """The sample with the highest Sharpe ratio among those with volatility <= ``max_volatility``
    (annualised fraction); raises when no sample is under the cap."""
    pool = samples
    if max_volatility is not None:
        pool = samples[samples["volatility"] <= max_volatility]
        if pool.empty:
            raise InfeasibleError(
                f"no random portfolio has volatility <= {max_volatility:g}; the least is "
                f"{float(samples['volatility'].min()):g}: raise the cap or draw more samples"
            )
    return pool.loc[pool["sharpe"].idxmax()]
