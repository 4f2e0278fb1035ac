"""The issue-17 objectives and risk-aversion flags through typer's CliRunner on bundled data.

References are computed independently: PyPortfolioOpt (HRPOpt, max_quadratic_utility) and
skfolio (RiskBudgeting) on returns pivoted and differenced here with pandas.
"""

from __future__ import annotations

import json

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
