"""The outcome of a sweep: one row per configuration, the overfitting statistics, and a verdict
in plain words saying whether the best configuration is distinguishable from luck."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cryptofolio.backtest.sweep.evaluate import ConfigurationRun
from cryptofolio.backtest.sweep.selection import Judgement
from cryptofolio.backtest.sweep.spec import SweepSpec

#: the deflated Sharpe ratio the best configuration needs to count as more than luck
DSR_LEVEL = 0.95
#: the probability of backtest overfitting above which the selection counts as overfit
PBO_LEVEL = 0.5

STAT_COLUMNS = (
    "sharpe",
    "is_sharpe",
    "oos_sharpe",
    "oos_rank",
    "psr",
    "dsr",
    "times_selected",
    "skewness",
    "kurtosis",
    "total_return",
    "turnover",
    "costs",
)


@dataclass(frozen=True)
class SweepResult:
    """What :func:`~cryptofolio.backtest.sweep.run_sweep` returns.

    Attributes
    ----------
    spec
        The :class:`SweepSpec` that ran.
    configurations
        One row per configuration that ran (index: its key), sorted by ``sharpe`` (best
        first): the swept parameters, then ``sharpe`` (whole common period), ``is_sharpe`` /
        ``oos_sharpe`` (mean over the splits of the training / test Sharpe), ``oos_rank``
        (1 = best out of sample), ``psr`` (probabilistic Sharpe ratio against 0), ``dsr``
        (deflated Sharpe ratio given the number of configurations), ``times_selected``,
        ``skewness``, ``kurtosis``, ``total_return`` (fraction, over the configuration's own
        backtest), ``turnover`` (fraction per rebalance), ``costs`` (quote currency). Sharpe
        ratios are annualised.
    failed
        The configurations whose backtest failed: ``key``, the swept parameters, ``error``.
    judgement
        The statistics behind the table; ``None`` when no configuration ran.
    runs
        Every :class:`ConfigurationRun` by key (the returns after costs).
    index
        The timestamps every configuration has, on which the statistics are computed.
    periods_per_year
        The annualisation of the Sharpe ratios.
    """

    spec: SweepSpec
    configurations: pd.DataFrame
    failed: pd.DataFrame
    judgement: Judgement | None
    runs: Mapping[str, ConfigurationRun]
    index: pd.DatetimeIndex
    periods_per_year: float

    @property
    def swept(self) -> list[str]:
        """Names of the swept parameters."""
        return [name for name, _ in self.spec.grid]

    @property
    def winner(self) -> pd.Series | None:
        """The row of the configuration with the best Sharpe over the whole period."""
        return None if self.configurations.empty else self.configurations.iloc[0]

    @property
    def pbo(self) -> float:
        """Probability of backtest overfitting (CSCV); NaN with fewer than 2 configurations."""
        if self.judgement is None or self.judgement.overfitting is None:
            return float("nan")
        return self.judgement.overfitting.pbo

    @property
    def winner_oos_rank(self) -> float:
        """Median over the splits of the out-of-sample rank (1 = best) of the configuration
        with the best training Sharpe."""
        if self.judgement is None or not len(self.judgement.winner_oos_ranks):
            return float("nan")
        return float(np.median(self.judgement.winner_oos_ranks))

    @property
    def distinguishable_from_luck(self) -> bool:
        """Whether the best configuration's deflated Sharpe ratio reaches :data:`DSR_LEVEL`
        and the selection's PBO stays below :data:`PBO_LEVEL`."""
        w = self.winner
        if w is None or len(self.configurations) < 2:
            return False
        return bool(w["dsr"] >= DSR_LEVEL and self.pbo < PBO_LEVEL)

    @property
    def verdict(self) -> str:
        """The findings in plain words (several sentences)."""
        return " ".join(verdict_lines(self))

    def to_json_dict(self) -> dict[str, Any]:
        """The ``--format json`` document (fractions; non-finite numbers as ``null``)."""
        j = self.judgement
        rows = []
        for key, row in self.configurations.iterrows():
            rows.append(
                {
                    "key": key,
                    "params": dict(self.runs[key].params),
                    **{c: _json(row[c]) for c in STAT_COLUMNS},
                }
            )
        for _, row in self.failed.iterrows():
            rows.append(
                {
                    "key": row["key"],
                    "params": dict(self.runs[row["key"]].params),
                    "error": row["error"],
                }
            )
        w = self.winner
        return {
            "configurations": rows,
            "n_configurations": int(len(self.configurations) + len(self.failed)),
            "n_failed": len(self.failed),
            "swept": self.swept,
            "winner": None
            if w is None
            else {"key": w.name, "params": dict(self.runs[w.name].params)},
            "winner_dsr": None if w is None else _json(w["dsr"]),
            "winner_oos_rank": _json(self.winner_oos_rank),
            "selected_oos_sharpe": None if j is None else _json(j.selected_oos_sharpe),
            "expected_max_sharpe": None if j is None else _json(j.expected_max_sharpe),
            "pbo": _json(self.pbo),
            "cscv_splits": None if j is None or j.overfitting is None else j.overfitting.n_splits,
            "validation": {
                "method": self.spec.validation.method.value,
                "folds": self.spec.validation.folds,
                "test_groups": self.spec.validation.test_groups,
                "embargo": None if j is None else j.embargo,
                "purge": None if j is None else j.purge,
                "cscv_blocks": self.spec.validation.cscv_blocks,
                "paths": None if j is None else j.n_paths,
            },
            "period": {
                "start": self.index[0].isoformat() if len(self.index) else None,
                "end": self.index[-1].isoformat() if len(self.index) else None,
                "rows": len(self.index),
            },
            "periods_per_year": self.periods_per_year,
            "distinguishable_from_luck": self.distinguishable_from_luck,
            "verdict": self.verdict,
        }


