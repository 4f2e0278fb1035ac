"""Evaluation measures against hand computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cryptofolio.errors import ForecastError
from cryptofolio.forecast.evaluate import evaluate_forecasts, expanding_mean_log_return


def _frame():
    ts = pd.to_datetime(["2021-01-01"] * 3 + ["2021-01-02"] * 3, utc=True)
    return pd.DataFrame(
        {
            "timestamp": ts,
            "asset": ["A", "B", "C"] * 2,
            "mean_log": [0.01, 0.02, 0.03, -0.01, 0.00, 0.02],
            "hist_mean_log": [0.001] * 6,
            "lower_log": [-0.05] * 6,
            "upper_log": [0.05] * 6,
            "actual_log": [0.01, 0.03, 0.02, 0.02, -0.06, 0.04],
        }
    )


def test_measures_by_hand():
    rep = evaluate_forecasts(_frame(), level=0.9)
    m = rep.metrics
    err = np.array([0.0, -0.01, 0.01, -0.03, 0.06, -0.02])
    assert m.loc["lstm-attention", "rmse"] == pytest.approx(np.sqrt(np.mean(err**2)))
    assert m.loc["lstm-attention", "mae"] == pytest.approx(np.mean(np.abs(err)))
    actual = np.array([0.01, 0.03, 0.02, 0.02, -0.06, 0.04])
    assert m.loc["zero", "rmse"] == pytest.approx(np.sqrt(np.mean(actual**2)))
    assert m.loc["historical-mean", "mae"] == pytest.approx(np.mean(np.abs(actual - 0.001)))
    # signs: (+,+) (+,+) (+,+) (-,+) (0 forecast: left out) (+,+) -> 4 of 5
    assert m.loc["lstm-attention", "directional_accuracy"] == pytest.approx(0.8)
    # day 1: ranks (1,2,3) vs (1,3,2) -> rho 0.5; day 2: (1,2,3) vs (2,1,3) -> 0.5
    assert m.loc["lstm-attention", "rank_ic"] == pytest.approx(0.5)
    assert np.isnan(m.loc["historical-mean", "rank_ic"])  # constant forecast: no ranking
    assert rep.coverage == pytest.approx(5 / 6)  # -0.06 falls outside [-0.05, 0.05]
    assert rep.mean_interval_width == pytest.approx(0.1)
    assert rep.per_asset.loc["B", "coverage"] == pytest.approx(0.5)
    assert rep.n_ic_dates == 2 and rep.to_dict()["metrics"]["zero"]["rank_ic"] is None


def test_rejects_rows_without_realised_return():
    bad = _frame()
    bad.loc[0, "actual_log"] = np.nan
    with pytest.raises(ForecastError, match="without a realised return"):
        evaluate_forecasts(bad)


def test_historical_mean_never_looks_ahead():
    close = pd.DataFrame({"A": [1.0, 2.0, 4.0, 1.0]})
    got = expanding_mean_log_return(close)["A"].to_numpy()
    ln2 = np.log(2.0)
    np.testing.assert_allclose(got[1:], [ln2, ln2, (2 * ln2 - np.log(4.0)) / 3])
    assert np.isnan(got[0])
