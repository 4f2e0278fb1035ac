"""``cryptofolio optimize --solver gradient`` through typer's CliRunner (bundled data, 4 assets).

The reference weights are an independent computation: the sample covariance of the bundled
closes with pandas, and scipy's SLSQP on the min-variance problem.
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
from scipy.optimize import minimize
from typer.testing import CliRunner

from cryptofolio.cli import app
from cryptofolio.data import load_dataset

pytest.importorskip("torch")

runner = CliRunner()
ASSETS = ["BTC", "ETH", "LTC", "XRP"]
DATA = ["--assets", ",".join(ASSETS), "--start", "2022-01-01", "--end", "2022-12-31"]
GRADIENT = ["--solver", "gradient", "--lr", "0.05", "--iterations", "2000"]
CONVERGENCE_FIELDS = {
    "solver",
    "method",
    "device",
    "lr",
    "tol",
    "max_iterations",
    "iterations",
    "converged",
    "residual",
    "objective_value",
    "first_order",
    "exact_gap",
}


def _invoke(*args: str):
    return runner.invoke(app, ["optimize", *DATA, *args])


def _text(result) -> str:
    return " ".join(result.output.split())


@pytest.fixture(scope="module")
def slsqp_min_variance() -> dict[str, float]:
    long = load_dataset("coingecko-daily", symbols=ASSETS, start="2022-01-01", end="2022-12-31")
    close = long.pivot(index="timestamp", columns="symbol", values="close")[ASSETS]
    cov = (close / close.shift(1) - 1).iloc[1:].cov().to_numpy() * 365
    res = minimize(
        lambda w: w @ cov @ w,
        np.full(4, 0.25),
        jac=lambda w: 2 * cov @ w,
        method="SLSQP",
        bounds=[(0, 0.4)] * 4,
        constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1}],
        options={"ftol": 1e-15, "maxiter": 500},
    )
    return dict(zip(ASSETS, res.x, strict=True)) | {"variance": float(res.fun)}


def test_gradient_json_is_the_optimize_record_with_its_convergence_report(slsqp_min_variance):
    res = _invoke(*GRADIENT, "--max-weight", "0.4", "--format", "json")
    assert res.exit_code == 0, res.output
    record = json.loads(res.stdout)
    conv = record.pop("convergence")
    assert set(record) >= {"objective", "weights", "expected_return", "volatility", "sharpe"}
    assert record["objective"] == "min-variance"
    assert set(conv) == CONVERGENCE_FIELDS
    assert conv["solver"] == "gradient" and conv["converged"] is True
    assert conv["lr"] == 0.05 and conv["max_iterations"] == 2000 and conv["method"] == "adam"
    assert conv["residual"] <= conv["tol"] == 1e-9
    assert conv["first_order"]["budget"] < 1e-12 and conv["first_order"]["bounds"] == 0.0
    assert abs(conv["exact_gap"]) <= 1e-6
    assert conv["objective_value"] == pytest.approx(slsqp_min_variance["variance"], abs=1e-6)
    assert record["volatility"] ** 2 == pytest.approx(conv["objective_value"], rel=1e-9)
    for asset in ASSETS:
        assert record["weights"][asset] == pytest.approx(slsqp_min_variance[asset], abs=1e-4)


def test_gradient_table_shows_the_convergence_report():
    res = _invoke(*GRADIENT, "--max-weight", "0.4", "--tol", "1e-8")
    assert res.exit_code == 0, res.output
    text = _text(res)
    assert "min-variance portfolio" in text
    assert "gradient solver: convergence" in text
    assert "(tol 1e-08)" in text and "objective gap to the exact solver" in text


def test_gradient_max_utility_and_method_options_reach_the_engine():
    res = _invoke(
        "--solver", "gradient", "--objective", "max-utility", "--risk-aversion", "2",
        "--gradient-method", "gd", "--lr", "0.2", "--iterations", "5000", "--format", "json",
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    conv = json.loads(res.stdout)["convergence"]
    assert conv["method"] == "gd" and conv["lr"] == 0.2 and conv["converged"]
    assert abs(conv["exact_gap"]) <= 1e-6


def test_a_non_converged_answer_is_an_error_not_a_portfolio():
    res = _invoke("--solver", "gradient", "--iterations", "5", "--format", "json")
    assert res.exit_code == 2
    assert res.stdout == ""
    text = _text(res)
    assert "did not converge in 5 iterations" in text and "raise --iterations" in text


def test_a_learning_rate_too_large_is_an_error_naming_lr():
    res = _invoke("--solver", "gradient", "--lr", "1e6", "--iterations", "100", "--format", "json")
    assert res.exit_code == 2 and res.stdout == ""
    assert "change --lr (now 1e+06" in _text(res)


def test_infeasible_constraints_are_a_clear_error():
    res = _invoke("--solver", "gradient", "--max-weight", "0.2")
    assert res.exit_code == 2
    assert "upper bounds sum to 0.8 < budget 1" in _text(res)


def test_an_objective_the_engine_does_not_take_names_the_alternatives():
    res = _invoke("--solver", "gradient", "--objective", "min-cvar")
    assert res.exit_code == 2
    text = _text(res)
    assert "min-variance, max-sharpe, max-utility" in text and "--solver exact" in text


def test_gradient_options_without_the_gradient_solver_are_refused():
    res = _invoke("--lr", "0.1", "--iterations", "10")
    assert res.exit_code == 2
    assert "--lr, --iterations only apply to the gradient solver" in _text(res)


def test_bad_option_values_name_the_flag():
    res = _invoke("--solver", "gradient", "--lr", "-1")
    assert res.exit_code == 2 and "--lr: learning rate must be a positive number" in _text(res)
    res = _invoke("--solver", "gradient", "--tol", "0")
    assert res.exit_code == 2 and "--tol: tol must be a positive number" in _text(res)


def test_a_missing_torch_says_which_extra_to_install(monkeypatch):
    for name in list(sys.modules):
        gradient_module = name.startswith("cryptofolio.optimize.gradient.")
        if gradient_module and not name.endswith(".spec"):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` raises ImportError
    res = _invoke("--solver", "gradient")
    assert res.exit_code == 2
    text = _text(res)
    assert "needs PyTorch" in text and 'pip install "cryptofolio[gradient]"' in text


def test_help_lists_the_solver_options():
    res = runner.invoke(app, ["optimize", "--help"])
    assert res.exit_code == 0
    for flag in ("--solver", "--lr", "--iterations", "--tol", "--gradient-method", "--device"):
        assert flag in res.output
