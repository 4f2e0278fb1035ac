"""Black-Litterman inside a backtest: the prior's market caps are point in time (a decision
reads no cap of its own row or later), the decision equals PyPortfolioOpt's posterior on the
caps of the row before, views on assets not yet eligible are left out with a note."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from bt_frames import daily_index, panels_from_close

from cryptofolio.backtest import BacktestConfig, make_strategy, run_backtest
from cryptofolio.backtest.strategies import StrategyNote
from cryptofolio.errors import BacktestError, EstimationError
from cryptofolio.estimate import BlackLittermanViews, ExpectedReturnsMethod
from cryptofolio.estimate.views import make_views
from cryptofolio.optimize import PortfolioConfig, build_portfolio

ASSETS = ["A", "B", "C"]
LOOKBACK = 60
VIEWS = make_views(absolute={"C": (0.40, 60), "A": (0.10, 25)}, relative=[("B", "A", 0.05, 90)])


@pytest.fixture(scope="module")
def market() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Closes with an upward drift (a positive market premium in every window) and caps that
    move apart from the prices (supply changes)."""
    rng = np.random.default_rng(11)
    n = 200
    rets = rng.normal([0.006, 0.005, 0.007], [0.02, 0.025, 0.03], size=(n, 3))
    index = daily_index(n)
    close = pd.DataFrame(100 * np.exp(np.cumsum(rets, axis=0)), index=index, columns=ASSETS)
    supply = np.exp(np.cumsum(rng.normal(0, 0.01, size=(n, 3)), axis=0)) * [5e6, 2e6, 1e6]
    return close, close * supply


def _config(delta: float | None) -> PortfolioConfig:
    return PortfolioConfig(
        objective="max-sharpe",
        expected_returns=ExpectedReturnsMethod.BLACK_LITTERMAN,
        black_litterman=BlackLittermanViews(VIEWS, market_risk_aversion=delta),
    )


def _targets(close: pd.DataFrame, caps: pd.DataFrame, delta: float | None) -> pd.DataFrame:
    strategy = make_strategy("max-sharpe", config=_config(delta))
    config = BacktestConfig(rebalance="7d", lookback=LOOKBACK, start=str(close.index[70].date()))
    result = run_backtest(panels_from_close(close, market_cap=caps), [strategy], config)
    return result.strategies["max-sharpe"].targets


