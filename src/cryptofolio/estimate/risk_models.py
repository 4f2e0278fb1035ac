"""Risk models: annualised covariance matrices of periodic returns.

Every function takes periodic returns (rows = timestamps, columns = assets, no NaN) and
returns an annualised covariance (``periodic covariance * periods_per_year``) as a labelled,
symmetric, positive semi-definite DataFrame. Units: squared annual returns as fractions
(a variance of 0.36 is a volatility of 60 % a year).
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

from cryptofolio.blas import single_blas_thread
from cryptofolio.errors import EstimationError
from cryptofolio.estimate.conditioning import (
    ensure_psd,
    finite_symmetric_values,
    warn_if_ill_conditioned_values,
)
from cryptofolio.estimate.windows import check_returns_window, returns_values_and_means
from cryptofolio.keywords import spec_of_keywords

#: PyPortfolioOpt's default span of the exponentially weighted covariance (periods).
DEFAULT_COVARIANCE_SPAN = 180.0


class RiskModel(StrEnum):
    """Covariance estimators (all annualised)."""

    SAMPLE = "sample"
    EXPONENTIAL = "exponential"
    LEDOIT_WOLF = "ledoit-wolf"
    OAS = "oas"
    MCD = "mcd"
    SEMICOVARIANCE = "semicovariance"


# (ndarray.any/.all without numpy's Python-level wrapper)
_any = np.logical_or.reduce
_all = np.logical_and.reduce

#: Models that already regularise the estimate, for which shrinkage is not recommended again.
_SHRUNK = frozenset({RiskModel.LEDOIT_WOLF, RiskModel.OAS})
#: Models whose estimate is a Gram matrix ``A'A`` (PSD by construction, see :func:`risk_matrix`).
_GRAM = frozenset({RiskModel.SAMPLE, RiskModel.EXPONENTIAL, RiskModel.SEMICOVARIANCE})


def _labelled(values: np.ndarray, returns: pd.DataFrame) -> pd.DataFrame:
    """``values`` (a fresh array owned by the caller: not copied again) labelled by asset
    (the returns' column Index itself: an Index is immutable, and sharing it keeps its hash
    table for the optimiser's alignment checks)."""
    return pd.DataFrame(values, index=returns.columns, columns=returns.columns, copy=False)


def _check_ppy(periods_per_year: float) -> float:
    ppy = float(periods_per_year)
    if not (math.isfinite(ppy) and ppy > 0):
        raise EstimationError(
            f"periods_per_year must be a positive number, got {periods_per_year!r}"
        )
    return ppy


def ewm_alpha(span: float | None = None, half_life: float | None = None) -> float:
    """Smoothing factor of an exponential weighting given as a span or a half-life (periods).

    ``alpha = 2 / (span + 1)`` or ``alpha = 1 - 0.5 ** (1 / half_life)`` (pandas' definitions).
    """
    if span is not None and half_life is not None:
        raise EstimationError(
            "give either a span or a half-life for exponential weighting, not both"
        )
    if half_life is not None:
        if half_life <= 0:
            raise EstimationError(f"half-life must be positive (periods), got {half_life!r}")
        return float(1.0 - 0.5 ** (1.0 / half_life))
    span = DEFAULT_COVARIANCE_SPAN if span is None else span
    if span < 1:
        raise EstimationError(f"span must be at least 1 period, got {span!r}")
    return float(2.0 / (span + 1.0))


def ewm_weights(n: int, alpha: float) -> np.ndarray:
    """Normalised weights of pandas' ``ewm(adjust=True).mean()`` at the last of ``n`` rows
    (oldest first): proportional to ``(1 - alpha) ** (n - 1 - t)``."""
    w = (1.0 - alpha) ** np.arange(n - 1, -1, -1, dtype=float)
    return w / w.sum()


def sample_covariance(returns: pd.DataFrame, *, periods_per_year: float = 365.0) -> pd.DataFrame:
    """Unbiased sample covariance (divisor T-1) times ``periods_per_year``."""
    x, mean = returns_values_and_means(returns, min_observations=2)
    cov, _ = _sample_gram(x, mean, _check_ppy(periods_per_year))
    return _labelled(cov, returns)


def _sample_gram(
    x: np.ndarray, mean: np.ndarray, ppy: float
) -> tuple[np.ndarray, np.ndarray | None]:
    """Annualised sample covariance ``D'D * ppy / (T - 1)`` of the demeaned returns ``D``, as
    ``numpy.cov`` computes it (``mean``: the column means of ``x``), and ``D`` when it was
    formed (see :func:`_centred_gram`)."""
    gram, dev = _centred_gram(x, mean)
    gram *= ppy / (len(x) - 1)
    return gram, dev


def _exponential_gram(
    x: np.ndarray, mean: np.ndarray, ppy: float, alpha: float
) -> tuple[np.ndarray, np.ndarray]:
    """Annualised exponential covariance ``sum_t w_t d_t d_t' * ppy`` and a factor ``A`` with
    ``A'A`` proportional to it (``sqrt(w_t) d_t`` as rows)."""
    dev = x - mean
    w = ewm_weights(len(x), alpha)
    cov = (dev * w[:, None]).T @ dev
    return cov * ppy, dev * np.sqrt(w)[:, None]


def _semicovariance_gram(x: np.ndarray, ppy: float, benchmark: float):
    """Annualised semicovariance ``M'M * ppy / T`` and its factor ``M = min(x - B, 0)``."""
    drops = np.fmin(x - float(benchmark), 0.0)
    gram = drops.T @ drops
    return gram * (ppy / len(x)), drops


def exponential_covariance(
    returns: pd.DataFrame,
    *,
    periods_per_year: float = 365.0,
    span: float | None = None,
    half_life: float | None = None,
) -> pd.DataFrame:
    """Exponentially weighted covariance, annualised (PyPortfolioOpt's ``exp_cov``).

    Deviations from each asset's plain sample mean are multiplied pairwise and averaged with
    exponential weights (the latest observation weighs most), exactly as
    ``pypfopt.risk_models.exp_cov``: ``sum_t w_t (x_t - xbar)(x_t - xbar)'`` with
    ``w_t ∝ (1 - alpha) ** (T - 1 - t)``. A weighted sum of outer products is PSD.

    Parameters
    ----------
    span, half_life
        The decay, in periods (default span 180, as PyPortfolioOpt); at most one of them.
    """
    x, mean = returns_values_and_means(returns, min_observations=2)
    alpha = ewm_alpha(span, half_life)
    cov, _ = _exponential_gram(x, mean, _check_ppy(periods_per_year), alpha)
    return _labelled(cov, returns)


def _sklearn_covariance(estimator, returns: pd.DataFrame, ppy: float, name: str) -> pd.DataFrame:
    return _labelled(_sklearn_values(estimator, returns.to_numpy(dtype=float), ppy, name), returns)


def _sklearn_values(estimator, x: np.ndarray, ppy: float, name: str) -> np.ndarray:
    """A scikit-learn covariance estimator fitted on the returns array ``x``, annualised."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            fitted = estimator.fit(x)
    except (ValueError, np.linalg.LinAlgError, RuntimeWarning) as exc:
        raise EstimationError(
            f"{name} covariance failed on {x.shape[0]} observations of {x.shape[1]} assets: "
            f"{exc}; try a longer window or another risk model"
        ) from exc
    return np.asarray(fitted.covariance_) * _check_ppy(ppy)


def ledoit_wolf_covariance(
    returns: pd.DataFrame, *, periods_per_year: float = 365.0
) -> pd.DataFrame:
    """Ledoit-Wolf shrinkage towards a scaled identity, annualised: scikit-learn's
    ``LedoitWolf`` estimate (maximum-likelihood divisor T, same shrinkage formula), computed
    from a single Gram matrix. See :func:`ledoit_wolf_shrinkage`."""
    x, mean = returns_values_and_means(returns, min_observations=2)
    cov, _ = _ledoit_wolf_gram(x, mean, _check_ppy(periods_per_year))
    return _labelled(cov, returns)


def ledoit_wolf_shrinkage(returns: pd.DataFrame) -> float:
    """Ledoit-Wolf shrinkage intensity (between 0 and 1) of periodic ``returns``.

    The estimate is ``(1 - d) S + d m I`` with ``S = D'D / T`` the covariance of the demeaned
    returns ``D`` (divisor T), ``m = trace(S) / n`` and ``d`` this intensity, exactly as
    ``sklearn.covariance.ledoit_wolf_shrinkage`` defines it (Ledoit and Wolf, 2004). The
    intensity needs ``sum_ij S_ij^2`` (read from the Gram matrix ``D'D``, which is the estimate
    itself) and ``sum_ij sum_t D_ti^2 D_tj^2 = sum_t ||D_t||^4`` (row norms, O(T n)), so one
    Gram matrix suffices where scikit-learn forms three n x n products (``D'D`` twice and
    ``(D*D)'(D*D)``); the result equals scikit-learn's to rounding (the tests compare them).
    """
    x, mean = returns_values_and_means(returns, min_observations=2)
    return _ledoit_wolf_gram(x, mean, 1.0)[1]


#: A variance below this fraction of the raw second moment ``mean(x_i^2)`` would lose more than
#: four digits to cancellation in ``x'x - T m m'``: such data is demeaned explicitly instead.
CANCELLATION_LIMIT = 1e-4


def _centred_gram(x: np.ndarray, mean: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """``D'D`` for the demeaned returns ``D = x - 1 mean'``, and ``D`` when it was formed.

    Computed as ``x'x - T mean mean'``, which saves writing (and, for a fresh array, faulting
    in) the T x n demeaned copy, a third of the estimate's time for hundreds of assets. For
    returns the means are far smaller than the volatilities (daily: about 0.1 % against 4 %),
    so the subtraction loses no digits that matter; an asset whose variance is below
    :data:`CANCELLATION_LIMIT` of its raw second moment (returns far from zero with little
    variation: not crypto returns) is handled by demeaning explicitly, as numpy.cov does.
    Both forms are exactly symmetric."""
    T = x.shape[0]
    gram = x.T @ x
    second = gram.diagonal() * CANCELLATION_LIMIT  # (a copy: gram is overwritten below)
    scaled = mean * np.sqrt(T)
    gram -= scaled[:, None] * scaled  # c_i c_j == c_j c_i: exactly symmetric
    if _any(gram.diagonal() < second):
        dev = x - mean
        gram = dev.T @ dev
        return gram, dev
    return gram, None


def _ledoit_wolf_gram(x: np.ndarray, mean: np.ndarray, ppy: float) -> tuple[np.ndarray, float]:
    """Annualised Ledoit-Wolf covariance of the periodic returns ``x`` (T x n, column means
    ``mean``) and its shrinkage intensity; see :func:`ledoit_wolf_shrinkage`."""
    T, n = x.shape
    gram, dev = _centred_gram(x, mean)
    if n == 1:  # one asset: shrinking towards its own variance changes nothing
        return gram * (ppy / T), 0.0
    var = gram.diagonal() / T
    total = float(np.add.reduce(var))  # the trace of S
    mu = total / n
    if dev is not None:
        sq_norms = np.einsum("ti,ti->t", dev, dev)  # ||D_t||^2
    else:  # ||x_t - m||^2 = ||x_t||^2 - 2 x_t'm + ||m||^2, without forming D
        sq_norms = np.einsum("ti,ti->t", x, x)
        sq_norms -= 2.0 * (x @ mean)
        sq_norms += float(mean @ mean)
    beta_ = float(sq_norms @ sq_norms)  # sum_t ||D_t||^4 = sum_ij (D*D)'(D*D)
    flat = gram.reshape(-1)  # (a view: gram is contiguous)
    delta_ = float(flat @ flat) / T**2  # sum_ij S_ij^2
    beta = (beta_ / T - delta_) / (n * T)
    delta = (delta_ - 2.0 * mu * total + n * mu**2) / n
    beta = min(beta, delta)
    shrinkage = 0.0 if beta == 0 else beta / delta
    cov = gram  # (1 - d) S + d mu I, annualised, in place: S = gram / T
    cov *= (1.0 - shrinkage) * ppy / T
    cov.flat[:: n + 1] += shrinkage * mu * ppy
    return cov, shrinkage


def oas_covariance(returns: pd.DataFrame, *, periods_per_year: float = 365.0) -> pd.DataFrame:
    """Oracle Approximating Shrinkage (``sklearn.covariance.OAS``), annualised."""
    from sklearn.covariance import OAS

    check_returns_window(returns, min_observations=2)
    return _sklearn_covariance(OAS(store_precision=False), returns, periods_per_year, "OAS")


def mcd_covariance(
    returns: pd.DataFrame,
    *,
    periods_per_year: float = 365.0,
    random_state: int | None = 0,
    support_fraction: float | None = None,
) -> pd.DataFrame:
    """Minimum Covariance Determinant robust covariance (``sklearn.covariance.MinCovDet``),
    annualised. Robust to outlier days; needs more observations than assets.

    ``random_state`` fixes the random subsets FastMCD starts from (default 0: reproducible).
    """
    from sklearn.covariance import MinCovDet

    check_returns_window(returns, min_observations=2)
    _check_mcd_shape(*returns.shape)
    est = MinCovDet(random_state=random_state, support_fraction=support_fraction)
    return _sklearn_covariance(est, returns, periods_per_year, "MCD")


def _check_mcd_shape(n_obs: int, n_assets: int) -> None:
    if n_obs <= n_assets:
        raise EstimationError(
            f"the MCD covariance needs more observations than assets: {n_obs} observations of "
            f"{n_assets} assets; widen the window or use ledoit-wolf/oas"
        )


def semicovariance(
    returns: pd.DataFrame, *, periods_per_year: float = 365.0, benchmark: float = 0.0
) -> pd.DataFrame:
    """Semicovariance below a benchmark, annualised (PyPortfolioOpt's ``semicovariance``).

    ``E[min(r_i - B, 0) * min(r_j - B, 0)] * periods_per_year`` with the mean over all T rows
    (divisor T), not demeaned.

    Parameters
    ----------
    benchmark
        Periodic (e.g. daily) benchmark return B as a fraction; default 0. For an annual rate
        use :func:`cryptofolio.estimate.periodic_rate`.
    """
    check_returns_window(returns, min_observations=2)
    x = returns.to_numpy(dtype=float)
    cov, _ = _semicovariance_gram(x, _check_ppy(periods_per_year), benchmark)
    return _labelled(cov, returns)


#: Models :func:`covariance_values` computes from the returns array.
ARRAY_MODELS = _GRAM | {RiskModel.LEDOIT_WOLF}


def covariance_values(
    x: np.ndarray,
    mean: np.ndarray,
    model: RiskModel,
    ppy: float,
    *,
    span: float | None = None,
    half_life: float | None = None,
    benchmark: float = 0.0,
) -> tuple[np.ndarray, np.ndarray | Callable[[], np.ndarray] | None]:
    """The values of :func:`risk_matrix` for a model of :data:`ARRAY_MODELS`, from the checked
    returns array ``x`` and its column means (:func:`returns_values_and_means`), and the
    factor of the Gram models (``A`` with ``A'A`` proportional to the estimate, or a function
    forming it) for the conditioning warning (``None`` for Ledoit-Wolf).

    Raises
    ------
    EstimationError
        On a NaN or infinite entry of the estimate (returns near the float limits).
    """
    if model is RiskModel.LEDOIT_WOLF:
        values, _ = _ledoit_wolf_gram(x, mean, ppy)
        # (1 - d) S + d m I with S a Gram matrix, m >= 0, 0 <= d <= 1: PSD by construction,
        # and exactly symmetric (see _centred_gram; the rest is element-wise): only the
        # finiteness is left to check (an overflow of returns near 1e154).
        if not _all(np.isfinite(values.diagonal())):
            raise EstimationError(
                "covariance has NaN or infinite entries; re-estimate it without gaps"
            )
        return values, None
    if model is RiskModel.SAMPLE:
        values, factor = _sample_gram(x, mean, ppy)
        if factor is None:  # formed only if a warning quotes the condition number
            factor = functools.partial(np.subtract, x, mean)
    elif model is RiskModel.EXPONENTIAL:
        values, factor = _exponential_gram(x, mean, ppy, ewm_alpha(span, half_life))
    else:
        values, factor = _semicovariance_gram(x, ppy, benchmark)
    # A'A is PSD by construction (its rounding error is far inside the PSD tolerance): only the
    # O(n^2) checks, no eigendecomposition.
    return finite_symmetric_values(values), factor


#: Multiply-adds from which a Gram product runs on BLAS's own thread count.
LARGE_PRODUCT = 1e8


def _large_product(returns: object, *args: object, **kwargs: object) -> bool:
    shape = getattr(returns, "shape", None)
    return shape is not None and len(shape) == 2 and _gram_work(shape) >= LARGE_PRODUCT


def _gram_work(shape: tuple[int, ...]) -> float:
    """Multiply-adds of the symmetric product ``x'x`` of a T x n array (half the n x n entries)."""
    return shape[0] * shape[1] ** 2 / 2.0


def risk_matrix(
    returns: pd.DataFrame,
    model: RiskModel = RiskModel.SAMPLE,
    *,
    periods_per_year: float = 365.0,
    options: CovarianceOptions | None = None,
    **keywords: Any,
) -> pd.DataFrame:
    """Annualised covariance of periodic ``returns`` with the chosen model.

    Parameters
    ----------
    returns
        Periodic returns, rows = timestamps, columns = assets, no NaN (the error names the
        asset and dates otherwise).
    model
        One of :class:`RiskModel`.
    periods_per_year
        Annualisation factor (365 daily, 8760 hourly; see
        :func:`~cryptofolio.estimate.infer_periods_per_year`).
    options
        The model's options (:class:`CovarianceOptions`), or give its fields one by one as
        keywords (``span=30``, ``repair_psd=True``), not both:
    span, half_life
        Decay of the exponential model, in periods.
    benchmark
        Periodic benchmark return of the semicovariance.
    random_state
        Seed of the MCD estimator.
    repair_psd
        Clip negative eigenvalues of a non-PSD result (with a warning stating by how much)
        instead of raising. The estimators here are PSD by construction, so this only matters
        for degenerate inputs. The sample, exponential and semi-covariances are Gram matrices
        ``A'A`` (PSD in exact arithmetic, eigenvalue round-off about ``T * eps * trace``, far
        inside the PSD tolerance), so they get only the O(n^2) checks (square, finite,
        symmetrised); so do Ledoit-Wolf and OAS (a convex combination of such a matrix and a
        non-negative multiple of the identity); MCD gets the full check of
        :func:`~cryptofolio.estimate.conditioning.ensure_psd`.
    warn
        Emit an :class:`~cryptofolio.estimate.conditioning.EstimationWarning` when the
        estimate is ill-conditioned (more assets than observations, a near-constant asset,
        near-duplicate assets), recommending shrinkage. Not emitted for ledoit-wolf/oas. The
        checks cost O(n^2); the condition number quoted is read from the smaller of the
        ``n x n`` and ``T x T`` Gram matrices, or is ``inf`` when ``T`` returns cannot give a
        full-rank ``n x n`` estimate.

    Returns
    -------
    pandas.DataFrame
        Annualised covariance, index = columns = the assets of ``returns``.
    """
    options = spec_of_keywords(CovarianceOptions, options, keywords, where="risk_matrix")
    x, mean = returns_values_and_means(returns, min_observations=2)
    values = covariance_of_values(x, mean, returns.columns, model, periods_per_year, options)
    return _labelled(values, returns)


@dataclass(frozen=True)
class CovarianceOptions:
    """The options of a risk model beside its name (see :func:`risk_matrix`): the decay
    ``span``/``half_life`` of the exponential model (periods), the periodic ``benchmark``
    return of the semicovariance, the MCD seed ``random_state``, ``repair_psd`` and ``warn``."""

    span: float | None = None
    half_life: float | None = None
    benchmark: float = 0.0
    random_state: int | None = 0
    repair_psd: bool = False
    warn: bool = True


@single_blas_thread(unless=_large_product)
def covariance_of_values(
    x: np.ndarray,
    mean: np.ndarray,
    names: pd.Index,
    model: RiskModel = RiskModel.SAMPLE,
    periods_per_year: float = 365.0,
    options: CovarianceOptions = CovarianceOptions(),
) -> np.ndarray:
    """The values of :func:`risk_matrix` from the returns array: the kernel it labels.

    Parameters
    ----------
    x
        Periodic returns (T x N floats, finite: :func:`~cryptofolio.estimate.windows.
        returns_values_and_means` checks a frame), rows = periods.
    mean
        Column means of ``x`` (periodic), as :func:`~cryptofolio.estimate.windows.column_means`
        computes them.
    names
        The N asset labels (for the messages of errors and warnings).
    model, periods_per_year, options
        As in :func:`risk_matrix`.

    Returns
    -------
    numpy.ndarray
        Annualised covariance (N x N), exactly symmetric, PSD.
    """
    if type(model) is not RiskModel:  # (a member already: skip the enum lookup)
        model = RiskModel(model)
    ppy = _check_ppy(periods_per_year)
    factor = None
    if model in ARRAY_MODELS:
        values, factor = covariance_values(
            x,
            mean,
            model,
            ppy,
            span=options.span,
            half_life=options.half_life,
            benchmark=options.benchmark,
        )
    elif model is RiskModel.OAS:
        from sklearn.covariance import OAS

        values = finite_symmetric_values(_sklearn_values(OAS(store_precision=False), x, ppy, "OAS"))
    else:
        from sklearn.covariance import MinCovDet

        _check_mcd_shape(*x.shape)
        fitted = _sklearn_values(MinCovDet(random_state=options.random_state), x, ppy, "MCD")
        frame = pd.DataFrame(fitted, index=names, columns=names, copy=False)
        values = ensure_psd(frame, repair=options.repair_psd).to_numpy()
    if options.warn and model not in _SHRUNK:
        warn_if_ill_conditioned_values(
            x.shape[0],
            values,
            names,
            str(model),
            factor=factor,
            demeaned=model is not RiskModel.SEMICOVARIANCE,
        )
    return values


def standard_deviations(covariance: pd.DataFrame) -> pd.Series:
    """Volatilities (square roots of the diagonal) of a covariance, in its units (annualised
    fractions for an annualised covariance)."""
    var = np.diag(covariance.to_numpy(dtype=float))
    if (var < 0).any():
        bad = covariance.index[var < 0][0]
        raise EstimationError(f"negative variance for {bad}; the covariance is invalid")
    return pd.Series(np.sqrt(var), index=covariance.index.copy(), name="volatility")


def correlation_matrix(covariance: pd.DataFrame) -> pd.DataFrame:
    """Correlation matrix from a covariance: ``S_ij / (s_i s_j)`` (unit diagonal).

    Raises
    ------
    EstimationError
        If an asset has zero variance (its correlation is undefined).
    """
    sd = standard_deviations(covariance)
    if (sd <= 0).any():
        flat = ", ".join(map(str, sd.index[sd <= 0]))
        raise EstimationError(f"zero variance for {flat}: correlation is undefined; drop it")
    values = covariance.to_numpy(dtype=float) / np.outer(sd, sd)
    np.fill_diagonal(values, 1.0)
    values = np.clip((values + values.T) / 2.0, -1.0, 1.0)
    return pd.DataFrame(values, index=covariance.index.copy(), columns=covariance.columns.copy())
