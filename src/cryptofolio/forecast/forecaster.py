"""A trained forecaster: predict the next-period return of each asset with an interval,
turn forecasts into annualised expected returns, save and load.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm as _normal

from cryptofolio import __version__
from cryptofolio.data import Panels
from cryptofolio.errors import ForecastError
from cryptofolio.forecast._torch import import_torch, resolve_device, torch_threads
from cryptofolio.forecast.config import Feature, ForecastSpec, HeadKind
from cryptofolio.forecast.features import (
    Normalisation,
    Windows,
    feature_frames,
    make_windows,
    next_period_log_return,
    stack_features,
    valid_rows,
    window_end_rows,
)
from cryptofolio.forecast.model_files import (
    FORMAT_VERSION,
    META_FILE,
    WEIGHTS_FILE,
    read_model_files,
    write_model_files,
)
from cryptofolio.locks import LockPolicy

PREDICT_BATCH = 4096

#: The fields of :class:`~cryptofolio.data.Panels`, each a (timestamp x asset) frame.
PANEL_KEYS: tuple[str, ...] = ("close", "volume", "market_cap", "open", "high", "low")


def asset_panels(panels: Panels, assets: tuple[str, ...]) -> Panels:
    """``panels`` with exactly the columns ``assets``, in that order, on the same rows.

    An asset absent from ``panels`` gets an all-NaN column; callers that must refuse it check
    first. Values are not copied or changed otherwise.
    """
    return Panels(**{k: getattr(panels, k).reindex(columns=list(assets)) for k in PANEL_KEYS})


@dataclass(frozen=True)
class WindowRows:
    """Where one asset's complete feature windows lie, as row positions of the feature frames.

    Attributes
    ----------
    valid
        (T,) bool: row ``t`` has every feature finite.
    ends
        (n,) int, ascending: the last rows ``t`` of the windows ``t-L+1 .. t`` whose ``L`` rows
        are all valid (and, when a target was given, whose next-period target is finite).
    """

    valid: np.ndarray
    ends: np.ndarray


def window_rows(
    frames: dict[Feature, pd.DataFrame],
    asset: str,
    lookback: int,
    target: pd.DataFrame | None = None,
) -> WindowRows:
    """The complete ``lookback``-period feature windows of ``asset``.

    Parameters
    ----------
    frames
        Feature frames (timestamp x asset), as made by
        :func:`~cryptofolio.forecast.features.feature_frames`.
    asset
        A column of every frame.
    lookback
        Window length ``L`` in periods (rows).
    target
        Optional next-period log returns (timestamp x asset, same rows as ``frames``); when
        given, only windows whose target is finite (known, so usable for training) are kept.

    Returns
    -------
    WindowRows
        The valid rows and the end rows of the complete windows.
    """
    valid = valid_rows(stack_features(frames, asset))
    ends = window_end_rows(valid, lookback)
    if target is not None:
        ends = ends[np.isfinite(target[asset].to_numpy(dtype=float)[ends])]
    return WindowRows(valid=valid, ends=ends)


@dataclass(frozen=True)
class EpochLog:
    """One training epoch: mean losses on the training and validation windows."""

    epoch: int
    train_loss: float
    val_loss: float
    improved: bool
    seconds: float


@dataclass(frozen=True)
class TrainingReport:
    """What training saw and did. Decision times are the last period of each window."""

    epochs: tuple[EpochLog, ...]
    best_epoch: int
    best_val_loss: float
    stopped_early: bool
    n_train: int
    n_val: int
    train_start: pd.Timestamp
    train_end: pd.Timestamp
    val_end: pd.Timestamp
    skipped_gap_periods: dict[str, int] = field(default_factory=dict)
    device: str = "cpu"

    def to_dict(self) -> dict[str, Any]:
        return {
            "epochs": [e.__dict__ for e in self.epochs],
            "best_epoch": self.best_epoch,
            "best_val_loss": self.best_val_loss,
            "stopped_early": self.stopped_early,
            "n_train": self.n_train,
            "n_val": self.n_val,
            "train_start": self.train_start.isoformat(),
            "train_end": self.train_end.isoformat(),
            "val_end": self.val_end.isoformat(),
            "skipped_gap_periods": dict(self.skipped_gap_periods),
            "device": self.device,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainingReport:
        return cls(
            epochs=tuple(EpochLog(**e) for e in data["epochs"]),
            best_epoch=data["best_epoch"],
            best_val_loss=data["best_val_loss"],
            stopped_early=data["stopped_early"],
            n_train=data["n_train"],
            n_val=data["n_val"],
            train_start=pd.Timestamp(data["train_start"]),
            train_end=pd.Timestamp(data["train_end"]),
            val_end=pd.Timestamp(data["val_end"]),
            skipped_gap_periods=dict(data.get("skipped_gap_periods", {})),
            device=data.get("device", "cpu"),
        )


@dataclass(frozen=True)
class Forecast:
    """Per-asset next-period forecasts made at ``asof`` (the last period of the window).

    ``table`` is indexed by asset with columns

    * ``mean_log``, ``std_log``: predicted mean and standard deviation of the next-period
      *log* return (per period, not annualised);
    * ``lower``, ``upper``: the ``level`` confidence interval of the next-period *simple*
      return (``exp(log bound) - 1``, exact since exp is monotone);
    * ``expected``: the expected next-period simple return,
      :math:`E[e^r] - 1 = \\exp(\\mu + \\sigma^2/2) - 1` under the Gaussian head;
    * ``expected_annual``: ``expected * periods_per_year``, the annualised arithmetic
      expected return that the optimisers take (same convention as the estimate stage:
      periodic mean x 365 for daily data, x 8760 for hourly).
    """

    table: pd.DataFrame
    asof: pd.Timestamp
    level: float
    periods_per_year: float

    def expected_returns(self) -> pd.Series:
        """Annualised expected returns (fractions), the optimiser's ``expected_returns``."""
        return self.table["expected_annual"].rename("expected_return")


