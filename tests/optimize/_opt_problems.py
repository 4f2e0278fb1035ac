"""Seeded synthetic problems shared by the optimiser tests (crypto-like, annualised)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def make_problem(n: int = 8, t: int = 400, seed: int = 0, drift: float = 0.001):
    """(covariance, expected returns, periodic returns) from a fat-tailed factor model."""
    rng = np.random.default_rng(seed)
    factors = rng.normal(size=(t, 2)) * 0.03
    loadings = rng.normal(0.8, 0.4, size=(2, n))
    noise = rng.standard_t(4, size=(t, n)) * 0.02
    rets = factors @ loadings + noise + rng.normal(drift, 0.001, size=n)
    assets = [f"C{i}" for i in range(n)]
    r = pd.DataFrame(rets, columns=assets)
    cov = r.cov() * 365
    mu = r.mean() * 365
    return cov, mu, r
