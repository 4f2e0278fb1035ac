"""``--expected-returns FILE`` (issue 21): the JSON of ``forecast predict --format json``
(recorded in tests/fixtures/forecast, its ``expected_annual`` values) or a CSV of
``asset,return``, annualised fractions, used as the optimiser's expected returns."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import minimize
from typer.testing import CliRunner

from cryptofolio.cli import app
from cryptofolio.data import load_prices

PREDICT = Path(__file__).resolve().parents[1] / "fixtures" / "forecast" / "predict_btc_eth_sol.json"
WINDOW = ["--assets", "BTC,ETH,SOL", "--start", "2023-01-01", "--end", "2023-06-30"]


def _text(result) -> str:
    """Output with rich's line wrapping and error box undone."""
    return " ".join(re.sub("[│╭╮╰╯─]", " ", result.output).split())


def _forecast() -> dict[str, float]:
    payload = json.loads(PREDICT.read_text())
    return {a: v["expected_annual"] for a, v in payload["forecasts"].items()}


def _max_utility_reference(mu: np.ndarray, delta: float) -> np.ndarray:
    """max mu'w - delta/2 w'Σw, long-only, fully invested: SciPy's SLSQP on the sample
    covariance of the window's daily simple returns (x 365)."""
    close = load_prices(["BTC", "ETH", "SOL"], start="2023-01-01", end="2023-06-30")
    rets = close.pct_change().dropna().to_numpy()
    cov = np.cov(rets, rowvar=False, ddof=1) * 365

    def loss(w):
        return -(mu @ w - delta / 2 * w @ cov @ w)

    res = minimize(
        loss,
        np.full(3, 1 / 3),
        bounds=[(0, 1)] * 3,
        constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1}],
        method="SLSQP",
        options={"ftol": 1e-14, "maxiter": 500},
    )
    return res.x


def _optimize(*extra: str):
    args = ["optimize", *WINDOW, "--objective", "max-utility", "--risk-aversion", "4"]
    return CliRunner().invoke(app, [*args, *extra, "--format", "json"])


def test_a_forecast_predict_json_is_the_expected_returns():
    res = _optimize("--expected-returns", str(PREDICT))
    assert res.exit_code == 0, res.output
    record = json.loads(res.stdout)
    mu = _forecast()
    weights = np.array([record["weights"][a] for a in ("BTC", "ETH", "SOL")])
    reference = _max_utility_reference(np.array([mu[a] for a in ("BTC", "ETH", "SOL")]), 4.0)
    np.testing.assert_allclose(weights, reference, atol=1e-5)
    expected = sum(mu[a] * w for a, w in zip(("BTC", "ETH", "SOL"), weights, strict=True))
    assert record["expected_return"] == pytest.approx(expected)


def test_a_csv_of_asset_return_gives_the_same_portfolio(tmp_path):
    rows = "\n".join(f"{a},{r!r}" for a, r in _forecast().items())
    path = tmp_path / "mu.csv"
    path.write_text("asset,return\n" + rows + "\n")
    from_csv = json.loads(_optimize("--expected-returns", str(path)).stdout)
    from_json = json.loads(_optimize("--expected-returns", str(PREDICT)).stdout)
    assert from_csv["weights"] == pytest.approx(from_json["weights"], abs=1e-12)


def test_an_asset_without_a_value_is_named(tmp_path):
    path = tmp_path / "mu.csv"
    path.write_text("asset,return\nBTC,0.2\nETH,0.1\n")
    res = _optimize("--expected-returns", str(path))
    assert res.exit_code == 2
    assert "has no expected return for SOL (it has BTC, ETH)" in _text(res)


def test_neither_estimator_nor_file_lists_both():
    res = _optimize("--expected-returns", "forecast.json")
    assert res.exit_code == 2
    text = _text(res)
    assert "neither an estimator (mean, compounded, ema, black-litterman)" in text
    assert "nor an existing file" in text


def test_a_backtest_refuses_one_fixed_set_of_expected_returns():
    args = ["backtest", *WINDOW, "--strategies", "max-sharpe", "--lookback", "30"]
    res = CliRunner().invoke(app, [*args, "--expected-returns", str(PREDICT)])
    assert res.exit_code == 2
    assert "backtest: --expected-returns" in _text(res) and "lstm-mvo" in _text(res)


def test_implausible_values_are_refused(tmp_path):
    path = tmp_path / "mu.csv"
    path.write_text("asset,return\nBTC,25\nETH,0.1\nSOL,0.3\n")
    assert _optimize("--expected-returns", str(path)).exit_code == 0  # 2,500 % a year: allowed
    path.write_text("asset,return\nBTC,250\nETH,0.1\nSOL,0.3\n")
    res = _optimize("--expected-returns", str(path))
    assert res.exit_code == 2 and "not a plausible annualised return" in _text(res)
