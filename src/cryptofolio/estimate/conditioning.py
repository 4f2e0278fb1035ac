"""Checks on a covariance matrix: positive semi-definiteness (with an explicit repair) and
ill-conditioning warnings that recommend shrinkage."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from cryptofolio.data.symbols import is_stablecoin
from cryptofolio.errors import EstimationError

#: Relative tolerance on the smallest eigenvalue: above ``-PSD_TOLERANCE * max(|eig|)`` the
#: matrix counts as PSD (floating-point round-off), below it is not.
PSD_TOLERANCE = 1e-10
#: An annualised volatility below this (a fraction: 1 %) marks a near-constant asset ...
NEAR_CONSTANT_VOLATILITY = 0.01
#: ... and so does a volatility below this fraction of the median volatility of the other assets
#: (a stablecoin at 5 % a year among coins at 70 %: its variance is 200 times smaller).
NEAR_CONSTANT_RELATIVE_VOLATILITY = 0.15
#: A correlation above this marks two near-duplicate assets.
NEAR_DUPLICATE_CORRELATION = 0.995


class EstimationWarning(UserWarning):
    """An estimate is usable but fragile (ill-conditioned, repaired, ...)."""


def symmetrize(cov: pd.DataFrame) -> pd.DataFrame:
    """``(S + S') / 2`` with the labels kept."""
    values = cov.to_numpy(dtype=float)
    return pd.DataFrame((values + values.T) / 2.0, index=cov.index, columns=cov.columns)


def min_eigenvalue(cov: pd.DataFrame | np.ndarray) -> float:
    """Smallest eigenvalue of the symmetric part of ``cov``."""
    values = np.asarray(cov, dtype=float)
    return float(np.linalg.eigvalsh((values + values.T) / 2.0)[0])


def is_psd(cov: pd.DataFrame | np.ndarray, tolerance: float = PSD_TOLERANCE) -> bool:
    """Whether ``cov`` is symmetric positive semi-definite up to round-off."""
    values = np.asarray(cov, dtype=float)
    if not np.allclose(values, values.T, rtol=1e-10, atol=1e-14):
        return False
    eig = np.linalg.eigvalsh((values + values.T) / 2.0)
    scale = max(float(np.abs(eig).max()), np.finfo(float).tiny)
    return bool(eig[0] >= -tolerance * scale)


def ensure_psd(cov: pd.DataFrame, *, repair: bool = False) -> pd.DataFrame:
    """Return ``cov`` symmetrised; if it is not PSD, repair it only when asked.

    Parameters
    ----------
    cov
        Square labelled covariance.
    repair
        If True, a non-PSD matrix is replaced by its nearest PSD matrix in Frobenius norm
        (eigenvalues clipped at 0), with an :class:`EstimationWarning` stating the smallest
        eigenvalue and the relative Frobenius change. If False, a non-PSD matrix raises.

    Raises
    ------
    EstimationError
        If ``cov`` is not square/labelled consistently, has NaN, or is not PSD and ``repair``
        is False.
    """
    if cov.shape[0] != cov.shape[1] or list(cov.index) != list(cov.columns):
        raise EstimationError(
            "a covariance must be square with the same assets, in the same order, as rows and "
            "columns"
        )
    values = cov.to_numpy(dtype=float)
    if not np.isfinite(values).all():
        raise EstimationError("covariance has NaN or infinite entries; re-estimate it without gaps")
    sym = symmetrize(cov)
    if is_psd(sym):
        return sym
    eig, vec = np.linalg.eigh(sym.to_numpy())
    if not repair:
        raise EstimationError(
            f"covariance is not positive semi-definite (smallest eigenvalue {eig[0]:.3g}); "
            "estimate it from complete data, use a shrinkage model (ledoit-wolf, oas), or ask "
            "for an explicit repair (repair_psd=True)"
        )
    fixed = (vec * np.clip(eig, 0.0, None)) @ vec.T
    fixed = (fixed + fixed.T) / 2.0
    change = float(np.linalg.norm(fixed - sym.to_numpy()))
    rel = change / max(float(np.linalg.norm(sym.to_numpy())), np.finfo(float).tiny)
    warnings.warn(
        f"covariance was not PSD (smallest eigenvalue {eig[0]:.3g}, {int((eig < 0).sum())} "
        f"negative); repaired by clipping eigenvalues at 0: Frobenius change {change:.3g} "
        f"({rel:.2%} of the matrix norm)",
        EstimationWarning,
        stacklevel=2,
    )
    return pd.DataFrame(fixed, index=cov.index, columns=cov.columns)


def conditioning_problems(
    returns: pd.DataFrame, covariance: pd.DataFrame, periods_per_year: float
) -> list[str]:
    """Reasons why ``covariance`` estimated from ``returns`` is ill-conditioned (may be empty).

    Looks for more assets than observations, near-constant assets (annualised volatility below
    :data:`NEAR_CONSTANT_VOLATILITY`, or below :data:`NEAR_CONSTANT_RELATIVE_VOLATILITY` times
    the median volatility of the other assets, e.g. a stablecoin among coins) and near-duplicate
    pairs (correlation above :data:`NEAR_DUPLICATE_CORRELATION`).
    """
    problems: list[str] = []
    n_obs, n_assets = returns.shape
    if n_assets >= n_obs:
        problems.append(
            f"{n_assets} assets but only {n_obs} observations: the sample covariance is singular"
        )
    vol = np.sqrt(np.clip(np.diag(covariance.to_numpy(dtype=float)), 0.0, None))
    flat = []
    for k, (a, v) in enumerate(zip(covariance.columns, vol, strict=True)):
        others = np.delete(vol, k)
        median = float(np.median(others)) if len(others) else 0.0
        if v < max(NEAR_CONSTANT_VOLATILITY, NEAR_CONSTANT_RELATIVE_VOLATILITY * median):
            tag = " (stablecoin)" if is_stablecoin(str(a)) else ""
            flat.append(f"{a}{tag} at {v:.2%} a year (median of the others {median:.0%})")
    if flat:
        problems.append("near-constant asset(s): " + ", ".join(flat))
    ok = vol > 0
    if ok.sum() >= 2:
        sub = covariance.to_numpy(dtype=float)[np.ix_(ok, ok)]
        corr = sub / np.outer(vol[ok], vol[ok])
        names = [a for a, k in zip(covariance.columns, ok, strict=True) if k]
        i, j = np.triu_indices(len(names), k=1)
        dup = corr[i, j] > NEAR_DUPLICATE_CORRELATION
        pairs = [
            f"{names[a]}/{names[b]} ({corr[a, b]:.4f})" for a, b in zip(i[dup], j[dup], strict=True)
        ]
        if pairs:
            problems.append("near-duplicate pair(s), correlation: " + ", ".join(pairs))
    return problems


def warn_if_ill_conditioned(
    returns: pd.DataFrame, covariance: pd.DataFrame, periods_per_year: float, model: str
) -> list[str]:
    """Emit one :class:`EstimationWarning` listing :func:`conditioning_problems`, if any."""
    problems = conditioning_problems(returns, covariance, periods_per_year)
    if problems:
        cond = np.linalg.cond(covariance.to_numpy(dtype=float))
        warnings.warn(
            f"ill-conditioned {model} covariance (condition number {cond:.3g}): "
            + "; ".join(problems)
            + "; use a shrinkage estimator (--risk-model ledoit-wolf or oas) or drop the "
            "offending asset(s)",
            EstimationWarning,
            stacklevel=3,
        )
    return problems
