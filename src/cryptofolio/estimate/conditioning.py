"""Checks on a covariance matrix: positive semi-definiteness (with an explicit repair) and
ill-conditioning warnings that recommend shrinkage."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd

from cryptofolio.data.symbols import is_stablecoin
from cryptofolio.errors import EstimationError
from cryptofolio.user_warnings import user_stacklevel

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
    """Smallest eigenvalue of the symmetric part of ``cov`` (a full ``eigvalsh``, O(n^3))."""
    values = np.asarray(cov, dtype=float)
    return float(np.linalg.eigvalsh((values + values.T) / 2.0)[0])


def _scale_lower_bound(sym: np.ndarray) -> float:
    """A lower bound on ``max |eigenvalue|`` of a symmetric matrix, in O(n^2).

    Each of ``|S_ii|`` (Rayleigh quotient of a unit vector), ``||S||_F / sqrt(n)`` and
    ``|1'S1| / n`` (Rayleigh quotient of the all-ones direction: close to the top eigenvalue of a
    covariance with a common market factor) is at most the spectral radius.
    """
    n = sym.shape[0]
    if n == 0:
        return 0.0
    return max(
        float(np.abs(np.diag(sym)).max()),
        float(np.linalg.norm(sym)) / np.sqrt(n),
        abs(float(sym.sum())) / n,
    )


def _cholesky_says_psd(sym: np.ndarray, tolerance: float) -> bool:
    """True when a Cholesky factorisation of ``sym + delta * I`` succeeds, with
    ``delta = tolerance * L / 2`` and ``L`` a lower bound on ``max |eigenvalue|``.

    Success proves ``lambda_min > -delta - (round-off of the factorisation)``, which is at least
    ``-tolerance * max |eigenvalue|`` (the factorisation's backward error, about
    ``n * eps * ||S||``, is far below ``tolerance / 2``): the matrix is PSD in the sense of
    :func:`is_psd`. Failure proves nothing (a singular PSD matrix may fail), so the caller
    falls back to the eigenvalues. Costs about n^3/3 flops, a quarter of ``eigvalsh``.
    """
    from scipy.linalg import lapack

    n = sym.shape[0]
    delta = tolerance * _scale_lower_bound(sym) / 2.0
    shifted = sym.copy()
    shifted.flat[:: n + 1] += delta
    _, info = lapack.dpotrf(shifted, lower=True, clean=False, overwrite_a=True)
    return info == 0


def _eigenvalues_are_psd(eig: np.ndarray, tolerance: float) -> bool:
    scale = max(float(np.abs(eig).max()), np.finfo(float).tiny)
    return bool(eig[0] >= -tolerance * scale)


def is_psd(cov: pd.DataFrame | np.ndarray, tolerance: float = PSD_TOLERANCE) -> bool:
    """Whether ``cov`` is symmetric positive semi-definite up to round-off.

    PSD means: symmetric (to ``rtol=1e-10``), and smallest eigenvalue at least
    ``-tolerance * max |eigenvalue|``. Decided by a shifted Cholesky attempt first (cheap,
    conclusive when it succeeds, see :func:`_cholesky_says_psd`) and otherwise by the
    eigenvalues themselves, so the answer is that of the eigenvalue definition.
    """
    values = np.asarray(cov, dtype=float)
    if values.ndim != 2 or values.shape[0] != values.shape[1]:
        return False
    if not np.isfinite(values).all():
        return False
    if not np.allclose(values, values.T, rtol=1e-10, atol=1e-14):
        return False
    sym = (values + values.T) / 2.0
    if sym.shape[0] == 0 or _cholesky_says_psd(sym, tolerance):
        return True
    return _eigenvalues_are_psd(np.linalg.eigvalsh(sym), tolerance)


def gram_is_singular(n_rows: int, n_assets: int, *, demeaned: bool) -> bool:
    """Whether ``A'A`` with ``A`` of shape ``(n_rows, n_assets)`` is singular by construction:
    its rank is at most ``n_rows`` (``n_rows - 1`` when the columns of ``A`` are demeaned)."""
    return (n_rows - (1 if demeaned else 0)) < n_assets


def condition_number(
    covariance: pd.DataFrame | np.ndarray,
    *,
    factor: np.ndarray | None = None,
    demeaned: bool = False,
) -> float:
    """2-norm condition number ``lambda_max / lambda_min`` of a symmetric PSD covariance.

    ``inf`` when the matrix is singular (smallest eigenvalue not positive). Equals
    ``numpy.linalg.cond`` on a non-singular symmetric PSD matrix, at a fraction of its cost:

    * with ``factor`` ``A`` such that ``covariance`` is proportional to ``A'A`` (a sample,
      exponential or semi-covariance), the nonzero eigenvalues come from the smaller of ``A'A``
      and ``AA'``; when ``A`` has fewer (demeaned: fewer than one plus) rows than columns the
      covariance is singular by construction and nothing is computed;
    * otherwise from ``eigvalsh`` of the matrix (no SVD).
    """
    if factor is not None:
        a = np.asarray(factor, dtype=float)
        n_rows, n_assets = a.shape
        if gram_is_singular(n_rows, n_assets, demeaned=demeaned):
            return float("inf")
        eig = np.linalg.eigvalsh(a @ a.T if n_rows < n_assets else a.T @ a)
    else:
        values = np.asarray(covariance, dtype=float)
        eig = np.linalg.eigvalsh((values + values.T) / 2.0)
    if eig.size == 0 or eig[0] <= 0:
        return float("inf")
    return float(eig[-1] / eig[0])


def checked_symmetric(cov: pd.DataFrame) -> pd.DataFrame:
    """``cov`` symmetrised, after checking it is square, labelled consistently and finite.

    The checks of :func:`ensure_psd` short of positive semi-definiteness, in O(n^2): for
    estimates that are PSD by construction (Gram matrices ``A'A``).

    Raises
    ------
    EstimationError
        If ``cov`` is not square/labelled consistently or has NaN/infinite entries.
    """
    if cov.shape[0] != cov.shape[1] or list(cov.index) != list(cov.columns):
        raise EstimationError(
            "a covariance must be square with the same assets, in the same order, as rows and "
            "columns"
        )
    values = finite_symmetric_values(cov.to_numpy(dtype=float))
    return pd.DataFrame(values, index=cov.index, columns=cov.columns)


def finite_symmetric_values(values: np.ndarray) -> np.ndarray:
    """``(S + S') / 2`` of a square array (``S`` itself when already exactly symmetric, as a
    ``A.T @ A`` product is), after checking that every entry is finite.

    Raises
    ------
    EstimationError
        On a NaN or infinite entry.
    """
    if not np.isfinite(values).all():
        raise EstimationError("covariance has NaN or infinite entries; re-estimate it without gaps")
    if np.array_equal(values, values.T):
        return values
    return (values + values.T) / 2.0


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
    sym = checked_symmetric(cov)
    sym_values = sym.to_numpy()
    if sym.shape[0] == 0 or _cholesky_says_psd(sym_values, PSD_TOLERANCE):
        return sym
    eig, vec = np.linalg.eigh(sym_values)
    if _eigenvalues_are_psd(eig, PSD_TOLERANCE):
        return sym
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
        stacklevel=user_stacklevel(),
    )
    return pd.DataFrame(fixed, index=cov.index, columns=cov.columns)


def median_of_others(values: np.ndarray) -> np.ndarray:
    """For each ``k``, the median of ``values`` without its ``k``-th entry (0 when nothing is
    left), in one sort: ``O(n log n)`` instead of ``n`` medians."""
    v = np.asarray(values, dtype=float)
    n = len(v)
    if n <= 1:
        return np.zeros(n)
    order = np.argsort(v, kind="stable")
    ranked = v[order]
    pos = np.empty(n, dtype=np.int64)
    pos[order] = np.arange(n)  # rank of each entry in the sorted array
    m = n - 1  # size of "the others"

    def other(idx: int) -> np.ndarray:
        # idx-th smallest of the others: skip the entry's own slot in the sorted array
        return ranked[np.where(idx < pos, idx, idx + 1)]

    if m % 2:
        return other(m // 2)
    return (other(m // 2 - 1) + other(m // 2)) / 2.0


def conditioning_problems(
    returns: pd.DataFrame, covariance: pd.DataFrame, periods_per_year: float
) -> list[str]:
    """Reasons why ``covariance`` estimated from ``returns`` is ill-conditioned (may be empty).

    Looks for more assets than observations, near-constant assets (annualised volatility below
    :data:`NEAR_CONSTANT_VOLATILITY`, or below :data:`NEAR_CONSTANT_RELATIVE_VOLATILITY` times
    the median volatility of the other assets, e.g. a stablecoin among coins) and near-duplicate
    pairs (correlation above :data:`NEAR_DUPLICATE_CORRELATION`). Costs a few passes over the
    matrix (no decomposition).
    """
    return problems_of_values(
        returns.shape[0], covariance.to_numpy(dtype=float), covariance.columns
    )


def problems_of_values(n_obs: int, cov: np.ndarray, names: pd.Index) -> list[str]:
    """:func:`conditioning_problems` of a covariance array estimated from ``n_obs``
    observations, its assets named by ``names``."""
    problems: list[str] = []
    n_assets = cov.shape[0]
    if n_assets >= n_obs:
        problems.append(
            f"{n_assets} assets but only {n_obs} observations: the sample covariance is singular"
        )
    vol = np.sqrt(np.maximum(cov.diagonal(), 0.0))  # (a NaN variance stays NaN)
    # The median of the others is at most the largest volatility: when even the smallest
    # volatility clears both limits against that, no asset is near-constant (the usual case,
    # decided without the medians; a NaN makes the comparison false and takes the full test).
    lowest = float(np.minimum.reduce(vol, initial=np.inf))
    highest = float(np.maximum.reduce(vol, initial=-np.inf))
    if not lowest >= max(NEAR_CONSTANT_VOLATILITY, NEAR_CONSTANT_RELATIVE_VOLATILITY * highest):
        medians = median_of_others(vol)
        limit = np.maximum(NEAR_CONSTANT_VOLATILITY, NEAR_CONSTANT_RELATIVE_VOLATILITY * medians)
        flat = []
        for k in np.flatnonzero(vol < limit):
            a, v, median = names[k], vol[k], medians[k]
            tag = " (stablecoin)" if is_stablecoin(str(a)) else ""
            flat.append(f"{a}{tag} at {v:.2%} a year (median of the others {median:.0%})")
        if flat:
            problems.append("near-constant asset(s): " + ", ".join(flat))
    ok = vol > 0
    n_ok = int(np.count_nonzero(ok))
    if n_ok >= 2:
        # correlation > c  <=>  S_ij > c * s_i * s_j: one pass, no correlation matrix
        safe = vol if n_ok == n_assets else np.where(ok, vol, 1.0)
        above = cov > (NEAR_DUPLICATE_CORRELATION * safe)[:, None] * safe
        above.flat[:: n_assets + 1] = False  # an asset is perfectly correlated with itself
        if np.logical_or.reduce(above, axis=None):
            rows, cols = np.nonzero(np.triu(above, k=1))
            pairs = [
                f"{names[a]}/{names[b]} ({cov[a, b] / (vol[a] * vol[b]):.4f})"
                for a, b in zip(rows, cols, strict=True)
                if ok[a] and ok[b]
            ]
            if pairs:
                problems.append("near-duplicate pair(s), correlation: " + ", ".join(pairs))
    return problems


def warn_if_ill_conditioned(
    returns: pd.DataFrame,
    covariance: pd.DataFrame,
    periods_per_year: float,
    model: str,
    *,
    factor: np.ndarray | Callable[[], np.ndarray] | None = None,
    demeaned: bool = False,
) -> list[str]:
    """Emit one :class:`EstimationWarning` listing :func:`conditioning_problems`, if any.

    ``factor`` and ``demeaned``: see :func:`condition_number` (the condition number in the
    message is then read from the smaller Gram matrix, or is ``inf`` by construction).
    ``factor`` may also be a function returning it, called only when there is a warning.
    """
    return warn_if_ill_conditioned_values(
        returns.shape[0],
        covariance.to_numpy(dtype=float),
        covariance.columns,
        model,
        factor=factor,
        demeaned=demeaned,
    )


def warn_if_ill_conditioned_values(
    n_obs: int,
    covariance: np.ndarray,
    names: pd.Index,
    model: str,
    *,
    factor: np.ndarray | Callable[[], np.ndarray] | None = None,
    demeaned: bool = False,
) -> list[str]:
    """:func:`warn_if_ill_conditioned` of a covariance array estimated from ``n_obs``
    observations, its assets named by ``names``."""
    problems = problems_of_values(n_obs, covariance, names)
    if problems:
        if callable(factor):
            factor = factor()
        cond = condition_number(covariance, factor=factor, demeaned=demeaned)
        warnings.warn(
            f"ill-conditioned {model} covariance (condition number {cond:.3g}): "
            + "; ".join(problems)
            + "; use a shrinkage estimator (--risk-model ledoit-wolf or oas) or drop the "
            "offending asset(s)",
            EstimationWarning,
            stacklevel=user_stacklevel(),
        )
    return problems
