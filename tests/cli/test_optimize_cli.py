"""`cryptofolio optimize` / `cryptofolio frontier` through typer's CliRunner.

Reference values come from independent computations on the same bundled data (numpy closed
forms, scipy SLSQP), never from the code under test.
"""

import json

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize
from typer.testing import CliRunner

import cryptofolio.cli.optimize_cmd as cmd
from cryptofolio.cli import app
from cryptofolio.data import load_dataset
from cryptofolio.optimize import Objective, PortfolioResult

runner = CliRunner()
ASSETS = ["BTC", "ETH", "LTC", "XRP"]
START, END = "2022-01-01", "2022-12-31"
JSON_FIELDS = {
    "objective",
    "warnings",
    "weights",
    "expected_return",
    "volatility",
    "sharpe",
    "start",
    "end",
    "n_observations",
    "periods_per_year",
}


@pytest.fixture(scope="module")
def daily_returns() -> pd.DataFrame:
    """Independent returns: the raw bundled closes, pivoted and differenced with pandas."""
    long = load_dataset("coingecko-daily", symbols=ASSETS, start=START, end=END)
    close = long.pivot(index="timestamp", columns="symbol", values="close")[ASSETS]
    return (close / close.shift(1) - 1).iloc[1:]


def _invoke(*args: str):
    return runner.invoke(app, list(args))


def _text(result) -> str:
    """Output with rich's line wrapping undone."""
    return " ".join(result.output.split())


def _data_args(assets=ASSETS, start=START, end=END):
    return ["--assets", ",".join(assets), "--start", start, "--end", end]


# ---------------------------------------------------------------- plumbing (fake solver)


def test_options_reach_the_config_and_json_is_exact(monkeypatch):
    seen = {}

    def fake_build(prices, config, **kw):
        seen["prices"], seen["config"] = prices, config
        w = pd.Series(0.25, index=prices.columns)
        return PortfolioResult(w, 0.5, 0.6, 0.8, config.objective, config.risk_free_rate)

    monkeypatch.setattr(cmd, "build_portfolio", fake_build)
    res = _invoke(
        "optimize",
        *_data_args(),
        "--objective",
        "max-sharpe",
        "--risk-model",
        "ledoit-wolf",
        "--expected-returns",
        "ema",
        "--returns",
        "log",
        "--risk-free-rate",
        "0.04",
        "--min-weight",
        "-0.1",
        "--max-weight",
        "0.4",
        "--bounds",
        "BTC=0.1:0.5",
        "--bounds",
        "ETH=:0.3",
        "--gross-exposure",
        "1.5",
        "--net-exposure",
        "0.9",
        "--l2",
        "0.01",
        "--cvar-alpha",
        "0.9",
        "--format",
        "json",
    )
    assert res.exit_code == 0, res.output
    cfg = seen["config"]
    assert cfg.objective is Objective.MAX_SHARPE
    assert cfg.risk_model == "ledoit-wolf" and cfg.expected_returns == "ema"
    assert cfg.returns_kind == "log" and cfg.risk_free_rate == 0.04 and cfg.cvar_alpha == 0.9
    c = cfg.constraints
    assert (c.min_weight, c.max_weight, c.gross_exposure, c.budget, c.l2) == (
        -0.1,
        0.4,
        1.5,
        0.9,
        0.01,
    )
    assert c.bounds["BTC"] == (0.1, 0.5) and c.bounds["ETH"][1] == 0.3
    assert cfg.periods_per_year == 365.0  # inferred from daily data
    prices = seen["prices"]
    assert list(prices.columns) == ASSETS and not prices.isna().any().any()
    out = json.loads(res.stdout)
    assert set(out) == JSON_FIELDS
    assert out["start"] == START and out["end"] == END
    assert out["n_observations"] == 364 and out["periods_per_year"] == 365.0
    assert out["objective"] == "max-sharpe" and out["weights"] == dict.fromkeys(ASSETS, 0.25)


def test_ragged_window_errors_name_the_limiting_asset():
    res = _invoke("optimize", "--assets", "BTC,ETH,DYDX", "--end", "2021-09-20")
    assert res.exit_code == 2
    assert "only 12 return(s)" in _text(res) and "DYDX starts 2021-09-08" in _text(res)
    res = _invoke("optimize", "--assets", "BTC,AAVE,UNI", "--start", "2022-01-01")
    assert res.exit_code == 2
    assert "AAVE" in _text(res) and "2021-10-17" in _text(res)
    res = _invoke("optimize", "--assets", "BTC,USDT", "--start", "2019-01-01")
    assert res.exit_code == 2
    assert "USDT has no price on 2019-05-29" in _text(res) and "--start 2019-05-30" in _text(res)


def test_bad_bounds_and_format():
    res = _invoke("optimize", *_data_args(), "--bounds", "BTC0.1")
    assert res.exit_code == 2 and "SYM=LO:HI" in _text(res)
    res = _invoke("optimize", *_data_args(), "--format", "xml")
    assert res.exit_code != 0


def test_help_has_examples_and_contract_options():
    for command, options in (
        (
            "optimize",
            ["--objective", "--risk-model", "--target-volatility", "--cvar-alpha", "--plot"],
        ),
        ("frontier", ["--points", "--random", "--plot", "--format"]),
    ):
        res = _invoke(command, "--help")
        assert res.exit_code == 0
        assert "Example" in res.output
        for opt in options:
            assert opt in res.output


# ---------------------------------------------------------------- real solver


