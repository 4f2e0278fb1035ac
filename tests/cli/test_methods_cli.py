"""The issue-17 objectives and risk-aversion flags through typer's CliRunner on bundled data.

References are computed independently: PyPortfolioOpt (HRPOpt, max_quadratic_utility) and
skfolio (RiskBudgeting) on returns pivoted and differenced here with pandas.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from cryptofolio.cli import app
from cryptofolio.data import load_dataset

runner = CliRunner()
ASSETS = ["BTC", "ETH", "LTC", "XRP", "ADA"]
START, END = "2022-01-01", "2022-12-31"
DATA = ["--assets", ",".join(ASSETS), "--start", START, "--end", END]


@pytest.fixture(scope="module")
def returns() -> pd.DataFrame:
    long = load_dataset("coingecko-daily", symbols=ASSETS, start=START, end=END)
    close = long.pivot(index="timestamp", columns="symbol", values="close")[ASSETS]
    return (close / close.shift(1) - 1).iloc[1:]


def _json(*args: str) -> dict:
    result = runner.invoke(app, ["optimize", *DATA, "--format", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_objective_choices_are_the_registry():
    from cryptofolio.optimize import objective_names

    result = runner.invoke(app, ["optimize", "--objective", "no-such"])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    for name in objective_names():
        assert name in text


def test_hrp_equals_pyportfolioopt(returns):
    from pypfopt import HRPOpt

    doc = _json("--objective", "hrp")
    expected = HRPOpt(returns=returns).optimize(linkage_method="single")
    for asset in ASSETS:
        assert doc["weights"][asset] == pytest.approx(expected[asset], abs=1e-8)
    assert doc["objective"] == "hrp"
    assert sum(doc["risk_contributions"].values()) == pytest.approx(1.0, abs=1e-12)


def test_risk_parity_reports_equal_contributions_like_skfolio(returns):
    from skfolio.optimization import RiskBudgeting

    doc = _json("--objective", "risk-parity")
    rc = np.array([doc["risk_contributions"][a] for a in ASSETS])
    np.testing.assert_allclose(rc, 1 / len(ASSETS), atol=1e-10)
    ref = RiskBudgeting().fit(returns.to_numpy()).weights_
    w = np.array([doc["weights"][a] for a in ASSETS])
    np.testing.assert_allclose(w, ref, atol=1e-5)  # skfolio's conic solver: about 1e-6


def test_herc_runs_and_min_variance_has_no_contributions():
    doc = _json("--objective", "herc")
    assert sum(doc["weights"].values()) == pytest.approx(1.0, abs=1e-12)
    assert "risk_contributions" in doc
    assert "risk_contributions" not in _json("--objective", "min-variance")


@pytest.mark.parametrize("delta", [0.5, 3.0])
def test_risk_aversion_is_pyportfolioopt_delta_and_tolerance_its_inverse(returns, delta):
    from pypfopt import EfficientFrontier

    mu, cov = returns.mean() * 365, returns.cov() * 365
    ef = EfficientFrontier(mu, cov, weight_bounds=(0, 1))
    expected = ef.max_quadratic_utility(risk_aversion=delta)
    by_delta = _json("--objective", "max-utility", "--risk-aversion", str(delta))
    by_lambda = _json("--objective", "max-utility", "--risk-tolerance", repr(1 / delta))
    for asset in ASSETS:
        assert by_delta["weights"][asset] == pytest.approx(expected[asset], abs=1e-6)
        assert by_lambda["weights"][asset] == pytest.approx(by_delta["weights"][asset], abs=1e-12)


def test_both_risk_flags_and_capped_hrp_are_one_line_errors():
    both = ["--risk-aversion", "2", "--risk-tolerance", "0.5"]
    for args, needle in [
        (both, "not both"),
        (["--objective", "hrp", "--max-weight", "0.22"], "exceed their upper bounds"),
        (["--objective", "risk-parity", "--l2", "0.1"], "L2 penalty"),
    ]:
        result = runner.invoke(app, ["optimize", *DATA, *args])
        assert result.exit_code == 2, result.output
        assert needle in " ".join(result.output.split())


def test_new_objectives_are_backtest_strategies():
    result = runner.invoke(
        app,
        [
            "backtest",
            "--assets",
            "BTC,ETH,LTC",
            "--start",
            "2021-01-01",
            "--end",
            "2021-06-30",
            "--lookback",
            "60",
            "--rebalance",
            "monthly",
            "--strategies",
            "hrp,herc,risk-parity,max-sortino",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert set(doc["strategies"]) == {"hrp", "herc", "risk-parity", "max-sortino"}


VIEWS = Path(__file__).parents[2] / "examples" / "views.toml"
BL_ASSETS = ["BTC", "ETH", "SOL"]
BL_DATA = ["--assets", ",".join(BL_ASSETS), "--start", "2023-01-01", "--end", "2023-11-30"]


def test_black_litterman_posterior_equals_pyportfolioopt():
    """Market caps at the window's last day, the views of examples/views.toml (Idzorek
    confidences), τ = 0.05: PyPortfolioOpt's BlackLittermanModel on the same covariance, caps
    and δ gives the same posterior, and max-sharpe on it the same weights."""
    from pypfopt import BlackLittermanModel, EfficientFrontier

    result = runner.invoke(
        app,
        [
            "optimize",
            *BL_DATA,
            "--objective",
            "max-sharpe",
            "--expected-returns",
            "black-litterman",
            "--views",
            str(VIEWS),
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    long = load_dataset("coingecko-daily", symbols=BL_ASSETS, start="2023-01-01", end="2023-11-30")
    wide = long.pivot(index="timestamp", columns="symbol", values="close")[BL_ASSETS]
    rets = (wide / wide.shift(1) - 1).iloc[1:]
    cov = rets.cov() * 365
    caps = long.pivot(index="timestamp", columns="symbol", values="market_cap")[BL_ASSETS]
    bl = BlackLittermanModel(
        cov,
        pi="market",
        market_caps=caps.iloc[-1],
        risk_aversion=doc["black_litterman"]["risk_aversion"],
        Q=np.array([0.40, 0.10, 0.05]),
        P=np.array([[0, 0, 1], [1, 0, 0], [-1, 1, 0]], dtype=float),
        omega="idzorek",
        view_confidences=[0.60, 0.25, 0.90],
        tau=0.05,
    )
    expected = bl.bl_returns()
    weights = np.array(list(caps.iloc[-1] / caps.iloc[-1].sum()))
    got_weights = [doc["black_litterman"]["market_weights"][a] for a in BL_ASSETS]
    np.testing.assert_allclose(got_weights, weights, atol=1e-12)
    got = [doc["black_litterman"]["posterior"][a] for a in BL_ASSETS]
    np.testing.assert_allclose(got, expected[BL_ASSETS].to_numpy(), atol=1e-8)
    ref = EfficientFrontier(expected, cov).max_sharpe(risk_free_rate=0.0)
    for a in BL_ASSETS:
        assert doc["weights"][a] == pytest.approx(ref[a], abs=1e-5)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--expected-returns", "black-litterman"], "needs --views FILE"),
        (["--views", str(VIEWS)], "--views needs --expected-returns black-litterman"),
    ],
)
def test_views_options_go_together(args, needle):
    result = runner.invoke(app, ["optimize", *BL_DATA, *args])
    assert result.exit_code == 2, result.output
    assert needle in " ".join(result.output.split())


BL_ARGS = [
    "--objective",
    "max-sharpe",
    "--expected-returns",
    "black-litterman",
    "--views",
    str(VIEWS),
    "--format",
    "json",
]


def test_allocate_and_rebalance_take_the_views_of_optimize(tmp_path):
    """The three commands estimate on the same window with the same views: one target."""
    optimized = runner.invoke(app, ["optimize", *BL_DATA, *BL_ARGS])
    assert optimized.exit_code == 0, optimized.output
    weights = json.loads(optimized.stdout)["weights"]
    allocated = runner.invoke(app, ["allocate", "--value", "10000", *BL_DATA, *BL_ARGS])
    assert allocated.exit_code == 0, allocated.output
    rows = json.loads(allocated.stdout)["rows"]
    assert {r["asset"]: r["target_weight"] for r in rows} == pytest.approx(weights, abs=1e-12)
    holdings = tmp_path / "holdings.csv"
    holdings.write_text("symbol,amount\nBTC,0.1\nETH,2\nSOL,10\n")
    dates = ["--start", "2023-01-01", "--end", "2023-11-30"]
    planned = runner.invoke(app, ["rebalance", "--holdings", str(holdings), *dates, *BL_ARGS])
    assert planned.exit_code == 0, planned.output
    target = json.loads(planned.stdout)["plan"]["weights"]["target"]
    assert {a: target[a] for a in BL_ASSETS} == pytest.approx(weights, abs=1e-12)


def test_backtest_with_views_runs_and_its_market_risk_aversion_moves_the_prior():
    """A δ given changes the decisions (the prior is δΣw); a views backtest runs end to end."""
    base = [
        "backtest",
        *BL_DATA,
        "--lookback",
        "90",
        "--rebalance",
        "monthly",
        "--strategies",
        "max-sharpe,market-cap",
        *BL_ARGS,
    ]
    base.remove("--objective")
    base.remove("max-sharpe")
    runs = []
    for delta in ("1", "6"):
        result = runner.invoke(app, [*base, "--market-risk-aversion", delta])
        assert result.exit_code == 0, result.output
        runs.append(json.loads(result.stdout)["strategies"]["max-sharpe"])
    assert runs[0] != runs[1]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--expected-returns", "black-litterman"], "needs --views FILE"),
        (["--views", str(VIEWS)], "--views needs --expected-returns black-litterman"),
        (["--market-risk-aversion", "2"], "--market-risk-aversion needs"),
        (
            ["--expected-returns", "black-litterman", "--views", str(VIEWS), "--tau", "0"],
            "--tau must be positive",
        ),
    ],
)
@pytest.mark.parametrize("command", ["backtest", "allocate"])
def test_views_options_go_together_elsewhere(command, args, needle):
    extra = ["--value", "1000"] if command == "allocate" else []
    result = runner.invoke(app, [command, *extra, *BL_DATA, *args])
    assert result.exit_code == 2, result.output
    assert needle in " ".join(result.output.split())


def test_frontier_resample_json_and_picture(tmp_path, returns):
    from pypfopt import EfficientFrontier

    picture = tmp_path / "resampled.png"
    result = runner.invoke(
        app,
        [
            "frontier",
            *DATA,
            "--points",
            "8",
            "--resample",
            "20",
            "--format",
            "json",
            "--plot",
            str(picture),
        ],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert set(doc) == {"classic", "resampled", "resamples", "warnings", "notes"}
    assert doc["resamples"] == 20
    assert len(doc["resampled"]) == 8 and picture.stat().st_size > 10_000
    # the classic frontier is that of the window's sample moments: its first point is
    # PyPortfolioOpt's minimum volatility portfolio
    ef = EfficientFrontier(returns.mean() * 365, returns.cov() * 365)
    ref = ef.min_volatility()
    for a in ASSETS:
        assert doc["classic"][0]["weights"][a] == pytest.approx(ref[a], abs=1e-5)
    for point in doc["resampled"]:
        assert sum(point["weights"].values()) == pytest.approx(1.0, abs=1e-9)
        assert min(point["weights"].values()) >= -1e-12
    # rank averaging never beats the classic frontier (checked at the extremes)
    assert doc["resampled"][0]["volatility"] >= doc["classic"][0]["volatility"] - 1e-12
