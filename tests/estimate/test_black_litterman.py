"""Black-Litterman: PyPortfolioOpt's BlackLittermanModel and skfolio's BlackLitterman (stored
by tests/resources/make_peer_references.py), closed forms, the views parsers, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cryptofolio.errors import DataError, EstimationError
from cryptofolio.estimate.black_litterman import (
    BlackLitterman,
    he_litterman_omega,
    idzorek_omega,
    implied_risk_aversion,
    market_caps_at,
    market_implied_prior,
    market_proxy_returns,
    market_weights,
    posterior,
)
from cryptofolio.estimate.views import (
    make_views,
    read_views,
    views_from_matrices,
)

ROOT = Path(__file__).parents[2]
RESOURCES = ROOT / "tests" / "resources"
TAU = 0.05


@pytest.fixture(scope="module")
def ref() -> dict:
    return json.loads((RESOURCES / "peer_black_litterman.json").read_text())


@pytest.fixture(scope="module")
def data(ref) -> dict:
    p = json.loads((RESOURCES / "peer_panels.json").read_text())[ref["panel"]]
    returns = np.array(p["returns"])
    assets = p["assets"]
    daily = np.cov(returns, rowvar=False)
    cov = pd.DataFrame(daily * 365, index=assets, columns=assets)
    caps = pd.Series(ref["market_caps"], index=assets, name=pd.Timestamp(ref["market_caps_date"]))
    return {"assets": assets, "returns": returns, "daily": daily, "cov": cov, "caps": caps}


def _python_views(ref: dict, assets: list[str], confidences: bool):
    conf = [c * 100 for c in ref["confidences"]] if confidences else [None] * 3
    absolute = {
        a: (q, c) for (a, q), c in zip(ref["views"]["absolute"].items(), conf[:2], strict=True)
    }
    relative = [(*ref["views"]["relative"][0], conf[2])]
    return make_views(assets, absolute=absolute, relative=relative)


def test_market_implied_prior_and_risk_aversion_equal_pyportfolioopt(ref, data) -> None:
    delta = implied_risk_aversion(np.array(ref["market_proxy_returns"]))
    assert delta == pytest.approx(ref["delta"], rel=1e-12)
    pi = market_implied_prior(data["cov"].to_numpy(), market_weights(data["caps"]), delta)
    np.testing.assert_allclose(pi, ref["pi"], rtol=0, atol=1e-12)


@pytest.mark.parametrize("omega", ["default", "idzorek"])
def test_posterior_equals_pyportfolioopt(ref, data, omega) -> None:
    views = _python_views(ref, data["assets"], confidences=omega == "idzorek")
    method = "he-litterman" if omega == "default" else "idzorek"
    post = BlackLitterman(tau=TAU, omega=method, risk_aversion=ref["delta"]).posterior(
        data["cov"], data["caps"], views
    )
    np.testing.assert_allclose(post.mean, ref["pypfopt"][omega]["mean"], rtol=0, atol=1e-8)
    np.testing.assert_allclose(
        post.covariance, ref["pypfopt"][omega]["covariance"], rtol=0, atol=1e-8
    )


@pytest.mark.parametrize("omega", ["default", "idzorek"])
def test_posterior_equals_skfolio_in_daily_units(ref, data, omega) -> None:
    """skfolio estimates in the returns' own (daily) units: the kernel is unit-free."""
    S = data["daily"]
    views = views_from_matrices(
        ref["views"]["P"],
        ref["views"]["Q"],
        data["assets"],
        [c * 100 for c in ref["confidences"]],
    )
    w = market_weights(data["caps"]).to_numpy()
    pi = market_implied_prior(S, w, ref["delta"])
    P, Q = views.P, views.Q / 365
    om = (
        he_litterman_omega(S, P, TAU)
        if omega == "default"
        else idzorek_omega(S, P, views.confidences, TAU)
    )
    mean, cov = posterior(S, pi, P, Q, om, TAU)
    np.testing.assert_allclose(mean, ref["skfolio"][omega]["daily_mean"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(cov, ref["skfolio"][omega]["daily_covariance"], rtol=0, atol=1e-12)


def test_no_views_posterior_is_the_prior(data) -> None:
    S = data["cov"].to_numpy()
    pi = market_implied_prior(S, market_weights(data["caps"]), 2.0)
    empty = make_views(data["assets"])
    mean, cov = posterior(S, pi, empty.P, empty.Q, np.zeros((0, 0)), TAU)
    np.testing.assert_array_equal(mean, pi)
    np.testing.assert_allclose(cov, (1 + TAU) * S, rtol=1e-15)
    # every view at 0 % confidence: ignored, the same prior
    ignored = make_views(data["assets"], absolute={"SOL": (0.4, 0)})
    post = BlackLitterman(risk_aversion=2.0).posterior(data["cov"], data["caps"], ignored)
    np.testing.assert_array_equal(post.mean.to_numpy(), pi)


def test_certain_absolute_view_is_forced(data) -> None:
    """Omega -> 0: the posterior mean of the asset is the view; 100 % confidence is Omega = 0."""
    S = data["cov"].to_numpy()
    pi = market_implied_prior(S, market_weights(data["caps"]), 2.0)
    views = make_views(data["assets"], absolute={"SOL": 0.4})
    j = data["assets"].index("SOL")
    for eps in (1e-10, 0.0):
        mean, cov = posterior(S, pi, views.P, views.Q, np.diag([eps]), TAU)
        assert mean[j] == pytest.approx(0.4, abs=1e-8)
        # and the mean of SOL is then certain: its posterior variance is the prior's
        assert cov[j, j] == pytest.approx(S[j, j], rel=1e-8)
    certain = make_views(data["assets"], absolute={"SOL": (0.4, 100)})
    post = BlackLitterman(risk_aversion=2.0).posterior(data["cov"], data["caps"], certain)
    assert post.mean["SOL"] == pytest.approx(0.4, abs=1e-12)


def test_views_files_match_python_views(ref, data) -> None:
    python = _python_views(ref, data["assets"], confidences=True)
    for name in ("views.toml", "views.csv"):
        views = read_views(ROOT / "examples" / name).aligned(data["assets"])
        np.testing.assert_array_equal(views.P, python.P)
        np.testing.assert_array_equal(views.Q, python.Q)
        np.testing.assert_array_equal(views.confidences, python.confidences)


def test_market_caps_are_point_in_time() -> None:
    idx = pd.date_range("2024-01-01", periods=4, freq="D", tz="UTC")
    caps = pd.DataFrame({"BTC": [1.0, 2.0, 3.0, 4.0], "ETH": [1.0, np.nan, 2.0, 0.0]}, index=idx)
    row = market_caps_at(caps, "2024-01-03 12:00")
    assert row.name == idx[2] and row.tolist() == [3.0, 2.0]
    with pytest.raises(DataError, match="missing or zero for ETH on 2024-01-02"):
        market_caps_at(caps, "2024-01-02")
    with pytest.raises(DataError, match="missing or zero for ETH on 2024-01-04"):
        market_caps_at(caps, "2024-01-05")
    with pytest.raises(DataError, match="no market caps at or before 2023-12-31"):
        market_caps_at(caps, "2023-12-31")
    returns = pd.DataFrame({"BTC": [0.01, 0.02], "ETH": [0.0, 0.01]}, index=idx[1:3])
    with pytest.raises(DataError, match="missing or zero for ETH on the day before 2024-01-03"):
        market_proxy_returns(returns, caps)


def test_market_proxy_uses_previous_caps() -> None:
    idx = pd.date_range("2024-01-01", periods=3, freq="D", tz="UTC")
    caps = pd.DataFrame({"A": [3.0, 1.0, 9.0], "B": [1.0, 1.0, 9.0]}, index=idx)
    returns = pd.DataFrame({"A": [0.1, 0.2], "B": [-0.1, 0.0]}, index=idx[1:])
    proxy = market_proxy_returns(returns, caps)
    np.testing.assert_allclose(proxy, [0.75 * 0.1 + 0.25 * -0.1, 0.5 * 0.2])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"absolute": {"DOGE": 0.3}}, r"view DOGE: DOGE not in the universe"),
        ({"absolute": {"SOL": (0.3, 120)}}, r"confidence 120 is outside 0-100 %"),
        ({"absolute": {"SOL": (0.3, -1)}}, r"confidence -1 is outside 0-100 %"),
        ({"relative": [("ETH", "ETH", 0.1)]}, "needs two different assets"),
        (
            {"absolute": {"ETH": 0.3, "BTC": 0.1}, "relative": [("ETH", "BTC", 0.1)]},
            r"view ETH - BTC \(0.1\) contradicts the view\(s\) ETH, BTC, which imply 0.2",
        ),
        (
            {"absolute": {"ETH": 0.3, "BTC": 0.1}, "relative": [("ETH", "BTC", 0.2)]},
            r"repeats \(singular views\)",
        ),
    ],
)
def test_bad_views_are_clear_errors(data, kwargs, match) -> None:
    with pytest.raises(EstimationError, match=match):
        make_views(data["assets"], **kwargs)


