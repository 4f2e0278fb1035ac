"""Risk models against independent references: numpy closed forms, scikit-learn directly and
PyPortfolioOpt with frequency=365."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypfopt import risk_models as ppo
from sklearn.covariance import OAS, LedoitWolf, MinCovDet

from cryptofolio.data import load_dataset, to_panels
from cryptofolio.errors import EstimationError
from cryptofolio.estimate import (
    EstimationWarning,
    RiskModel,
    common_window,
    correlation_matrix,
    ensure_psd,
    returns_from_prices,
    risk_matrix,
    standard_deviations,
)


@pytest.fixture(scope="module")
def returns() -> pd.DataFrame:
    assets = ["BTC", "ETH", "XRP", "LTC", "LINK"]
    close = to_panels(load_dataset("coingecko-daily", symbols=assets, start="2022-01-01")).close
    return returns_from_prices(common_window(close, assets, "2022-01-01", "2023-06-30").prices)


def test_sample_covariance_closed_form(returns):
    x = returns.to_numpy()
    dev = x - x.mean(axis=0)
    expected = dev.T @ dev / (len(x) - 1) * 365
    got = risk_matrix(returns, "sample")
    np.testing.assert_allclose(got.to_numpy(), expected, rtol=1e-12)
    assert list(got.index) == list(got.columns) == list(returns.columns)


@pytest.mark.parametrize("span", [30, 180])
def test_exponential_matches_pypfopt(returns, span):
    ref = ppo.exp_cov(returns, returns_data=True, span=span, frequency=365)
    got = risk_matrix(returns, RiskModel.EXPONENTIAL, span=span)
    np.testing.assert_allclose(got.to_numpy(), ref.to_numpy(), rtol=1e-10, atol=1e-14)


def test_exponential_half_life_equals_equivalent_span(returns):
    # pandas: alpha = 1 - exp(-ln2 / h) ; span = 2 / alpha - 1
    h = 30.0
    alpha = 1 - np.exp(-np.log(2) / h)
    by_span = risk_matrix(returns, "exponential", span=2 / alpha - 1)
    by_hl = risk_matrix(returns, "exponential", half_life=h)
    np.testing.assert_allclose(by_hl.to_numpy(), by_span.to_numpy(), rtol=1e-10)
    # and pandas' own ewm covariance of demeaned data at the last row (bias uncorrected)
    dev = returns - returns.mean()
    last = (dev["BTC"] * dev["ETH"]).ewm(halflife=h).mean().iloc[-1] * 365
    assert by_hl.loc["BTC", "ETH"] == pytest.approx(last, rel=1e-10)


def test_semicovariance_matches_pypfopt(returns):
    b = 0.0005
    ref = ppo.semicovariance(returns, returns_data=True, benchmark=b, frequency=365)
    got = risk_matrix(returns, "semicovariance", benchmark=b)
    np.testing.assert_allclose(got.to_numpy(), ref.to_numpy(), rtol=1e-12)


@pytest.mark.parametrize(("model", "est"), [("ledoit-wolf", LedoitWolf), ("oas", OAS)])
def test_shrinkage_matches_sklearn(returns, model, est):
    ref = est().fit(returns.to_numpy()).covariance_ * 365
    np.testing.assert_allclose(risk_matrix(returns, model).to_numpy(), ref, rtol=1e-12)


def test_mcd_matches_sklearn(returns):
    ref = MinCovDet(random_state=0).fit(returns.to_numpy()).covariance_ * 365
    np.testing.assert_allclose(risk_matrix(returns, "mcd").to_numpy(), ref, rtol=1e-10)


def test_periods_per_year_scales(returns):
    a = risk_matrix(returns, "sample", periods_per_year=252)
    b = risk_matrix(returns, "sample", periods_per_year=365)
    np.testing.assert_allclose(a.to_numpy() * 365 / 252, b.to_numpy())


def test_correlation_and_std(returns):
    cov = risk_matrix(returns, "sample")
    np.testing.assert_allclose(standard_deviations(cov), returns.std() * np.sqrt(365))
    np.testing.assert_allclose(
        correlation_matrix(cov).to_numpy(), returns.corr().to_numpy(), atol=1e-12
    )


def test_nan_in_window_is_an_error(returns):
    bad = returns.copy()
    bad.iloc[5, 2] = np.nan
    with pytest.raises(EstimationError, match="XRP"):
        risk_matrix(bad, "sample")


def test_psd_repair_only_when_asked():
    cov = pd.DataFrame(
        [[1.0, 0.9, 0.7], [0.9, 1.0, -0.4], [0.7, -0.4, 1.0]],
        index=list("ABC"),
        columns=list("ABC"),
    )
    lam = np.linalg.eigvalsh(cov.to_numpy())[0]
    assert lam < 0
    with pytest.raises(EstimationError, match="not positive semi-definite"):
        ensure_psd(cov)
    with pytest.warns(EstimationWarning) as rec:
        fixed = ensure_psd(cov, repair=True)
    assert f"{lam:.3g}" in str(rec[0].message)
    assert np.linalg.eigvalsh(fixed.to_numpy())[0] > -1e-12
    # nearest PSD in Frobenius norm removes exactly the negative eigenvalue
    assert np.linalg.norm(fixed.to_numpy() - cov.to_numpy()) == pytest.approx(-lam, rel=1e-9)
    assert f"{-lam:.3g}" in str(rec[0].message)


def test_ill_conditioning_warnings(returns):
    rng = np.random.default_rng(0)
    r = returns.iloc[:60].copy()
    r["USDT"] = rng.normal(0, 1e-5, len(r))  # a near-constant stablecoin
    r["BTC2"] = r["BTC"] + rng.normal(0, 1e-5, len(r))  # near duplicate
    with pytest.warns(EstimationWarning) as rec:
        risk_matrix(r, "sample")
    msg = str(rec[0].message)
    assert "USDT (stablecoin)" in msg and "BTC/BTC2" in msg and "ledoit-wolf" in msg
    with pytest.warns(EstimationWarning, match="5 assets but only 3 observations"):
        risk_matrix(returns.iloc[:3], "sample")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        risk_matrix(r, "ledoit-wolf")  # shrinkage itself: no recommendation to shrink
        risk_matrix(returns, "sample")  # healthy data: no warning


@settings(max_examples=25, deadline=None)
@given(
    t=st.integers(3, 40),
    n=st.integers(1, 6),
    model=st.sampled_from(["sample", "exponential", "ledoit-wolf", "oas", "semicovariance"]),
    seed=st.integers(0, 10_000),
)
def test_every_model_is_labelled_symmetric_psd(t, n, model, seed):
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2024-01-01", periods=t, freq="D", tz="UTC")
    r = pd.DataFrame(rng.normal(0, 0.03, (t, n)), index=idx, columns=[f"A{i}" for i in range(n)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        cov = risk_matrix(r, model)
    v = cov.to_numpy()
    assert list(cov.index) == list(cov.columns) == list(r.columns)
    np.testing.assert_array_equal(v, v.T)
    assert np.linalg.eigvalsh(v)[0] >= -1e-12 * max(1.0, np.abs(v).max())


@pytest.mark.parametrize(
    ("t", "n", "seed"),
    [(400, 1, 0), (400, 2, 1), (60, 150, 2), (1500, 40, 3), (30, 1100, 4), (10, 10, 5)],
)
def test_ledoit_wolf_single_gram_equals_sklearn(t, n, seed):
    """The one-Gram computation against scikit-learn's blocked ledoit_wolf (three products;
    block_size 1000, so n = 1100 takes its blocked path), fat-tailed returns, n > T included."""
    from sklearn.covariance import ledoit_wolf
    from sklearn.covariance import ledoit_wolf_shrinkage as sk_shrinkage

    from cryptofolio.estimate.risk_models import ledoit_wolf_covariance, ledoit_wolf_shrinkage

    rng = np.random.default_rng(seed)
    x = rng.standard_t(4, size=(t, n)) * rng.uniform(0.01, 0.08, size=n) + 0.001
    frame = pd.DataFrame(x, columns=[f"A{i}" for i in range(n)])
    ref, ref_shrink = ledoit_wolf(x)
    got = ledoit_wolf_covariance(frame, periods_per_year=365.0).to_numpy()
    np.testing.assert_allclose(got, ref * 365.0, rtol=1e-10, atol=1e-14 * np.abs(ref).max())
    assert ledoit_wolf_shrinkage(frame) == pytest.approx(sk_shrinkage(x), rel=1e-10, abs=1e-15)
    assert ledoit_wolf_shrinkage(frame) == pytest.approx(ref_shrink, rel=1e-10, abs=1e-15)


@pytest.mark.parametrize(
    ("offset", "scale", "columns"),
    [(1.0, 1e-3, 1), (0.05, 0.04, 1), (-2.0, 1e-5, 1), (0.0, 0.0, 1), (-2.0, 1e-5, 6)],
)
def test_ledoit_wolf_equals_sklearn_far_from_zero_mean(offset, scale, columns):
    """Returns whose mean dwarfs their variation (x'x - T m m' would cancel to noise: the
    estimator must demean explicitly), in one column or all, and a constant-zero asset next to
    ordinary ones."""
    from sklearn.covariance import ledoit_wolf

    from cryptofolio.estimate.risk_models import ledoit_wolf_covariance

    rng = np.random.default_rng(11)
    x = rng.standard_t(4, size=(500, 6)) * 0.03 + 0.001
    x[:, :columns] = offset + scale * rng.standard_normal((500, columns))
    frame = pd.DataFrame(x, columns=[f"A{i}" for i in range(6)])
    ref, _ = ledoit_wolf(x)
    got = ledoit_wolf_covariance(frame, periods_per_year=1.0).to_numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-14 * np.abs(ref).max())
    assert got[0, 0] >= 0.0
    np.testing.assert_array_equal(got, got.T)


@pytest.mark.parametrize("model", list(RiskModel))
def test_non_finite_return_is_named_by_every_model(model):
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        rng.normal(0.0, 0.03, size=(60, 3)),
        columns=["BTC", "ETH", "SOL"],
        index=pd.date_range("2024-01-01", periods=60, freq="D", tz="UTC"),
    )
    frame.iloc[10, 1] = np.inf
    with pytest.raises(EstimationError, match=r"ETH on 2024-01-11"):
        risk_matrix(frame, model)
