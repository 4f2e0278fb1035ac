"""Out-of-sample evaluation of return forecasts against naive forecasts.

Everything is measured on next-period *log* returns (the model's target), per period:

* RMSE and MAE of the model, of the zero-return forecast and of the historical mean
  (the expanding mean of each asset's log returns up to the decision time, so it never
  looks ahead);
* directional accuracy: share of forecasts whose sign matches the realised return (periods
  with a zero return or a zero forecast are left out; undefined for the zero forecast);
* rank information coefficient: Spearman correlation across assets between forecast and
  realised return, per decision time (times with at least 3 assets), then averaged, with its
  t-statistic ``mean / std * sqrt(n)``;
* coverage: share of realised returns inside the stated interval (a 90 % interval should
  cover about 90 %), and the mean interval width.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cryptofolio.data import Panels
from cryptofolio.errors import ForecastError
from cryptofolio.forecast.features import next_period_log_return

MODEL, ZERO, HIST_MEAN = "lstm-attention", "zero", "historical-mean"
_PANEL_FIELDS = ("close", "volume", "market_cap", "open", "high", "low")
MIN_IC_ASSETS = 3


def training_history(panels: Panels, train_end: str | pd.Timestamp) -> Panels:
    """The rows of ``panels`` up to ``train_end`` (UTC, inclusive; a naive time is read as
    UTC): the training part of a train-then-evaluate split."""
    cut = pd.Timestamp(train_end)
    cut = cut.tz_localize("UTC") if cut.tzinfo is None else cut
    return Panels(**{k: getattr(panels, k).loc[:cut] for k in _PANEL_FIELDS})


@dataclass(frozen=True)
class EvaluationReport:
    """Out-of-sample scores.

    ``metrics`` has one row per forecaster (``lstm-attention``, ``zero``,
    ``historical-mean``) and columns ``rmse``, ``mae`` (log-return units per period),
    ``directional_accuracy``, ``rank_ic``, ``rank_ic_t``; ``per_asset`` has one row per
    asset (n, model/zero/historical-mean RMSE, directional accuracy, coverage).
    """

    start: pd.Timestamp
    end: pd.Timestamp
    assets: tuple[str, ...]
    n_forecasts: int
    n_ic_dates: int
    level: float
    coverage: float
    mean_interval_width: float
    metrics: pd.DataFrame
    per_asset: pd.DataFrame
    incomplete_windows: int = 0

    def to_dict(self) -> dict[str, Any]:
        def clean(v: Any) -> Any:
            return None if isinstance(v, float) and not np.isfinite(v) else v

        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "assets": list(self.assets),
            "n_forecasts": self.n_forecasts,
            "n_ic_dates": self.n_ic_dates,
            "level": self.level,
            "coverage": clean(self.coverage),
            "mean_interval_width": clean(self.mean_interval_width),
            "incomplete_windows": self.incomplete_windows,
            "metrics": {
                name: {k: clean(float(v)) for k, v in row.items()}
                for name, row in self.metrics.iterrows()
            },
            "per_asset": {
                name: {k: clean(float(v)) for k, v in row.items()}
                for name, row in self.per_asset.iterrows()
            },
        }


def _rank_ic(frame: pd.DataFrame, column: str) -> pd.Series:
    """Spearman correlation across assets per timestamp (NaN when a side is constant)."""
    out = {}
    for ts, group in frame.groupby("timestamp", sort=True):
        if len(group) < MIN_IC_ASSETS:
            continue
        a = group[column].rank().to_numpy()
        b = group["actual_log"].rank().to_numpy()
        if np.std(a) == 0 or np.std(b) == 0:
            continue
        out[ts] = float(np.corrcoef(a, b)[0, 1])
    return pd.Series(out, dtype=float)


def _direction(pred: np.ndarray, actual: np.ndarray) -> float:
    keep = (pred != 0) & (actual != 0)
    if not keep.any():
        return float("nan")
    return float(np.mean(np.sign(pred[keep]) == np.sign(actual[keep])))


def evaluate_forecasts(predictions: pd.DataFrame, level: float = 0.9) -> EvaluationReport:
    """Score a long frame of forecasts.

    Parameters
    ----------
    predictions
        Columns ``timestamp``, ``asset``, ``mean_log`` (model forecast), ``hist_mean_log``
        (historical-mean forecast), ``lower_log``, ``upper_log`` (interval) and
        ``actual_log`` (realised next-period log return); rows without a realised return
        must be removed first.
    level
        The interval's stated confidence level (reported beside the measured coverage).
    """
    need = {"timestamp", "asset", "mean_log", "hist_mean_log", "lower_log", "upper_log"}
    missing = sorted(need - set(predictions.columns) - {"actual_log"})
    if missing or "actual_log" not in predictions.columns:
        raise ForecastError(f"predictions lack column(s) {missing or ['actual_log']}")
    if len(predictions) == 0:
        raise ForecastError("no forecast with a realised return to evaluate; widen the dates")
    if not np.isfinite(predictions["actual_log"].to_numpy(dtype=float)).all():
        raise ForecastError("predictions contain rows without a realised return; drop them")
    df = predictions.copy()
    df["zero"] = 0.0
    actual = df["actual_log"].to_numpy(dtype=float)
    rows = {}
    for name, col in ((MODEL, "mean_log"), (ZERO, "zero"), (HIST_MEAN, "hist_mean_log")):
        pred = df[col].to_numpy(dtype=float)
        err = pred - actual
        ic = _rank_ic(df, col) if name != ZERO else pd.Series(dtype=float)
        ic_t = (
            float(ic.mean() / ic.std(ddof=1) * np.sqrt(len(ic)))
            if len(ic) > 1 and ic.std(ddof=1) > 0
            else float("nan")
        )
        rows[name] = {
            "rmse": float(np.sqrt(np.mean(err**2))),
            "mae": float(np.mean(np.abs(err))),
            "directional_accuracy": _direction(pred, actual) if name != ZERO else float("nan"),
            "rank_ic": float(ic.mean()) if len(ic) else float("nan"),
            "rank_ic_t": ic_t,
        }
    metrics = pd.DataFrame.from_dict(rows, orient="index")
    inside = (df["lower_log"] <= df["actual_log"]) & (df["actual_log"] <= df["upper_log"])
    per_asset = {}
    for asset, g in df.groupby("asset", sort=True):
        a = g["actual_log"].to_numpy(dtype=float)
        per_asset[asset] = {
            "n": float(len(g)),
            "rmse_model": float(np.sqrt(np.mean((g["mean_log"].to_numpy() - a) ** 2))),
            "rmse_zero": float(np.sqrt(np.mean(a**2))),
            "rmse_hist_mean": float(np.sqrt(np.mean((g["hist_mean_log"].to_numpy() - a) ** 2))),
            "directional_accuracy": _direction(g["mean_log"].to_numpy(dtype=float), a),
            "coverage": float(inside[g.index].mean()),
        }
    n_ic = len(_rank_ic(df, "mean_log"))
    return EvaluationReport(
        start=pd.Timestamp(df["timestamp"].min()),
        end=pd.Timestamp(df["timestamp"].max()),
        assets=tuple(sorted(df["asset"].unique())),
        n_forecasts=len(df),
        n_ic_dates=n_ic,
        level=level,
        coverage=float(inside.mean()),
        mean_interval_width=float((df["upper_log"] - df["lower_log"]).mean()),
        metrics=metrics,
        per_asset=pd.DataFrame.from_dict(per_asset, orient="index"),
    )


def expanding_mean_log_return(close: pd.DataFrame) -> pd.DataFrame:
    """Historical-mean forecast at ``t``: mean of each asset's log returns up to ``t``."""
    past = next_period_log_return(close).shift(1)  # log(C_t / C_{t-1}) at t
    return past.expanding(min_periods=1).mean()


