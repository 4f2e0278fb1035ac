"""Training: a planted signal is learnt, runs are reproducible, save/load is exact, and bad
input gets a clear error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fc_frames import head, make_panels

pytest.importorskip("torch")

from cryptofolio.errors import ForecastError
from cryptofolio.forecast import (
    FeatureConfig,
    Forecaster,
    ForecastSpec,
    GapPolicy,
    HeadKind,
    ModelConfig,
    TrainConfig,
    evaluate_forecaster,
    train_forecaster,
)
from cryptofolio.forecast.features import next_period_log_return

N_TRAIN, N_ALL = 700, 1000
TINY = ForecastSpec(
    features=FeatureConfig(lookback=10),
    model=ModelConfig(hidden_sizes=(16, 8), dropout=0.0, attention_size=8),
    train=TrainConfig(epochs=12, patience=4, learning_rate=5e-3, batch_size=64, seed=3),
)


@pytest.fixture(scope="module")
def panels():
    return make_panels(n=N_ALL, phi=0.5)


@pytest.fixture(scope="module")
def model(panels):
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    return train_forecaster(head(panels, N_TRAIN), TINY)


def test_learns_planted_signal_out_of_sample(model, panels):
    report = evaluate_forecaster(model, panels)
    assert report.start > model.report.val_end  # out of sample by construction
    m = report.metrics
    # AR(1) with phi=0.5: the best forecast has RMSE sigma, the zero forecast sigma/sqrt(0.75)
    assert m.loc["lstm-attention", "rmse"] < 0.93 * m.loc["zero", "rmse"]
    assert m.loc["lstm-attention", "rmse"] < 0.93 * m.loc["historical-mean", "rmse"]
    assert m.loc["lstm-attention", "mae"] < m.loc["zero", "mae"]
    # theory: P(same sign) = 1/2 + arcsin(0.5)/pi = 0.667
    assert m.loc["lstm-attention", "directional_accuracy"] > 0.6
    assert 0.8 < report.coverage < 0.97  # a 90 % Gaussian interval on Gaussian noise
    assert report.n_forecasts == 2 * (N_ALL - N_TRAIN - 1) + 2  # every later window, both assets


def test_normalisation_uses_training_rows_only(model, panels):
    train = head(panels, N_TRAIN)
    cut = model.report.train_end
    r = np.log(train.close["AAA"]).diff().loc[:cut].dropna()
    norm = model.normalisation
    assert norm.feature_mean.loc["AAA", "log-return"] == pytest.approx(r.mean(), rel=1e-9)
    assert norm.feature_std.loc["AAA", "log-return"] == pytest.approx(r.std(ddof=0), rel=1e-9)
    assert cut < model.report.val_end
    # the target scale is the std of the training targets r_{t+1}, t from L-1 .. cut
    y = next_period_log_return(train.close)["AAA"].loc[:cut].iloc[TINY.features.lookback :]
    assert norm.target_scale["AAA"] == pytest.approx(y.std(ddof=0), rel=1e-9)


def test_save_load_reproduces_predictions_exactly(model, panels, tmp_path):
    model.save(tmp_path / "m")
    loaded = Forecaster.load(tmp_path / "m")
    assert loaded.spec == model.spec and loaded.features == model.features
    a = model.predict_history(panels, start="2021-12-01")
    b = loaded.predict_history(panels, start="2021-12-01")
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    pd.testing.assert_frame_equal(model.predict(panels).table, loaded.predict(panels).table)


def test_training_is_reproducible(panels):
    spec = ForecastSpec(
        features=FeatureConfig(lookback=8),
        model=ModelConfig(hidden_sizes=(6,), attention_size=4),
        train=TrainConfig(epochs=2, seed=11),
    )
    a = train_forecaster(head(panels, 300), spec)
    b = train_forecaster(head(panels, 300), spec)
    np.testing.assert_array_equal(
        a.predict(head(panels, 300)).table.to_numpy(), b.predict(head(panels, 300)).table.to_numpy()
    )


def test_forecast_units_and_annualisation(model, panels):
    fc = model.predict(panels, asof=panels.close.index[800], level=0.9)
    t = fc.table
    assert fc.asof == panels.close.index[800]
    np.testing.assert_allclose(t["expected"], np.expm1(t["mean_log"] + 0.5 * t["std_log"] ** 2))
    np.testing.assert_allclose(fc.expected_returns(), t["expected"] * 365.0)
    z = 1.6448536269514722  # 95th percentile of N(0, 1)
    np.testing.assert_allclose(t["upper"], np.expm1(t["mean_log"] + z * t["std_log"]))
    assert (t["lower"] < t["expected"]).all() and (t["expected"] < t["upper"]).all()


def test_quantile_head_and_hourly_data():
    hourly = make_panels(n=400, freq="h", with_range=True, seed=2)
    spec = ForecastSpec(
        features=FeatureConfig(lookback=6),
        model=ModelConfig(hidden_sizes=(6,), head=HeadKind.QUANTILE, asset_embedding_dim=2),
        train=TrainConfig(epochs=2),
    )
    m = train_forecaster(hourly, spec)
    assert m.periods_per_year == 8760.0 and len(m.features) == 3
    fc = m.predict(hourly)
    assert (fc.table["lower"] <= fc.table["upper"]).all()
    np.testing.assert_allclose(fc.expected_returns(), fc.table["expected"] * 8760.0)
    with pytest.raises(ForecastError, match=r"80% interval needs the quantiles 0\.1 and 0\.9"):
        m.predict(hourly, level=0.8)


# ---------------------------------------------------------------------------- bad input
SMALL = ForecastSpec(
    features=FeatureConfig(lookback=5),
    model=ModelConfig(hidden_sizes=(4,), attention_size=4),
    train=TrainConfig(epochs=1),
)


def test_window_longer_than_data():
    p = make_panels(n=40)
    spec = ForecastSpec(features=FeatureConfig(lookback=50), model=SMALL.model, train=SMALL.train)
    with pytest.raises(ForecastError, match=r"window of 50 periods is longer than the data of AAA"):
        train_forecaster(p, spec)
    m = train_forecaster(p, SMALL)
    with pytest.raises(ForecastError, match=r"AAA: the window of 5 periods ending at .* longer"):
        m.predict(p, asof=p.close.index[3])


def test_nan_inside_history_names_asset_and_date():
    p = make_panels(n=120)
    bad_day = p.close.index[50]
    p.close.loc[bad_day, "BBB"] = np.nan
    with pytest.raises(ForecastError, match=rf"BBB: 2 period\(s\) .*{bad_day.date()}"):
        train_forecaster(p, SMALL)
    skip = ForecastSpec(
        features=SMALL.features,
        model=SMALL.model,
        train=TrainConfig(epochs=1, gap_policy=GapPolicy.SKIP),
    )
    m = train_forecaster(p, skip)
    assert m.report.skipped_gap_periods == {"BBB": 2}
    with pytest.raises(ForecastError, match=rf"BBB: missing .*NaN.* {bad_day.date()}"):
        m.predict(p, asof=p.close.index[52])
    assert m.predict(p, asof=p.close.index[60]).table.shape[0] == 2


def test_asset_unseen_at_training_time():
    p = make_panels(n=100, assets=("AAA", "BBB", "CCC"))
    m = train_forecaster(p, SMALL, assets=["AAA", "BBB"])
    with pytest.raises(ForecastError, match="CCC were not seen at training time"):
        m.predict(p, assets=["AAA", "CCC"])
    with pytest.raises(ForecastError, match="ZZZ are not in the data"):
        train_forecaster(p, SMALL, assets=["AAA", "ZZZ"])


def test_evaluation_refuses_in_sample_dates(model, panels):
    with pytest.raises(ForecastError, match="not out of sample"):
        evaluate_forecaster(model, panels, start=model.report.val_end)