@pytest.mark.parametrize("delta", [2.5, None])
def test_a_decision_reads_no_cap_of_its_row_or_later(market, delta):
    close, caps = market
    base = _targets(close, caps, delta)
    cut = base.index[len(base) // 2]
    perturbed = caps.copy()
    perturbed.loc[perturbed.index >= cut, "C"] *= 5.0  # C's cap from the decision row on
    moved = _targets(close, perturbed, delta)
    before = base.index < cut
    at = base.index <= cut
    pd.testing.assert_frame_equal(moved.loc[at], base.loc[at])  # the decision at `cut` too
    # the caps matter: the decisions after the cut move (so the test can fail)
    assert np.abs(moved.loc[~at].to_numpy() - base.loc[~at].to_numpy()).max() > 1e-3
    assert before.sum() > 3


def test_the_decision_equals_pyportfolioopt_on_the_previous_rows_caps(market):
    """At one rebalance: PyPortfolioOpt's BlackLittermanModel (Idzorek) on the window's
    sample covariance, the caps of the last row before the decision, δ from the cap-weighted
    proxy (pypfopt's market_implied_risk_aversion of the proxy's price path); max-sharpe on
    that posterior gives the strategy's decision."""
    from pypfopt import BlackLittermanModel
    from pypfopt.black_litterman import market_implied_risk_aversion

    close, caps = market
    targets = _targets(close, caps, None)
    date = targets.index[5]
    i = close.index.get_loc(date)
    window = close.iloc[i - LOOKBACK : i]
    rets = window.pct_change().iloc[1:]
    previous_caps = caps.iloc[i - LOOKBACK : i - 1].to_numpy()
    proxy = (previous_caps / previous_caps.sum(axis=1, keepdims=True) * rets.to_numpy()).sum(1)
    delta = market_implied_risk_aversion(
        pd.Series(np.cumprod(np.r_[1.0, 1.0 + proxy])), frequency=365, risk_free_rate=0.0
    )
    bl = BlackLittermanModel(
        rets.cov() * 365,
        pi="market",
        market_caps=caps.iloc[i - 1],
        risk_aversion=delta,
        Q=np.array([0.40, 0.10, 0.05]),
        P=np.array([[0, 0, 1], [1, 0, 0], [-1, 1, 0]], dtype=float),
        omega="idzorek",
        view_confidences=[0.60, 0.25, 0.90],
        tau=0.05,
    )
    mu = bl.bl_returns()
    expected = build_portfolio(window, PortfolioConfig(objective="max-sharpe"), expected_returns=mu)
    got = targets.loc[date, ASSETS].astype(float)
    np.testing.assert_allclose(got.to_numpy(), expected.weights[ASSETS].to_numpy(), atol=1e-9)


def test_views_on_assets_not_yet_eligible_are_left_out_with_a_note(market):
    close, caps = market
    late = close.copy()
    late.iloc[:100, 2] = np.nan  # C lists on day 100: not eligible before day 160
    strategy = make_strategy("max-sharpe", config=_config(2.5))
    config = BacktestConfig(rebalance="7d", lookback=LOOKBACK, start=str(close.index[70].date()))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run_backtest(panels_from_close(late, market_cap=caps), [strategy], config)
    notes = {str(w.message) for w in caught if issubclass(w.category, StrategyNote)}
    assert notes == {
        "max-sharpe: view C left out at the rebalances where one of its assets is not "
        "eligible (no full clean lookback yet)"
    }
    targets = result.strategies["max-sharpe"].targets
    assert targets["C"].iloc[0] == 0 or np.isnan(targets["C"].iloc[0])
    assert targets["C"].iloc[-1] > 0


def test_views_on_assets_outside_the_data_are_refused(market):
    close, caps = market
    views = make_views(absolute={"SOL": 0.4})
    cfg = PortfolioConfig(
        objective="max-sharpe",
        expected_returns="black-litterman",
        black_litterman=BlackLittermanViews(views, market_risk_aversion=2.0),
    )
    with pytest.raises(BacktestError, match=r"the views name SOL, not in the backtest data"):
        run_backtest(
            panels_from_close(close, market_cap=caps),
            [make_strategy("max-sharpe", config=cfg)],
            BacktestConfig(lookback=LOOKBACK),
        )


# ----------------------------------------------------------------------- the library path


def test_build_portfolio_reads_no_cap_after_the_window(market):
    close, caps = market
    window = close.iloc[40:100]
    got = build_portfolio(window, _config(None), market_caps=caps)
    later = caps.copy()
    later.loc[later.index > window.index[-1]] *= np.array([0.1, 3.0, 7.0])
    same = build_portfolio(window, _config(None), market_caps=later)
    pd.testing.assert_series_equal(same.weights, got.weights)
    earlier = caps.copy()
    earlier.loc[window.index[-1], "C"] *= 7.0  # the decision row's caps are the prior's
    assert (
        build_portfolio(window, _config(None), market_caps=earlier).weights - got.weights
    ).abs().max() > 1e-3


def test_black_litterman_config_errors(market):
    close, _ = market
    with pytest.raises(EstimationError, match="expected_returns is 'mean'"):
        PortfolioConfig(black_litterman=BlackLittermanViews(VIEWS))
    with pytest.raises(EstimationError, match="needs views"):
        build_portfolio(
            close, PortfolioConfig(objective="max-sharpe", expected_returns="black-litterman")
        )
    with pytest.raises(EstimationError, match="need the market caps"):
        build_portfolio(close, _config(2.0))
    with pytest.raises(EstimationError, match="tau must be a positive number"):
        BlackLittermanViews(VIEWS, tau=0.0)


def test_objectives_without_expected_returns_need_no_posterior(market):
    """min-variance ignores the views: no caps are read (none given) and its weights are those
    of the mean estimate's configuration; its expected return is not reported."""
    close, _ = market
    views = PortfolioConfig(
        expected_returns="black-litterman", black_litterman=BlackLittermanViews(VIEWS)
    )
    got = build_portfolio(close, views)
    plain = build_portfolio(close, PortfolioConfig())
    pd.testing.assert_series_equal(got.weights, plain.weights)
    assert np.isnan(got.expected_return)
