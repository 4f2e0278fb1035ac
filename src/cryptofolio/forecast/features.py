"""Features, targets, normalisation and windows: plain numpy/pandas, no PyTorch.

Timing convention: the feature row dated ``t`` uses prices up to and including ``t``; the
target of the window ending at ``t`` is the *next-period* log return
:math:`r_{t+1} = \\log(C_{t+1} / C_t)`. Nothing is filled, dropped or clipped: a window is
usable only when every feature of every period in it is finite, and missing values inside an
asset's history either raise or are skipped and counted (:class:`~.config.GapPolicy`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cryptofolio.data import Panels
from cryptofolio.errors import ForecastError
from cryptofolio.forecast.config import Feature, GapPolicy

ALL_FEATURES: tuple[Feature, ...] = (
    Feature.LOG_RETURN,
    Feature.HIGH_LOW_RANGE,
    Feature.VOLUME_CHANGE,
)


def _safe_log(frame: pd.DataFrame) -> pd.DataFrame:
    """log of a price frame; non-positive values become NaN (reported later as gaps)."""
    values = frame.to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(values > 0, np.log(np.where(values > 0, values, 1.0)), np.nan)
    return pd.DataFrame(out, index=frame.index, columns=frame.columns)


def supported_features(panels: Panels) -> tuple[tuple[Feature, ...], dict[Feature, str]]:
    """Features the data can feed everywhere the close is known, and why the others cannot.

    ``log-return`` is always supported. ``high-low-range`` needs high and low wherever the
    close is known (the daily CoinGecko dataset has neither, the Binance hourly one has both);
    ``volume-change`` needs the volume wherever the close is known.

    Returns
    -------
    (features, reasons)
        The supported features in canonical order and, for each unsupported one, a reason.
    """
    known = panels.close.notna()
    reasons: dict[Feature, str] = {}
    for feat, cols in (
        (Feature.HIGH_LOW_RANGE, ("high", "low")),
        (Feature.VOLUME_CHANGE, ("volume",)),
    ):
        for col in cols:
            frame = getattr(panels, col).reindex_like(panels.close)
            missing = (known & frame.isna()).sum()
            missing = missing[missing > 0]
            if len(missing):
                detail = ", ".join(f"{a} ({int(n)} periods)" for a, n in missing.items())
                reasons[feat] = f"{col} missing where the close is known: {detail}"
                break
    return tuple(f for f in ALL_FEATURES if f not in reasons), reasons


def resolve_features(panels: Panels, wanted: tuple[Feature, ...] | None) -> tuple[Feature, ...]:
    """The features to use: ``wanted``, checked against the data, or all supported ones."""
    supported, reasons = supported_features(panels)
    if wanted is None:
        return supported
    bad = [f for f in wanted if f not in supported]
    if bad:
        detail = "; ".join(f"{f}: {reasons[f]}" for f in bad)
        raise ForecastError(
            f"feature(s) {', '.join(bad)} cannot be built from this data ({detail}); "
            f"supported here: {', '.join(supported)}"
        )
    return tuple(wanted)


def feature_frames(panels: Panels, features: tuple[Feature, ...]) -> dict[Feature, pd.DataFrame]:
    """Wide frames (timestamp x asset) of each feature; row ``t`` uses data up to ``t``."""
    out: dict[Feature, pd.DataFrame] = {}
    close = panels.close
    for feat in features:
        if feat is Feature.LOG_RETURN:
            out[feat] = _safe_log(close).diff()
        elif feat is Feature.HIGH_LOW_RANGE:
            high = panels.high.reindex_like(close)
            low = panels.low.reindex_like(close)
            out[feat] = _safe_log(high) - _safe_log(low)
        elif feat is Feature.VOLUME_CHANGE:
            volume = panels.volume.reindex_like(close).astype(float)
            neg = volume < 0
            logv = np.log1p(volume.where(~neg))
            out[feat] = logv.diff()
        else:  # pragma: no cover - exhaustive over the enum
            raise ForecastError(f"unknown feature {feat!r}")
    return out


def next_period_log_return(close: pd.DataFrame) -> pd.DataFrame:
    """Target frame: the value at ``t`` is :math:`\\log(C_{t+1}/C_t)` (NaN on the last row)."""
    return _safe_log(close).diff().shift(-1)


def infer_periods_per_year(index: pd.DatetimeIndex) -> float:
    """365 for daily data, 24*365 for hourly, otherwise 365 days / the median spacing."""
    if len(index) < 2:
        raise ForecastError("need at least two timestamps to infer the data frequency")
    step = pd.Series(index).diff().median()
    seconds = step.total_seconds()
    if abs(seconds - 86_400) < 60:
        return 365.0
    if abs(seconds - 3_600) < 1:
        return 24.0 * 365.0
    return 365.0 * 86_400 / seconds


@dataclass(frozen=True)
class Normalisation:
    """Per-asset z-scores of the features and scale of the target, fitted on training rows.

    ``feature_mean`` and ``feature_std`` are (asset x feature) frames; ``target_scale`` is the
    per-asset standard deviation of the training targets (next-period log returns). The target
    is only *scaled*, not centred, so an output of zero means a zero log return.
    """

    feature_mean: pd.DataFrame
    feature_std: pd.DataFrame
    target_scale: pd.Series

    @property
    def assets(self) -> tuple[str, ...]:
        return tuple(self.feature_mean.index)

    def to_dict(self) -> dict[str, Any]:
        return {
            "assets": list(self.feature_mean.index),
            "features": [str(c) for c in self.feature_mean.columns],
            "feature_mean": self.feature_mean.to_numpy().tolist(),
            "feature_std": self.feature_std.to_numpy().tolist(),
            "target_scale": self.target_scale.to_numpy().tolist(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Normalisation:
        assets = list(data["assets"])
        feats = [Feature(f) for f in data["features"]]
        return cls(
            feature_mean=pd.DataFrame(data["feature_mean"], index=assets, columns=feats),
            feature_std=pd.DataFrame(data["feature_std"], index=assets, columns=feats),
            target_scale=pd.Series(data["target_scale"], index=assets, dtype=float),
        )


def stack_features(frames: dict[Feature, pd.DataFrame], asset: str) -> np.ndarray:
    """(T, F) array of one asset's raw features, in the order of ``frames``."""
    return np.column_stack([frames[f][asset].to_numpy(dtype=float) for f in frames])


