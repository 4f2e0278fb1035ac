"""Complete feature windows: ``window_rows`` and the two places that use it (the forecaster's
``predict_history`` and the ``lstm-mvo`` strategy's choice of forecastable assets) agree with a
window count made by hand, row by row, on a small seeded price frame with planted gaps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("torch")

import torch

from cryptofolio.data import Panels
from cryptofolio.forecast import Feature, FeatureConfig, ForecastSpec, ModelConfig, TrainConfig
from cryptofolio.forecast.features import Normalisation, feature_frames, next_period_log_return
from cryptofolio.forecast.forecaster import Forecaster, TrainingReport, window_rows
from cryptofolio.forecast.model import LSTMAttentionNet
from cryptofolio.forecast.strategy import LstmMvoStrategy

ASSETS = ("AAA", "BBB", "CCC")
FEATURES = (Feature.LOG_RETURN, Feature.VOLUME_CHANGE)
N = 40


def _panels(seed: int = 11) -> Panels:
    """Daily closes and volumes of three assets with a gap, a zero price, a late listing, an
    impossible volume and an unknown last close planted in them."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2021-01-01", periods=N, freq="D", tz="UTC", name="timestamp")
    steps = rng.normal(0.0, 0.02, (N, len(ASSETS)))
    close = pd.DataFrame(100.0 * np.exp(np.cumsum(steps, axis=0)), index=index, columns=ASSETS)
    volume = pd.DataFrame(rng.lognormal(10.0, 0.3, (N, len(ASSETS))), index=index, columns=ASSETS)
    close.iloc[12, 0] = np.nan  # AAA: a gap inside its history
    close.iloc[30, 0] = 0.0  # AAA: a non-positive price (no log return)
    close.iloc[:7, 1] = np.nan  # BBB: listed late
    volume.iloc[20, 1] = -5.0  # BBB: an impossible volume (no volume change)
    close.iloc[-1, 2] = np.nan  # CCC: last close unknown (no target on the row before)
    volume = volume.where(close.notna())
    nan = close * np.nan
    return Panels(close=close, volume=volume, market_cap=nan, open=nan, high=nan, low=nan)


def _by_hand(
    panels: Panels, asset: str, lookback: int, with_target: bool
) -> tuple[np.ndarray, np.ndarray]:
    """(valid rows, window end rows) counted from the prices one row at a time: a row is valid
    when its and the previous row's close is positive and volume non-negative (both features
    are one-period log changes); a window is complete when its ``lookback`` rows are valid and,
    ``with_target``, the next close is known too."""
    c = panels.close[asset].to_numpy()
    v = panels.volume[asset].to_numpy()
    n = len(c)
    price_ok = [bool(np.isfinite(x) and x > 0) for x in c]
    volume_ok = [bool(np.isfinite(x) and x >= 0) for x in v]
    valid = [
        t > 0 and price_ok[t] and price_ok[t - 1] and volume_ok[t] and volume_ok[t - 1]
        for t in range(n)
    ]
    ends = [
        t
        for t in range(lookback - 1, n)
        if all(valid[t - lookback + 1 : t + 1])
        and (not with_target or (t + 1 < n and price_ok[t + 1]))
    ]
    return np.array(valid), np.array(ends, dtype=int)


@pytest.mark.parametrize("lookback", [1, 5, 9])
@pytest.mark.parametrize("with_target", [False, True])
def test_window_rows_match_a_count_by_hand(lookback, with_target):
    panels = _panels()
    frames = feature_frames(panels, FEATURES)
    target = next_period_log_return(panels.close) if with_target else None
    for asset in ASSETS:
        got = window_rows(frames, asset, lookback, target)
        valid, ends = _by_hand(panels, asset, lookback, with_target)
        np.testing.assert_array_equal(got.valid, valid)
        np.testing.assert_array_equal(got.ends, ends)
        assert got.ends.dtype.kind == "i"


def test_the_planted_gaps_remove_windows():
    panels = _panels()
    counts = {a: len(_by_hand(panels, a, 5, True)[1]) for a in ASSETS}
    counts_any_target = {a: len(_by_hand(panels, a, 5, False)[1]) for a in ASSETS}
    assert counts == {"AAA": 20, "BBB": 21, "CCC": 33}  # of at most N - 5 = 35
    assert counts_any_target == {"AAA": 23, "BBB": 22, "CCC": 34}


@pytest.mark.parametrize(
    ("min_train_windows", "kept"),
    [(5, ("AAA", "BBB")), (20, ("AAA", "BBB")), (21, ("BBB",)), (22, ())],
)
def test_strategy_forecasts_assets_with_enough_complete_windows(min_train_windows, kept):
    panels = _panels()
    lookback = 5
    spec = ForecastSpec(
        features=FeatureConfig(lookback=lookback, features=FEATURES),
        train=TrainConfig(max_train_periods=None),
    )
    strategy = LstmMvoStrategy(spec=spec, min_train_windows=min_train_windows)
    by_hand = []
    for asset in ASSETS:  # a complete latest window and enough windows with a known target
        valid, ends = _by_hand(panels, asset, lookback, True)
        if valid[-lookback:].all() and len(ends) >= min_train_windows:
            by_hand.append(asset)
    assert tuple(by_hand) == kept  # CCC's last row has no close, so no latest window
    assert strategy._forecastable(panels, ASSETS) == kept


def _untrained_forecaster(lookback: int) -> Forecaster:
    spec = ForecastSpec(
        features=FeatureConfig(lookback=lookback, features=FEATURES),
        model=ModelConfig(hidden_sizes=(4,), attention_size=4),
    )
    torch.manual_seed(0)
    stamp = pd.Timestamp("2021-01-01", tz="UTC")
    report = TrainingReport(
        epochs=(),
        best_epoch=0,
        best_val_loss=0.0,
        stopped_early=False,
        n_train=0,
        n_val=0,
        train_start=stamp,
        train_end=stamp,
        val_end=stamp,
    )
    return Forecaster(
        spec=spec,
        features=FEATURES,
        assets=ASSETS,
        normalisation=Normalisation(
            feature_mean=pd.DataFrame(0.0, index=list(ASSETS), columns=list(FEATURES)),
            feature_std=pd.DataFrame(1.0, index=list(ASSETS), columns=list(FEATURES)),
            target_scale=pd.Series(1.0, index=list(ASSETS)),
        ),
        periods_per_year=365.0,
        report=report,
        module=LSTMAttentionNet(len(FEATURES), len(ASSETS), spec.model),
    )


@pytest.mark.parametrize(("start", "end"), [(None, None), ("2021-01-10", "2021-02-03")])
def test_predict_history_forecasts_exactly_the_complete_windows(start, end):
    panels = _panels()
    lookback = 5
    out = _untrained_forecaster(lookback).predict_history(panels, start=start, end=end)
    index = panels.close.index
    lo = index[0] if start is None else pd.Timestamp(start, tz="UTC")
    hi = index[-1] if end is None else pd.Timestamp(end, tz="UTC")
    incomplete = 0
    for asset in ASSETS:
        valid, ends = _by_hand(panels, asset, lookback, False)
        in_range = [t for t in range(N) if lo <= index[t] <= hi]
        expected = [t for t in ends if t in in_range]
        got = out.loc[out["asset"] == asset, "timestamp"]
        assert list(got) == list(index[expected])
        # valid rows that could end a window but whose window has a gap in it
        incomplete += sum(1 for t in in_range if t >= lookback - 1 and valid[t]) - len(expected)
    assert incomplete > 0
    assert out.attrs["incomplete_windows"] == incomplete
