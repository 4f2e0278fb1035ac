"""Validation of the optimiser's inputs (covariance, expected returns, scenarios, trades)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from cryptofolio.errors import EstimationError, InfeasibleError
from cryptofolio.user_warnings import user_stacklevel


class PositionalLabelsNote(UserWarning):
    """Arrays were given without asset labels: the assets are named by position."""


def labelled_inputs(
    covariance: pd.DataFrame | np.ndarray, expected_returns: pd.Series | np.ndarray | None
) -> tuple[pd.DataFrame, pd.Series | None]:
    """``covariance`` and ``expected_returns`` as labelled pandas objects: numpy arrays take
    the labels of the other argument where it has them, else ``asset0``, ``asset1``, ...
    (a :class:`PositionalLabelsNote` says so: the labels are positions, row ``i`` of the
    covariance is entry ``i`` of the expected returns)."""
    cov_array = not isinstance(covariance, pd.DataFrame)
    mu_array = expected_returns is not None and not isinstance(expected_returns, pd.Series)
    if not cov_array and not mu_array:
        return covariance, expected_returns
    S = np.asarray(covariance, dtype=float)
    if S.ndim != 2 or S.shape[0] != S.shape[1]:
        raise EstimationError(f"covariance must be a square matrix (got shape {S.shape})")
    if not cov_array:
        labels = asset_labels(covariance.columns)
    elif isinstance(expected_returns, pd.Series) and len(expected_returns) == len(S):
        labels = asset_labels(expected_returns.index)
    else:
        labels = [f"asset{i}" for i in range(len(S))]
    if mu_array:
        mu = np.asarray(expected_returns, dtype=float).reshape(-1)
        if len(mu) != len(labels):
            raise EstimationError(
                f"expected returns have {len(mu)} entries for {len(labels)} assets of the "
                "covariance; give one per asset, in the covariance's order"
            )
        expected_returns = pd.Series(mu, index=labels)
    warnings.warn(
        "numpy arrays given: the assets are labelled by position "
        f"({', '.join(labels[:3])}{', ...' if len(labels) > 3 else ''}): row i of the "
        "covariance is entry i of the expected returns; pass a DataFrame and a Series to "
        "label them",
        PositionalLabelsNote,
        stacklevel=user_stacklevel(),
    )
    return pd.DataFrame(S, index=labels, columns=labels), expected_returns


def asset_labels(columns: pd.Index) -> list[str]:
    """The labels of ``columns`` as strings."""
    return [str(a) for a in columns.tolist()]


def check_covariance(covariance: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    """Labels and values of an annualised covariance; symmetric, finite, non-negative diagonal.

    The values may be a view of ``covariance`` itself (when it is exactly symmetric): callers
    only read them."""
    if not isinstance(covariance, pd.DataFrame):
        raise EstimationError("covariance must be a labelled DataFrame (assets x assets)")
    S = covariance.to_numpy()  # float64: the frame's block itself (read only)
    if S.dtype != np.float64:
        S = covariance.to_numpy(dtype=float)
    rows, cols = S.shape
    if rows != cols or not covariance.index.equals(covariance.columns):
        raise EstimationError(
            "covariance must be square with the same assets, in the same order, as rows and "
            f"columns (got {rows} rows, {cols} columns)"
        )
    if covariance.columns.has_duplicates:
        dup = sorted(set(covariance.columns[covariance.columns.duplicated()].astype(str)))
        raise EstimationError(f"covariance has duplicate assets: {', '.join(dup)}")
    assets = asset_labels(covariance.columns)
    return assets, check_covariance_values(S, assets)


def check_covariance_values(S: np.ndarray, assets: list[str]) -> np.ndarray:
    """The checks of :func:`check_covariance` on the values (square, labelled by ``assets``):
    finite, symmetric to 1e-8 of the largest variance, a non-negative diagonal that is not all
    zero. Returns them exactly symmetric (``S`` itself when it already is: read only)."""
    bad = ~np.isfinite(S) if not np.isfinite(np.add.reduce(S, axis=None)) else None
    if bad is not None and bad.any():
        rows = sorted({assets[i] for i in np.flatnonzero(bad.any(axis=1))})
        raise EstimationError(
            f"covariance has NaN/inf entries for {', '.join(rows)}; estimate it on a window "
            "where every asset has data"
        )
    diag = S.diagonal()
    # (the reductions are called as ufuncs: what .sum()/.all()/.min() call, without numpy's
    # Python-level wrapper, on a path every solve takes)
    if np.logical_and.reduce(S == S.T, axis=None):  # exactly symmetric (so no NaN either):
        sym = S  # read only from here on (no solver writes into it): no copy
    else:
        scale = max(float(np.abs(diag).max(initial=0.0)), 1e-300)  # PSD: max |S_ij|
        asym = float(np.abs(S - S.T).max(initial=0.0))
        if asym > 1e-8 * scale:
            raise EstimationError("covariance is not symmetric; pass a covariance matrix")
        sym = S + S.T  # (S + S') / 2, exactly symmetric
        sym *= 0.5
    if np.minimum.reduce(diag, initial=0.0) < 0:
        neg = (diag < 0).nonzero()[0]
        raise EstimationError(
            f"covariance has negative variances for {', '.join(assets[i] for i in neg)}"
        )
    if not np.maximum.reduce(diag, initial=0.0) > 0:
        raise EstimationError("covariance is zero: every asset has zero variance")
    return sym


def align_series(
    values: pd.Series | None,
    assets: list[str],
    what: str,
    *,
    required: bool,
    index: pd.Index | None = None,
) -> np.ndarray | None:
    """A Series over exactly ``assets`` (reordered), finite; named errors otherwise.

    ``index``, when given, is ``assets`` as a pandas Index: a Series already on it is taken
    without comparing labels one by one."""
    if values is None:
        if required:
            raise EstimationError(f"{what} are required by this objective; pass them")
        return None
    if not isinstance(values, pd.Series):
        raise EstimationError(f"{what} must be a pandas Series indexed by asset")
    if index is not None and values.index.equals(index):
        v = values.to_numpy(dtype=float)
        if np.isfinite(v).all():
            return v
    idx = [str(a) for a in values.index.tolist()]
    if idx == assets:
        v = values.to_numpy(dtype=float)
        if np.isfinite(v).all():
            return v
    missing = [a for a in assets if a not in idx]
    extra = [a for a in idx if a not in assets]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing for {', '.join(missing)}")
        if extra:
            parts.append(f"given for assets not in the covariance: {', '.join(extra)}")
        raise EstimationError(f"{what} do not match the covariance's assets ({'; '.join(parts)})")
    v = pd.Series(values.to_numpy(dtype=float), index=idx).reindex(assets).to_numpy()
    bad = ~np.isfinite(v)
    if bad.any():
        raise EstimationError(
            f"{what} are NaN/inf for {', '.join(a for a, b in zip(assets, bad, strict=True) if b)}"
        )
    return v


def check_scenarios(returns: pd.DataFrame | None, assets: list[str], what: str) -> np.ndarray:
    """Periodic scenario matrix (T x N) aligned to ``assets``, no NaN."""
    if returns is None:
        raise EstimationError(
            f"{what} needs the periodic returns (scenarios); pass returns=<T x N DataFrame>"
        )
    cols = [str(c) for c in returns.columns]
    missing = [a for a in assets if a not in cols]
    if missing:
        raise EstimationError(f"returns lack the assets {', '.join(missing)} needed by {what}")
    R = returns.set_axis(cols, axis=1)[assets].to_numpy(dtype=float)
    bad = ~np.isfinite(R)
    if bad.any():
        rows = np.flatnonzero(bad.any(axis=1))
        first = returns.index[rows[0]]
        cols_bad = sorted({assets[j] for j in np.flatnonzero(bad.any(axis=0))})
        raise EstimationError(
            f"returns have {rows.size} rows with NaN/inf (first {first}, assets "
            f"{', '.join(cols_bad)}); restrict the window to where every asset has data"
        )
    if R.shape[0] < 2:
        raise EstimationError(f"{what} needs at least 2 return scenarios, got {R.shape[0]}")
    return R


def cost_vector(cost: float | pd.Series, assets: list[str]) -> np.ndarray:
    """Per-asset proportional trading cost (fraction of traded notional), >= 0."""
    if not isinstance(cost, pd.Series) and cost == 0:
        return np.zeros(len(assets))
    if isinstance(cost, pd.Series):
        v = align_series(cost, assets, "transaction costs", required=True)
    else:
        v = np.full(len(assets), float(cost))
    assert v is not None
    if np.any(~np.isfinite(v)) or np.any(v < 0):
        raise InfeasibleError("transaction_cost must be finite and >= 0 (fraction of notional)")
    return v