def valid_rows(values: np.ndarray) -> np.ndarray:
    """Rows whose features are all finite."""
    return np.isfinite(values).all(axis=1)


def interior_gaps(valid: np.ndarray, index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Timestamps of invalid rows strictly between an asset's first and last valid row."""
    where = np.flatnonzero(valid)
    if len(where) == 0:
        return index[:0]
    lo, hi = where[0], where[-1]
    inner = ~valid[lo : hi + 1]
    return index[lo : hi + 1][inner]


def gap_message(asset: str, gaps: pd.DatetimeIndex, what: str = "features") -> str:
    shown = ", ".join(str(t) for t in gaps[:3]) + (" ..." if len(gaps) > 3 else "")
    return (
        f"{asset}: {len(gaps)} period(s) with missing or non-finite {what} inside its history "
        f"({shown}); fix the data, choose --start after them, or skip the windows that touch "
        "them with gap_policy='skip' (--skip-gaps)"
    )


def window_end_rows(valid: np.ndarray, lookback: int) -> np.ndarray:
    """Row indices ``t`` such that rows ``t-L+1 .. t`` are all valid."""
    if len(valid) < lookback:
        return np.empty(0, dtype=int)
    bad = np.concatenate([[0], np.cumsum(~valid)])
    ends = np.arange(lookback - 1, len(valid))
    n_bad = bad[ends + 1] - bad[ends + 1 - lookback]
    return ends[n_bad == 0]


def fit_normalisation(
    frames: dict[Feature, pd.DataFrame],
    target: pd.DataFrame,
    train_ends: dict[str, np.ndarray],
    lookback: int,
) -> Normalisation:
    """Fit the normalisation on the rows that training windows and targets cover, only.

    ``train_ends`` maps each asset to the end rows of its *training* windows (validation
    windows excluded), so nothing from the validation period enters the statistics.
    """
    feats = list(frames)
    assets = list(train_ends)
    mean = pd.DataFrame(np.nan, index=assets, columns=feats)
    std = pd.DataFrame(np.nan, index=assets, columns=feats)
    scale = pd.Series(np.nan, index=assets, dtype=float)
    for asset in assets:
        ends = train_ends[asset]
        values = stack_features(frames, asset)
        covered = np.zeros(len(values), dtype=bool)
        for offset in range(lookback):
            covered[ends - offset] = True
        rows = values[covered]
        mean.loc[asset] = rows.mean(axis=0)
        std.loc[asset] = rows.std(axis=0)
        y = target[asset].to_numpy(dtype=float)[ends]
        scale[asset] = y.std()
        flat = [str(f) for f, s in zip(feats, std.loc[asset], strict=True) if not s > 0]
        if flat:
            raise ForecastError(
                f"{asset}: feature(s) {', '.join(flat)} are constant over the training data, "
                "so they cannot be normalised; drop the asset or the feature"
            )
        if not scale[asset] > 0:
            raise ForecastError(
                f"{asset}: its next-period returns are constant over the training data; drop it"
            )
    return Normalisation(feature_mean=mean, feature_std=std, target_scale=scale)


@dataclass(frozen=True)
class Windows:
    """Model inputs: ``x`` (n, L, F) normalised float32 windows, ``asset_codes`` (n,) index
    into ``assets``, ``timestamps`` (n,) the last period of each window (the decision time),
    ``target`` (n,) the realised next-period log return (NaN where not yet known)."""

    x: np.ndarray
    asset_codes: np.ndarray
    timestamps: pd.DatetimeIndex
    target: np.ndarray
    assets: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.x)