def test_min_variance_budget_only_matches_closed_form(daily_returns):
    res = _invoke(
        "optimize",
        *_data_args(),
        "--min-weight",
        "-10",
        "--max-weight",
        "10",
        "--format",
        "json",
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    sigma = np.cov(daily_returns.to_numpy(), rowvar=False) * 365
    x = np.linalg.solve(sigma, np.ones(len(ASSETS)))
    w = x / x.sum()  # closed form: Σ⁻¹1 / 1'Σ⁻¹1
    got = np.array([out["weights"][a] for a in ASSETS])
    np.testing.assert_allclose(got, w, atol=1e-6)
    assert out["volatility"] == pytest.approx(np.sqrt(1 / x.sum()), rel=1e-6)
    mu = daily_returns.mean().to_numpy() * 365
    assert out["expected_return"] == pytest.approx(w @ mu, abs=1e-6)


def test_periods_per_year_252_scales_volatility():
    a = json.loads(_invoke("optimize", *_data_args(), "--format", "json").stdout)
    b = json.loads(
        _invoke("optimize", *_data_args(), "--periods-per-year", "252", "--format", "json").stdout
    )
    assert b["periods_per_year"] == 252.0
    assert b["volatility"] == pytest.approx(a["volatility"] * np.sqrt(252 / 365), rel=1e-5)


def test_csv_and_plot(tmp_path):
    png = tmp_path / "w.png"
    res = _invoke("optimize", *_data_args(), "--format", "csv", "--plot", str(png))
    assert res.exit_code == 0, res.output
    lines = res.stdout.strip().splitlines()
    assert lines[0] == "symbol,weight"
    weights = {s: float(v) for s, v in (ln.split(",") for ln in lines[1:])}
    assert set(weights) == set(ASSETS) and sum(weights.values()) == pytest.approx(1.0, abs=1e-6)
    assert min(weights.values()) >= -1e-8
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_hourly_data_is_annualised_with_8760():
    res = _invoke(
        "optimize",
        "--dataset",
        "binance-hourly",
        "--assets",
        "BTC,ETH",
        "--start",
        "2021-01-01",
        "--end",
        "2021-02-01",
        "--format",
        "json",
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["periods_per_year"] == 8760.0


def test_frontier_json_carries_the_warnings_stderr_shows():
    # LUNA's bundled data stops 2021-10-17: the window moves (warned), and its jumps are warned
    args = ["frontier", "--assets", "BTC,ETH,LUNA", "--start", "2021-01-01"]
    res = _invoke(*args, "--end", "2021-12-31", "--points", "3", "--format", "json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    said = " ".join(doc["warnings"])
    assert "LUNA stops 2021-10-17" in said and "before --end 2021-12-31" in said
    assert "LUNA 2 (largest +89% on 2021-02-09)" in said
    for text in doc["warnings"]:  # the same words on stderr
        assert " ".join(text.split()) in " ".join(res.stderr.split())


def test_frontier_json_and_picture(tmp_path, daily_returns):
    png = tmp_path / "f.png"
    res = _invoke(
        "frontier",
        *_data_args(assets=["BTC", "ETH", "LTC"]),
        "--points",
        "6",
        "--random",
        "300",
        "--format",
        "json",
        "--plot",
        str(png),
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert set(doc) == {"classic", "warnings", "notes"}
    assert isinstance(doc["warnings"], list) and isinstance(doc["notes"], list)
    points = doc["classic"]
    assert len(points) == 6
    for p in points:
        assert set(p) == {"return", "volatility", "sharpe", "weights"}
        assert sum(p["weights"].values()) == pytest.approx(1.0, abs=1e-6)
        assert p["sharpe"] == pytest.approx(p["return"] / p["volatility"], rel=1e-6)
    rets = [p["return"] for p in points]
    assert rets == sorted(rets)
    # first point: the long-only minimum variance, checked with scipy SLSQP
    r = daily_returns[["BTC", "ETH", "LTC"]]
    sigma = np.cov(r.to_numpy(), rowvar=False) * 365
    ref = minimize(
        lambda w: w @ sigma @ w,
        np.ones(3) / 3,
        bounds=[(0, 1)] * 3,
        constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1}],
        method="SLSQP",
        options={"ftol": 1e-15},
    )
    assert points[0]["volatility"] == pytest.approx(np.sqrt(ref.fun), rel=1e-4)
    # last point: the maximum-return asset
    mu = r.mean() * 365
    assert points[-1]["return"] == pytest.approx(mu.max(), rel=1e-4)
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_frontier_table():
    res = _invoke("frontier", *_data_args(start="2023-01-01", end="2023-11-30"), "--points", "4")
    assert res.exit_code == 0, res.output
    assert "Efficient frontier (4 points)" in res.output and "365" in res.output


def test_frontier_in_a_bear_market_window():
    res = _invoke("frontier", *_data_args(), "--points", "4")
    assert res.exit_code == 0, res.output
    assert "no max-Sharpe portfolio" in res.output  # no asset above the risk-free rate


def test_demo_function(tmp_path):
    from io import StringIO

    from rich.console import Console

    buf = StringIO()
    path = cmd.run_optimize_demo(tmp_path, out=Console(file=buf, width=120), points=8, n_random=200)
    text = buf.getvalue()
    assert path.exists() and path.read_bytes()[:4] == b"\x89PNG"
    assert "min-variance portfolio" in text and "max-sharpe portfolio" in text
