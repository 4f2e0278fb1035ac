"""The log-log regression against numpy.polyfit and scipy.stats.linregress."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import linregress

from cryptofolio.security import daily_measures, fit_log_log, load_pow_data, loglog_residuals
from cryptofolio.security.regression import grouped_ols


def test_grouped_ols_matches_polyfit_per_group():
    rng = np.random.default_rng(0)
    x = rng.normal(size=60)
    y = 0.7 * x + rng.normal(size=60)
    g = np.repeat([0, 1, 2], 20)
    slope, intercept, n, r2 = grouped_ols(x, y, g)
    for k in range(3):
        b, a = np.polyfit(x[g == k], y[g == k], 1)
        lr = linregress(x[g == k], y[g == k])
        assert slope[k] == pytest.approx(b, rel=1e-12)
        assert intercept[k] == pytest.approx(a, rel=1e-12, abs=1e-12)
        assert r2[k] == pytest.approx(lr.rvalue**2, rel=1e-10)
        assert n[k] == 20


def test_too_few_points_give_nan():
    slope, intercept, n, _ = grouped_ols(
        np.array([1.0, 2.0]), np.array([1.0, 3.0]), np.zeros(2, int)
    )
    assert np.isnan(slope[0]) and np.isnan(intercept[0]) and n[0] == 2


def test_bundled_cross_section_against_linregress():
    m = daily_measures(load_pow_data())
    day = m[m["date"] == pd.Timestamp("2019-06-01", tz="UTC")].reset_index(drop=True)
    res = loglog_residuals(day, by=None)
    x = np.log10(day["market_cap_usd"].to_numpy())
    y = np.log10(day["security_budget_usd_per_hour"].to_numpy())
    lr = linregress(x, y)
    assert res["slope"].iloc[0] == pytest.approx(lr.slope, rel=1e-10)
    np.testing.assert_allclose(res["residual"], y - (lr.intercept + lr.slope * x), atol=1e-10)
    fit = fit_log_log(day["market_cap_usd"], day["security_budget_usd_per_hour"])
    assert fit.slope == pytest.approx(lr.slope) and fit.n == len(day)
    assert fit.r_squared == pytest.approx(lr.rvalue**2)


def test_residuals_by_date_skip_missing_usd():
    m = daily_measures(load_pow_data())
    days = m[m["date"].isin(pd.to_datetime(["2011-01-01", "2016-03-01"], utc=True))]
    res = loglog_residuals(days.reset_index(drop=True), by="date")
    first = days["date"].reset_index(drop=True) == pd.Timestamp("2011-01-01", tz="UTC")
    # 2011-01-01: only BTC has data -> no fit
    assert res.loc[first, "residual"].isna().all()
    later = days[days["date"] == pd.Timestamp("2016-03-01", tz="UTC")]
    ok = later["security_budget_usd_per_hour"].notna()
    x = np.log10(later.loc[ok, "market_cap_usd"])
    y = np.log10(later.loc[ok, "security_budget_usd_per_hour"])
    b, a = np.polyfit(x, y, 1)
    np.testing.assert_allclose(res.loc[~first, "residual"].dropna(), y - (a + b * x), atol=1e-10)