def make_windows(
    frames: dict[Feature, pd.DataFrame],
    target: pd.DataFrame,
    norm: Normalisation,
    ends: dict[str, np.ndarray],
    lookback: int,
    assets: tuple[str, ...],
) -> Windows:
    """Normalised windows ending at the given rows, ordered by asset then time."""
    index = next(iter(frames.values())).index
    feats = list(frames)
    xs, codes, stamps, ys = [], [], [], []
    code_of = {a: i for i, a in enumerate(assets)}
    for asset, rows in ends.items():
        if len(rows) == 0:
            continue
        values = stack_features(frames, asset)
        mu = norm.feature_mean.loc[asset, feats].to_numpy(dtype=float)
        sd = norm.feature_std.loc[asset, feats].to_numpy(dtype=float)
        z = (values - mu) / sd
        view = np.lib.stride_tricks.sliding_window_view(z, lookback, axis=0)  # (T-L+1, F, L)
        xs.append(np.transpose(view[rows - lookback + 1], (0, 2, 1)).astype(np.float32))
        codes.append(np.full(len(rows), code_of[asset], dtype=np.int64))
        stamps.append(index[rows])
        ys.append(target[asset].to_numpy(dtype=float)[rows])
    if not xs:
        return Windows(
            x=np.empty((0, lookback, len(feats)), dtype=np.float32),
            asset_codes=np.empty(0, dtype=np.int64),
            timestamps=index[:0],
            target=np.empty(0),
            assets=assets,
        )
    return Windows(
        x=np.concatenate(xs),
        asset_codes=np.concatenate(codes),
        timestamps=pd.DatetimeIndex(np.concatenate([s.to_numpy() for s in stamps])),
        target=np.concatenate(ys),
        assets=assets,
    )


def check_gaps(
    frames: dict[Feature, pd.DataFrame],
    assets: tuple[str, ...],
    policy: GapPolicy,
) -> dict[str, int]:
    """Interior gaps per asset; raise on the first under :attr:`GapPolicy.RAISE`."""
    index = next(iter(frames.values())).index
    counts: dict[str, int] = {}
    for asset in assets:
        gaps = interior_gaps(valid_rows(stack_features(frames, asset)), index)
        if len(gaps):
            if policy is GapPolicy.RAISE:
                raise ForecastError(gap_message(asset, gaps))
            counts[asset] = len(gaps)
    return counts