def verdict_lines(result: SweepResult) -> list[str]:
    """The sentences of :attr:`SweepResult.verdict`."""
    table, j = result.configurations, result.judgement
    n = len(table)
    lines: list[str] = []
    if result.failed.shape[0]:
        lines.append(
            f"{len(result.failed)} configuration(s) failed and are left out of the statistics "
            "(see the errors)."
        )
    if j is None or n == 0:
        return [*lines, "No configuration ran, so there is nothing to judge."]
    w = table.iloc[0]
    params = ", ".join(f"{p}={w[p]}" for p in result.swept)
    lines.append(
        f"Best of {n} configuration(s) by Sharpe over the {len(result.index)} common rows "
        f"({result.index[0]:%Y-%m-%d} to {result.index[-1]:%Y-%m-%d}): {params}, annualised "
        f"Sharpe {w['sharpe']:.2f} after costs."
    )
    if n < 2:
        return [*lines, "With one configuration nothing was selected: there is no PBO to report."]
    lines.append(
        f"Trying {n} configurations, luck alone would give a best Sharpe of about "
        f"{j.expected_max_sharpe:.2f}; the deflated Sharpe ratio of the best is {w['dsr']:.2f} "
        f"(the probability that its true Sharpe beats that; {DSR_LEVEL:.2f} needed)."
    )
    method = result.spec.validation.method.value
    median_all = float(np.nanmedian(table["oos_sharpe"]))
    lines.append(
        f"Chosen on the training rows of each of the {len(j.winner_oos_ranks)} {method} splits, "
        f"the in-sample winner ranked {result.winner_oos_rank:g} of {n} out of sample (median), "
        f"with a mean out-of-sample Sharpe of {j.selected_oos_sharpe:.2f} against "
        f"{median_all:.2f} for the median configuration."
    )
    lines.append(
        f"Probability of backtest overfitting {result.pbo:.0%}: in that share of the "
        f"{j.overfitting.n_splits} CSCV splits the in-sample best was at or below the "
        "out-of-sample median."
    )
    if result.distinguishable_from_luck:
        lines.append("The best configuration is distinguishable from luck.")
    else:
        reasons = []
        if not w["dsr"] >= DSR_LEVEL:
            reasons.append(f"its deflated Sharpe ratio {w['dsr']:.2f} is below {DSR_LEVEL:.2f}")
        if not result.pbo < PBO_LEVEL:
            reasons.append(f"the PBO {result.pbo:.0%} is not below {PBO_LEVEL:.0%}")
        lines.append(
            "The best configuration is NOT distinguishable from luck: "
            + " and ".join(reasons)
            + "; do not trust its backtest figures as an estimate of what it will do."
        )
    return lines


def _json(value: object) -> Any:
    if isinstance(value, np.integer | int) and not isinstance(value, bool):
        return int(value)
    try:
        f = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return f if np.isfinite(f) else None
