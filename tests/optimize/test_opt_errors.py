"""Every bad input gets an InfeasibleError/EstimationError whose message says what to fix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _opt_problems import make_problem

from cryptofolio.errors import CryptofolioError, EstimationError, InfeasibleError
from cryptofolio.optimize import Constraints, efficient_frontier, optimize_portfolio

COV, MU, R = make_problem(5, seed=0)


@pytest.mark.parametrize(
    ("cons", "pattern"),
    [
        (Constraints(max_weight=0.1), r"upper bounds sum to 0.5 < budget 1"),
        (Constraints(min_weight=0.3), r"lower bounds sum to 1.5 > budget 1"),
        (Constraints(min_weight=0.5, max_weight=0.2), r"min_weight 0.5 > max_weight 0.2"),
        (Constraints(bounds={"C1": (0.4, 0.2)}), r"bounds of C1: lower 0.4 > upper 0.2"),
        (Constraints(bounds={"XRP": (0.0, 0.2)}), r"XRP, which are not among the assets"),
        (
            Constraints(budget=1.0, min_weight=-1, gross_exposure=0.5),
            r"gross_exposure 0.5 < \|budget\| 1",
        ),
        (
            Constraints(budget=0.0, min_weight=0.1, max_weight=1, gross_exposure=0.2),
            r"lower bounds sum",
        ),
        (
            Constraints(budget=1.0, min_weight=-1, max_weight=0.1, gross_exposure=1.2),
            r"upper bounds sum",
        ),
        (Constraints(l2=-1.0), r"l2 regularisation must be"),
    ],
)
def test_infeasible_constraints_named(cons, pattern):
    with pytest.raises(InfeasibleError, match=pattern):
        optimize_portfolio(COV, MU, constraints=cons)


def test_min_gross_above_cap_is_named():
    cons = Constraints(
        budget=0.0, min_weight=-1, max_weight=1, bounds={"C0": (0.5, 1.0)}, gross_exposure=0.8
    )
    with pytest.raises(InfeasibleError, match=r"gross_exposure 0.8 is below 1, the least sum"):
        optimize_portfolio(COV, MU, constraints=cons)


def test_max_sharpe_without_asset_above_risk_free():
    with pytest.raises(InfeasibleError, match=r"above the risk-free rate 50.*best asset C\d"):
        optimize_portfolio(COV, MU, objective="max-sharpe", risk_free_rate=50.0)


def test_efficient_return_target_above_range_states_range():
    with pytest.raises(InfeasibleError, match=r"target return 100 is above .* range is \[") as e:
        optimize_portfolio(COV, MU, objective="efficient-return", target_return=100.0)
    assert f"{MU.max():g}" in str(e.value)


def test_efficient_risk_target_below_range_states_range():
    with pytest.raises(InfeasibleError, match=r"below the minimum attainable .* range is \["):
        optimize_portfolio(COV, MU, objective="efficient-risk", target_volatility=0.001)


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"objective": "efficient-return"}, "needs target_return"),
        ({"objective": "efficient-risk"}, "needs target_volatility"),
        ({"objective": "max-utility", "risk_aversion": -1.0}, "risk_aversion must be"),
        ({"objective": "min-cvar", "returns": R, "cvar_alpha": 1.5}, "cvar_alpha must lie"),
        ({"max_turnover": 0.1}, "max_turnover needs previous_weights"),
        ({"transaction_cost": -0.01}, "transaction_cost must be"),
    ],
)
def test_bad_parameters(kwargs, pattern):
    with pytest.raises(InfeasibleError, match=pattern):
        optimize_portfolio(COV, MU, **kwargs)


def test_turnover_cap_too_small_is_named():
    prev = pd.Series([0.0, 0.0, 0.0, 0.0, 0.5], index=COV.columns)  # sums to 0.5
    with pytest.raises(InfeasibleError, match=r"max_turnover 0.1 is too small.*at least 0.5"):
        optimize_portfolio(COV, MU, previous_weights=prev, max_turnover=0.1)


def test_missing_and_nan_inputs_named():
    with pytest.raises(EstimationError, match="expected returns are required"):
        optimize_portfolio(COV, objective="max-sharpe")
    with pytest.raises(EstimationError, match="missing for C4"):
        optimize_portfolio(COV, MU.drop("C4"), objective="max-sharpe")
    bad = COV.copy()
    bad.iloc[2, 2] = np.nan
    with pytest.raises(EstimationError, match="NaN/inf entries for C2"):
        optimize_portfolio(bad)
    with pytest.raises(EstimationError, match="needs the periodic returns"):
        optimize_portfolio(COV, objective="min-cvar")
    r = R.copy()
    r.iloc[3, 1] = np.nan
    with pytest.raises(EstimationError, match=r"NaN/inf .*assets C1"):
        optimize_portfolio(COV, objective="min-semivariance", returns=r)
    with pytest.raises(EstimationError, match="square"):
        optimize_portfolio(COV.iloc[:, :3])


def test_frontier_points_must_be_at_least_two():
    with pytest.raises(InfeasibleError, match="points must be an integer >= 2"):
        efficient_frontier(COV, MU, points=1)


def test_errors_are_cryptofolio_errors():
    assert issubclass(InfeasibleError, CryptofolioError)