def test_idzorek_needs_every_confidence(data) -> None:
    views = make_views(data["assets"], absolute={"SOL": (0.4, 50), "BTC": 0.1})
    spec = BlackLitterman(omega="idzorek", risk_aversion=2.0)
    with pytest.raises(EstimationError, match=r"confidence .* for every view; missing for BTC"):
        spec.posterior(data["cov"], data["caps"], views)


def test_missing_or_zero_market_caps_name_the_assets_and_date(data) -> None:
    caps = data["caps"].copy()
    caps["SOL"] = 0.0
    caps["ADA"] = np.nan
    views = make_views(data["assets"], absolute={"SOL": 0.4})
    with pytest.raises(DataError, match=r"missing or zero for ADA, SOL on 2022-12-31"):
        BlackLitterman(risk_aversion=2.0).posterior(data["cov"], caps, views)
    with pytest.raises(DataError, match="no market cap for BTC"):
        BlackLitterman(risk_aversion=2.0).posterior(data["cov"], caps.drop("BTC"), views)


def test_negative_market_premium_is_a_clear_error() -> None:
    falling = np.full(30, -0.01) + np.linspace(-1e-3, 1e-3, 30)
    with pytest.raises(EstimationError, match=r"implied risk aversion .* is not positive"):
        implied_risk_aversion(falling)