def evaluate_forecaster(
    forecaster: Any,
    panels: Panels,
    *,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    assets: list[str] | tuple[str, ...] | None = None,
    level: float = 0.9,
) -> EvaluationReport:
    """Evaluate a trained forecaster out of sample on ``panels``.

    Parameters
    ----------
    forecaster
        A :class:`~cryptofolio.forecast.Forecaster`.
    panels
        Market data covering the evaluation period (and ``lookback`` periods before it).
    start, end
        Decision times evaluated (default: from the first period after the forecaster's
        last validation decision, to the end of the data). A ``start`` at or before that
        time is refused: it would score the model on data it was fitted or early-stopped on.
    level
        Interval confidence level.
    """
    val_end = forecaster.report.val_end
    index = panels.close.index
    if start is None:
        later = index[index > val_end]
        if len(later) == 0:
            raise ForecastError(
                f"the data ends at {index[-1]}, but the model was trained and validated on "
                f"data up to {val_end}; evaluate on data after that date"
            )
        first = later[0]
    else:
        first = pd.Timestamp(start)
        first = first.tz_localize("UTC") if first.tzinfo is None else first
        if first <= val_end:
            raise ForecastError(
                f"evaluation start {first} is not out of sample: the model was trained and "
                f"validated on decisions up to {val_end}; choose a start after it"
            )
    preds = forecaster.predict_history(panels, start=first, end=end, assets=assets, level=level)
    hist = expanding_mean_log_return(panels.close)
    col = hist.columns.get_indexer(preds["asset"])
    row = hist.index.get_indexer(pd.DatetimeIndex(preds["timestamp"]))
    preds["hist_mean_log"] = hist.to_numpy()[row, col]
    known = np.isfinite(preds["actual_log"].to_numpy(dtype=float))
    report = evaluate_forecasts(preds[known].reset_index(drop=True), level=level)
    return _with_incomplete(report, int(preds.attrs.get("incomplete_windows", 0)))


def _with_incomplete(report: EvaluationReport, n: int) -> EvaluationReport:
    from dataclasses import replace

    return replace(report, incomplete_windows=n)
