"""Resampled efficient frontier (Michaud 1998): the frontier averaged over resampled inputs.

The estimates ``(mu, S)`` are noisy; the classic frontier takes them as exact and overfits.
Michaud resamples them, re-solves the frontier on each sample and averages the portfolios of
equal rank (the j-th of ``points`` portfolios, equally spaced in return from each sample's
minimum-variance to its maximum-return portfolio). The averaged portfolios satisfy every linear
constraint the samples' portfolios satisfy (box, budget: the set is convex) and are evaluated
with the original estimates.

Resampling (periodic returns ``(T, n)``, T kept):

* ``bootstrap``: draw T rows of the returns with replacement;
* ``parametric``: draw T rows from the multivariate normal with the sample mean and covariance.

Each sample's ``mu`` is its mean times ``periods_per_year`` and its ``S`` its sample covariance
(``T - 1``) times ``periods_per_year`` (annualised fractions). Each frontier is solved exactly by
:func:`cryptofolio.optimize.efficient_frontier` (the parametric critical-line walk).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

from cryptofolio.blas import single_blas_thread
from cryptofolio.errors import EstimationError, InfeasibleError
from cryptofolio.keywords import spec_of_keywords
from cryptofolio.optimize import Constraints, Frontier, efficient_frontier


class ResamplingMethod(StrEnum):
    """How the samples of the returns are drawn."""

    BOOTSTRAP = "bootstrap"
    PARAMETRIC = "parametric"


@dataclass(frozen=True)
class Resampling:
    """How a resampled frontier draws and averages: ``resamples`` samples of the returns drawn
    by ``method``, each frontier solved at ``points`` portfolios, ``seed`` making the draws
    reproducible (an int, a generator, or ``None``: fresh entropy)."""

    resamples: int = 500
    points: int = 50
    method: ResamplingMethod | str = ResamplingMethod.PARAMETRIC
    seed: int | np.random.Generator | None = None


@dataclass(frozen=True)
class ResampledFrontier:
    """``points`` (columns return, volatility, sharpe: annualised fractions under the original
    estimates, one row per rank), ``weights`` (rank-averaged, one row per rank, one column per
    asset), ``classic`` (the frontier of the original estimates), ``resamples`` (count)."""

    points: pd.DataFrame
    weights: pd.DataFrame
    classic: Frontier
    resamples: int


def _moments(x: np.ndarray, ppy: float, assets: pd.Index) -> tuple[pd.DataFrame, pd.Series]:
    mu = x.mean(axis=0) * ppy
    cov = np.cov(x, rowvar=False) * ppy
    return (
        pd.DataFrame(cov, index=assets, columns=assets),
        pd.Series(mu, index=assets),
    )


def _sampler(
    x: np.ndarray, method: ResamplingMethod, rng: np.random.Generator
) -> Callable[[], np.ndarray]:
    t = x.shape[0]
    if method is ResamplingMethod.BOOTSTRAP:
        return lambda: x[rng.integers(0, t, size=t)]
    mean = x.mean(axis=0)
    chol = _psd_factor(np.cov(x, rowvar=False))
    return lambda: mean + rng.standard_normal((t, x.shape[1])) @ chol.T


def _psd_factor(cov: np.ndarray) -> np.ndarray:
    """A factor ``L`` with ``L L' = cov`` for a PSD ``cov`` (singular allowed)."""
    vals, vecs = np.linalg.eigh(cov)
    return vecs * np.sqrt(np.clip(vals, 0.0, None))


def _evaluate(weights: np.ndarray, cov: pd.DataFrame, mu: pd.Series, rf: float) -> pd.DataFrame:
    ret = weights @ mu.to_numpy()
    vol = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", weights, cov.to_numpy(), weights), 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        sharpe = np.where(vol > 0, (ret - rf) / vol, np.nan)
    return pd.DataFrame({"return": ret, "volatility": vol, "sharpe": sharpe})


@single_blas_thread
def resampled_frontier(
    returns: pd.DataFrame,
    resampling: Resampling | None = None,
    *,
    constraints: Constraints = Constraints(),
    periods_per_year: float = 365.0,
    risk_free_rate: float = 0.0,
    progress: Callable[[int], None] | None = None,
    **keywords: Any,
) -> ResampledFrontier:
    """Michaud's resampled frontier of periodic ``returns`` (T x n, no NaN).

    ``resampling`` says how many samples, how drawn, how many points and the seed
    (:class:`Resampling`); its fields may be given as keywords instead (``resamples=500,
    points=50, method="bootstrap", seed=0``), not both. ``constraints`` hold for every
    portfolio, ``periods_per_year`` annualises the samples' moments, ``risk_free_rate`` (annual
    fraction) scores the Sharpe ratios. ``progress``, when given, is called with the number of
    samples done after each one (for a progress bar).

    Raises
    ------
    EstimationError
        NaN or infinite returns, fewer than 3 rows.
    InfeasibleError
        ``resamples`` < 1 or ``points`` < 2, or constraints in conflict.
    """
    spec = spec_of_keywords(Resampling, resampling, keywords, where="resampled_frontier")
    resamples, points, seed = spec.resamples, spec.points, spec.seed
    method = ResamplingMethod(spec.method)
    if int(resamples) != resamples or resamples < 1:
        raise InfeasibleError(f"resamples must be an integer >= 1, got {resamples}")
    x = returns.to_numpy(dtype=float)
    if x.shape[0] < 3 or not np.isfinite(x).all():
        raise EstimationError(
            "the resampled frontier needs at least 3 rows of finite returns; clean the window"
        )
    assets = returns.columns
    cov, mu = _moments(x, periods_per_year, assets)
    classic = efficient_frontier(
        cov, mu, points=points, constraints=constraints, risk_free_rate=risk_free_rate
    )
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    draw = _sampler(x, method, rng)
    total = np.zeros((points, len(assets)))
    for i in range(int(resamples)):
        s_cov, s_mu = _moments(draw(), periods_per_year, assets)
        frontier = efficient_frontier(
            s_cov, s_mu, points=points, constraints=constraints, risk_free_rate=risk_free_rate
        )
        total += frontier.weights.to_numpy()
        if progress is not None:
            progress(i + 1)
    weights = total / int(resamples)
    return ResampledFrontier(
        points=_evaluate(weights, cov, mu, risk_free_rate),
        weights=pd.DataFrame(weights, columns=assets),
        classic=classic,
        resamples=int(resamples),
    )