def _z(level: float) -> float:
    return float(_normal.ppf(0.5 + level / 2.0))


class Forecaster:
    """A trained LSTM-attention return forecaster (create with
    :func:`cryptofolio.forecast.train_forecaster` or :meth:`Forecaster.load`)."""

    def __init__(
        self,
        *,
        spec: ForecastSpec,
        features: tuple[Feature, ...],
        assets: tuple[str, ...],
        normalisation: Normalisation,
        periods_per_year: float,
        report: TrainingReport,
        module: Any,
        device: str = "cpu",
    ) -> None:
        self.spec = spec
        self.features = features
        self.assets = assets
        self.normalisation = normalisation
        self.periods_per_year = periods_per_year
        self.report = report
        self.module = module
        self.device = device

    @property
    def lookback(self) -> int:
        return self.spec.features.lookback

    def __repr__(self) -> str:
        return (
            f"Forecaster(assets={list(self.assets)}, features={[str(f) for f in self.features]}, "
            f"lookback={self.lookback}, trained to {self.report.val_end})"
        )

    # ---------------------------------------------------------------- raw network output
    def _check_assets(self, assets: tuple[str, ...]) -> None:
        unseen = [a for a in assets if a not in self.assets]
        if unseen:
            raise ForecastError(
                f"asset(s) {', '.join(unseen)} were not seen at training time (the model knows "
                f"{', '.join(self.assets)}); retrain with them included"
            )

    def _frames(self, panels: Panels, assets: tuple[str, ...]) -> dict[Feature, pd.DataFrame]:
        missing = [a for a in assets if a not in panels.close.columns]
        if missing:
            raise ForecastError(
                f"asset(s) {', '.join(missing)} are not in the data; available: "
                f"{', '.join(panels.close.columns)}"
            )
        return feature_frames(asset_panels(panels, assets), self.features)

    def raw_outputs(self, windows: Windows) -> np.ndarray:
        """Network outputs (n, k) on normalised windows, in normalised target units."""
        torch = import_torch()
        self.module.eval()
        outs = []
        codes = np.array([self.assets.index(a) for a in windows.assets])[windows.asset_codes]
        with torch.no_grad(), torch_threads(self.spec.train.threads):
            for i in range(0, len(windows), PREDICT_BATCH):
                x = torch.from_numpy(windows.x[i : i + PREDICT_BATCH]).to(self.device)
                c = torch.from_numpy(codes[i : i + PREDICT_BATCH]).to(self.device)
                out, _ = self.module(x, c)
                outs.append(out.cpu().numpy().astype(np.float64))
        k = 2 if self.spec.model.head is HeadKind.GAUSSIAN else len(self.spec.model.quantiles)
        return np.concatenate(outs) if outs else np.empty((0, k))

    def attention(self, windows: Windows) -> np.ndarray:
        """Attention weights (n, L) over the time steps of each window (rows sum to one)."""
        torch = import_torch()
        self.module.eval()
        codes = np.array([self.assets.index(a) for a in windows.assets])[windows.asset_codes]
        with torch.no_grad(), torch_threads(self.spec.train.threads):
            x = torch.from_numpy(windows.x).to(self.device)
            _, att = self.module(x, torch.from_numpy(codes).to(self.device))
        return att.cpu().numpy().astype(np.float64)

    def _distribution(self, windows: Windows, level: float) -> pd.DataFrame:
        """mean_log, std_log, lower_log, upper_log per window, in log-return units."""
        if not 0.0 < level < 1.0:
            raise ForecastError(f"interval level must be in (0, 1), got {level}")
        out = self.raw_outputs(windows)
        scale = self.normalisation.target_scale.reindex(list(windows.assets)).to_numpy()
        s = scale[windows.asset_codes]
        model = self.spec.model
        if model.head is HeadKind.GAUSSIAN:
            mean = out[:, 0] * s
            std = np.exp(0.5 * out[:, 1]) * s
            z = _z(level)
            lower, upper = mean - z * std, mean + z * std
        else:
            q = np.sort(out, axis=1) * s[:, None]
            levels = np.asarray(model.quantiles)
            mean = q[:, int(np.argmin(np.abs(levels - 0.5)))]
            lo_q, hi_q = 0.5 - level / 2.0, 0.5 + level / 2.0
            lo_i = np.flatnonzero(np.isclose(levels, lo_q))
            hi_i = np.flatnonzero(np.isclose(levels, hi_q))
            if not len(lo_i) or not len(hi_i):
                raise ForecastError(
                    f"a {level:.0%} interval needs the quantiles {lo_q:g} and {hi_q:g}, but the "
                    f"model was trained on {list(levels)}; ask for a level they support"
                )
            lower, upper = q[:, lo_i[0]], q[:, hi_i[0]]
            # implied standard deviation from the outermost quantiles (for E[exp(r)])
            zq = _normal.ppf(levels[-1]) - _normal.ppf(levels[0])
            std = (q[:, -1] - q[:, 0]) / zq
        return pd.DataFrame(
            {
                "timestamp": windows.timestamps,
                "asset": [windows.assets[c] for c in windows.asset_codes],
                "mean_log": mean,
                "std_log": std,
                "lower_log": lower,
                "upper_log": upper,
                "actual_log": windows.target,
            }
        )

    # ---------------------------------------------------------------- public API
    def predict(
        self,
        panels: Panels,
        *,
        assets: list[str] | tuple[str, ...] | None = None,
        asof: str | pd.Timestamp | None = None,
        level: float = 0.9,
    ) -> Forecast:
        """Forecast the return of the period after ``asof`` for each asset.

        Parameters
        ----------
        panels
            Market data up to at least ``asof`` (more rows after it are ignored).
        assets
            Assets to forecast (default: all the model was trained on). An asset unseen at
            training time raises :class:`ForecastError`.
        asof
            Last period of the input window (default: the last timestamp of ``panels``).
        level
            Confidence level of the interval (0.9 = 90 %).

        Raises
        ------
        ForecastError
            If an asset is unseen, has no data at ``asof``, has fewer than ``lookback``
            periods up to ``asof``, or has missing/non-finite features in its window.
        """
        chosen = tuple(assets) if assets is not None else self.assets
        self._check_assets(chosen)
        frames = self._frames(panels, chosen)
        index = panels.close.index
        when = index[-1] if asof is None else pd.Timestamp(asof)
        if when.tzinfo is None:
            when = when.tz_localize("UTC")
        if when not in index:
            raise ForecastError(f"no data at {when}; the data covers {index[0]} to {index[-1]}")
        row = int(index.get_loc(when))
        L = self.lookback
        ends: dict[str, np.ndarray] = {}
        for asset in chosen:
            values = stack_features(frames, asset)
            first = np.flatnonzero(valid_rows(values))
            if row + 1 < L or not len(first) or row - first[0] + 1 < L:
                have = 0 if not len(first) else max(0, row - first[0] + 1)
                raise ForecastError(
                    f"{asset}: the window of {L} periods ending at {when} is longer than its "
                    f"data ({have} usable periods up to then); use a later --asof/--end or a "
                    "model with a shorter lookback"
                )
            window = values[row - L + 1 : row + 1]
            bad = ~np.isfinite(window).all(axis=1)
            if bad.any():
                stamps = index[row - L + 1 : row + 1][bad]
                shown = ", ".join(str(t) for t in stamps[:3]) + (" ..." if len(stamps) > 3 else "")
                raise ForecastError(
                    f"{asset}: missing or non-finite features (NaN) in the {L}-period window "
                    f"ending at {when}, at {shown}; fix the data or forecast from another date"
                )
            ends[asset] = np.array([row])
        target = next_period_log_return(panels.close.reindex(columns=list(chosen)))
        windows = make_windows(frames, target, self.normalisation, ends, L, chosen)
        dist = self._distribution(windows, level).set_index("asset")
        return self._forecast_table(dist, when, level)

    def _forecast_table(self, dist: pd.DataFrame, when: pd.Timestamp, level: float) -> Forecast:
        table = pd.DataFrame(index=dist.index)
        table.index.name = "asset"
        table["mean_log"] = dist["mean_log"]
        table["std_log"] = dist["std_log"]
        table["lower"] = np.expm1(dist["lower_log"])
        table["upper"] = np.expm1(dist["upper_log"])
        table["expected"] = np.expm1(dist["mean_log"] + 0.5 * dist["std_log"] ** 2)
        table["expected_annual"] = table["expected"] * self.periods_per_year
        return Forecast(table=table, asof=when, level=level, periods_per_year=self.periods_per_year)

    def predict_history(
        self,
        panels: Panels,
        *,
        start: str | pd.Timestamp | None = None,
        end: str | pd.Timestamp | None = None,
        assets: list[str] | tuple[str, ...] | None = None,
        level: float = 0.9,
    ) -> pd.DataFrame:
        """Forecasts for every complete window whose last period lies in ``[start, end]``.

        Returns a long frame: timestamp (last period of the window), asset, ``mean_log``,
        ``std_log``, ``lower_log``, ``upper_log`` (log-return units, per period) and
        ``actual_log``, the realised next-period log return (NaN where not yet known).
        Windows that contain a missing value are not formed; their number is in
        ``frame.attrs["incomplete_windows"]``.
        """
        chosen = tuple(assets) if assets is not None else self.assets
        self._check_assets(chosen)
        frames = self._frames(panels, chosen)
        index = panels.close.index
        lo = _utc(start) if start is not None else index[0]
        hi = _utc(end) if end is not None else index[-1]
        in_range = (index >= lo) & (index <= hi)
        ends: dict[str, np.ndarray] = {}
        incomplete = 0
        for asset in chosen:
            complete = window_rows(frames, asset, self.lookback)
            rows = complete.ends[in_range[complete.ends]]
            observed = np.flatnonzero(in_range & complete.valid)
            incomplete += len(observed[observed >= self.lookback - 1]) - len(rows)
            ends[asset] = rows
        target = next_period_log_return(panels.close.reindex(columns=list(chosen)))
        windows = make_windows(frames, target, self.normalisation, ends, self.lookback, chosen)
        if len(windows) == 0:
            raise ForecastError(
                f"no complete {self.lookback}-period window ends between {lo} and {hi} for "
                f"{', '.join(chosen)}; widen the date range"
            )
        out = self._distribution(windows, level)
        out.attrs["incomplete_windows"] = max(incomplete, 0)
        return out.sort_values(["timestamp", "asset"], kind="stable").reset_index(drop=True)

    # ---------------------------------------------------------------- persistence
    def save(self, directory: str | Path, *, lock: LockPolicy | None = None) -> Path:
        """Write the weights (``model.pt``) and, beside them, the feature configuration,
        normalisation and training report (``forecaster.json``) into ``directory``: atomically,
        under the folder's lock (:mod:`cryptofolio.forecast.model_files`)."""
        torch = import_torch()
        state = {k: v.detach().cpu() for k, v in self.module.state_dict().items()}
        meta = {
            "format_version": FORMAT_VERSION,
            "cryptofolio_version": __version__,
            "torch_version": str(torch.__version__),
            "spec": self.spec.to_dict(),
            "features": [str(f) for f in self.features],
            "assets": list(self.assets),
            "normalisation": self.normalisation.to_dict(),
            "periods_per_year": self.periods_per_year,
            "report": self.report.to_dict(),
        }
        return write_model_files(directory, state, meta, lock)

    @classmethod
    def load(cls, directory: str | Path, *, device: str = "cpu") -> Forecaster:
        """Load a forecaster written by :meth:`save` (predictions are reproduced exactly).

        Raises
        ------
        ForecastError
            Naming the file and the fix when a file is missing, damaged or truncated, or the
            two files do not belong together.
        """
        from cryptofolio.forecast.model import LSTMAttentionNet

        device = resolve_device(device)
        files = read_model_files(directory, device=device)
        meta = files.meta
        try:
            spec = ForecastSpec.from_dict(meta["spec"])
            features = tuple(Feature(f) for f in meta["features"])
            assets = tuple(meta["assets"])
            normalisation = Normalisation.from_dict(meta["normalisation"])
            report = TrainingReport.from_dict(meta["report"])
            periods_per_year = float(meta["periods_per_year"])
            module = LSTMAttentionNet(len(features), len(assets), spec.model)
            module.load_state_dict(files.state)
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise ForecastError(
                f"{Path(directory) / META_FILE} does not describe the weights in "
                f"{Path(directory) / WEIGHTS_FILE} ({type(exc).__name__}: "
                f"{' '.join(str(exc).split())[:160]}); retrain it with "
                f"`cryptofolio forecast train --model-dir {directory}`"
            ) from exc
        module.to(device)
        module.eval()
        return cls(
            spec=spec,
            features=features,
            assets=assets,
            normalisation=normalisation,
            periods_per_year=periods_per_year,
            report=report,
            module=module,
            device=device,
        )


def _utc(value: str | pd.Timestamp) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
