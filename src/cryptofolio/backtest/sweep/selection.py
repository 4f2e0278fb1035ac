"""Judging the configurations of a sweep on their common returns: in-sample against
out-of-sample Sharpe over purged folds, the deflated Sharpe ratio of every configuration given
the number of trials, and the probability of backtest overfitting by CSCV.

The kernel :func:`judge_returns` works on a ``T x N`` array of periodic returns after costs
(one column per configuration, rows the timestamps every configuration has); the frame it
returns is labelled by the caller.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata

from cryptofolio.backtest.sweep.deflated_sharpe import (
    expected_max_sharpe,
    probabilistic_sharpe_ratio,
    return_moments,
)
from cryptofolio.backtest.sweep.folds import Fold, cpcv_folds, cpcv_paths, walk_forward_folds
from cryptofolio.backtest.sweep.pbo import OverfitProbability, probability_of_backtest_overfitting
from cryptofolio.backtest.sweep.spec import ValidationMethod, ValidationSpec
from cryptofolio.errors import BacktestError


@dataclass(frozen=True)
class Judgement:
    """Statistics of ``N`` configurations on ``T`` common rows (Sharpe ratios annualised with
    ``periods_per_year`` unless said otherwise; arrays of length ``N`` unless said otherwise).

    Attributes
    ----------
    sharpe
        Sharpe ratio over all ``T`` rows.
    is_sharpe, oos_sharpe
        Mean over the splits of the Sharpe on the training rows / on the test rows.
    oos_rank
        Rank of ``oos_sharpe`` (1 = best; ties share the lower rank).
    psr, dsr
        Probabilistic Sharpe ratio against 0 and deflated Sharpe ratio (against
        ``expected_max_sharpe``), from the per-period Sharpe, skewness and kurtosis.
    times_selected
        Splits in which the configuration had the best training Sharpe.
    skewness, kurtosis
        Of the periodic returns (kurtosis plain: 3 for normal returns).
    winner_oos_ranks
        Per split (length = number of splits): out-of-sample rank (1 = best) of the
        configuration with the best training Sharpe.
    selected_oos_sharpe
        Mean over the splits of the test Sharpe of each split's training winner.
    expected_max_sharpe
        ``SR0``: the best Sharpe expected from ``N`` skill-less trials (annualised).
    overfitting
        The CSCV result; ``None`` with one configuration.
    n_paths
        Backtest paths of the splits (CPCV: ``C(N-1, k-1)``; walk-forward: 1).
    """

    sharpe: np.ndarray
    is_sharpe: np.ndarray
    oos_sharpe: np.ndarray
    oos_rank: np.ndarray
    psr: np.ndarray
    dsr: np.ndarray
    times_selected: np.ndarray
    skewness: np.ndarray
    kurtosis: np.ndarray
    winner_oos_ranks: np.ndarray
    selected_oos_sharpe: float
    expected_max_sharpe: float
    overfitting: OverfitProbability | None
    n_paths: int
    embargo: int
    purge: int


def make_folds(n_rows: int, validation: ValidationSpec) -> list[Fold]:
    """The splits ``validation`` describes for ``n_rows`` rows."""
    embargo = validation.embargo_rows(n_rows)
    purge = validation.purge_rows(n_rows)
    if validation.method is ValidationMethod.CPCV:
        return cpcv_folds(
            n_rows, validation.folds, validation.test_groups, purge=purge, embargo=embargo
        )
    return walk_forward_folds(n_rows, validation.folds, purge=purge)


def judge_returns(
    returns: np.ndarray, validation: ValidationSpec, periods_per_year: float
) -> Judgement:
    """All statistics of the columns of ``returns`` (``T x N``, finite).

    Raises
    ------
    BacktestError
        NaN in the returns, too few rows for the folds or the CSCV blocks.
    """
    r = np.asarray(returns, dtype=float)
    if not np.isfinite(r).all():
        raise BacktestError("sweep statistics: the common returns have NaN or infinite values")
    t, n = r.shape
    scale = math.sqrt(periods_per_year)
    folds = make_folds(t, validation)
    train = np.array([_sharpe(r[f.train]) for f in folds]) * scale
    test = np.array([_sharpe(r[f.test]) for f in folds]) * scale
    order = np.where(np.isfinite(train), train, -np.inf)
    winners = np.argmax(order, axis=1)
    split_ranks = rankdata(-np.where(np.isfinite(test), test, -np.inf), axis=1, method="min")
    winner_ranks = split_ranks[np.arange(len(folds)), winners]
    oos = np.nanmean(test, axis=0) if len(folds) else np.full(n, np.nan)
    sr, skewness, kurt = return_moments(r)
    variance = float(np.nanvar(sr, ddof=1)) if n > 1 else 0.0
    sr0 = expected_max_sharpe(n, variance)
    psr = np.array(
        [
            probabilistic_sharpe_ratio(s, 0.0, t, g, k)
            for s, g, k in zip(sr, skewness, kurt, strict=True)
        ]
    )
    dsr = np.array(
        [
            probabilistic_sharpe_ratio(s, sr0, t, g, k)
            for s, g, k in zip(sr, skewness, kurt, strict=True)
        ]
    )
    overfit = probability_of_backtest_overfitting(r, validation.cscv_blocks) if n > 1 else None
    paths = 1
    if validation.method is ValidationMethod.CPCV:
        paths = cpcv_paths(validation.folds, validation.test_groups)
    return Judgement(
        sharpe=sr * scale,
        is_sharpe=np.nanmean(train, axis=0),
        oos_sharpe=oos,
        oos_rank=rankdata(-np.where(np.isfinite(oos), oos, -np.inf), method="min").astype(int),
        psr=psr,
        dsr=dsr,
        times_selected=np.bincount(winners, minlength=n),
        skewness=skewness,
        kurtosis=kurt,
        winner_oos_ranks=winner_ranks.astype(int),
        selected_oos_sharpe=float(np.nanmean(test[np.arange(len(folds)), winners])),
        expected_max_sharpe=sr0 * scale,
        overfitting=overfit,
        n_paths=paths,
        embargo=validation.embargo_rows(t),
        purge=validation.purge_rows(t),
    )


def _sharpe(block: np.ndarray) -> np.ndarray:
    """Per-period Sharpe (ddof=1) of each column; NaN where the volatility is 0."""
    std = block.std(axis=0, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(std > 0, block.mean(axis=0) / std, np.nan)