@pytest.mark.parametrize(
    ("name", "text", "match"),
    [
        ("v.toml", '[[view]]\nasset = "SOL"\n', "no 'return'"),
        ("v.toml", '[[view]]\nasset = "SOL"\nreturn = 0.4\nweight = 2\n', "unknown key.*weight"),
        ("v.toml", "[views]\nSOL = 0.4\n", "unknown section.*views.*use \\[\\[view\\]\\]"),
        ("v.toml", "[[view]\n", "not valid TOML"),
        ("v.toml", "[[view]]\nreturn = 0.4\n", "give 'asset' .* or 'long' and 'short'"),
        ("v.csv", "asset,return\nSOL,0.4\n", "the header must be long,short,return,confidence"),
        (
            "v.csv",
            "long,short,return\nSOL,,abc\n",
            "line 2: view SOL: return 'abc' is not a number",
        ),
        ("v.csv", "long,short,return,confidence\nSOL,,0.4,150\n", "outside 0-100 %"),
        ("v.txt", "", "use a .toml or .csv file"),
    ],
)
def test_bad_views_files(read_error, name, text, match) -> None:
    read_error(read_views, name, text, EstimationError, match)


def test_views_file_not_found(tmp_path) -> None:
    with pytest.raises(EstimationError, match="not found"):
        read_views(tmp_path / "absent.toml")
