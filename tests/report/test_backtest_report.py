"""The backtest HTML report: the quantstats-style sections, plotly.js once (inline or CDN),
readable log ticks, grouped events, cash's colour; the notebook helpers of the result
(``plot()``, float metric frames)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes

from cryptofolio.backtest import BacktestConfig, make_strategy, run_backtest
from cryptofolio.backtest.plotting import log_ticks, short_number
from cryptofolio.data import Panels
from cryptofolio.errors import CryptofolioError
from cryptofolio.report.backtest_report import (
    CASH_COLOR,
    ReportOptions,
    backtest_report_html,
    btc_daily_returns,
    weights_figure,
    write_backtest_report,
)
from cryptofolio.report.events import grouped_events, message_template
from cryptofolio.report.html_page import PlotlyJs

BUNDLE_MARK = "plotly.js v"  # the banner comment at the top of the plotly.js bundle


@pytest.fixture(scope="module")
def close() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    index = pd.date_range("2021-01-01", periods=420, freq="D", tz="UTC", name="timestamp")
    return pd.DataFrame(
        100 * np.exp(np.cumsum(rng.normal(0.0005, 0.03, size=(420, 3)), axis=0)),
        index=index,
        columns=["BTC", "ETH", "SOL"],
    )


@pytest.fixture(scope="module")
def result(close):
    panels = Panels(
        close=close,
        volume=close * 0 + 1e12,
        market_cap=close * 1e6,
        open=close,
        high=close,
        low=close,
    )
    config = BacktestConfig(rebalance="7d", lookback=30, start="2021-03-01")
    strategies = [make_strategy("min-variance"), make_strategy("equal-weight")]
    return run_backtest(panels, [*strategies, make_strategy("btc-hold")], config)


def test_report_has_the_quantstats_sections_and_one_bundle(result, close, tmp_path):
    path = write_backtest_report(result, tmp_path / "r.html", options=ReportOptions(prices=close))
    page = path.read_text(encoding="utf-8")
    for heading in (
        "Worst 10 drawdowns",
        "Monthly returns: min-variance",
        "Yearly returns",
        "Distribution of daily returns",
        "Rolling volatility and beta to BTC",
        "Correlation",
    ):
        assert f"<h2>{heading}</h2>" in page
    assert page.count(BUNDLE_MARK) == 1
    assert 'src="https://cdn.plot.ly' not in page


def test_cdn_report_is_small_and_links_plotly(result):
    inline = backtest_report_html(result)
    cdn = backtest_report_html(result, options=ReportOptions(plotly=PlotlyJs.CDN))
    assert BUNDLE_MARK not in cdn
    assert (
        len(
            re.findall(
                r'<script charset="utf-8" src="https://cdn\.plot\.ly/plotly-[0-9.]+\.min\.js"', cdn
            )
        )
        == 1
    )
    assert len(inline) - len(cdn) > 3_000_000  # the bundle, written once, is the difference


def test_beta_to_btc_from_prices_or_the_btc_hold_strategy(result, close):
    from_prices = btc_daily_returns(result, close)
    from_strategy = btc_daily_returns(result, None)
    common = from_prices.index.intersection(from_strategy.index)[5:]  # after the first trade
    np.testing.assert_allclose(from_prices[common], from_strategy[common], atol=1e-12)


def test_log_ticks_are_one_two_five():
    assert log_ticks(800, 60_000) == [1000, 2000, 5000, 10_000, 20_000, 50_000]
    assert short_number(20_000) == "20k" and short_number(2.5e6) == "2.5M"
    assert short_number(500) == "500"
    wide = log_ticks(1, 1e9)
    assert wide == [10.0**k for k in range(10)]  # decades only past 12 ticks
    assert len(log_ticks(9_500, 9_800)) >= 2  # a narrow range still gets two ticks


def test_equity_axis_uses_the_readable_ticks(result):
    page = backtest_report_html(result, options=ReportOptions(plotly=PlotlyJs.CDN))
    assert '"ticktext":["' in page and '"type":"log"' in page


def test_cash_has_its_own_colour(result):
    fig = weights_figure(result)
    colours = {t.name: t.line.color for t in fig.data}
    assert colours["cash"] == CASH_COLOR
    assert all(c != CASH_COLOR for name, c in colours.items() if name != "cash")


def test_repeated_messages_are_grouped_with_their_dates():
    dates = pd.date_range("2022-01-03", periods=18, freq="7D", tz="UTC")
    events = pd.DataFrame(
        {
            "timestamp": dates,
            "strategy": "max-sharpe",
            "asset": "",
            "event": "fallback",
            "detail": [
                f"highest attainable is {-0.1 - k / 100:g}; use min-variance" for k in range(18)
            ],
        }
    )
    other = events.iloc[:2].assign(detail="solver failed")
    groups = grouped_events(pd.concat([events, other], ignore_index=True))
    assert list(groups["count"]) == [18, 2]
    assert groups.iloc[0]["dates"] == list(dates)
    assert groups.iloc[0]["varies"] and not groups.iloc[1]["varies"]
    assert message_template("is -0.135209 (BNB: 1e-05)") == "is # (BNB: #)"


def test_metric_frame_is_numeric(result):
    table = result.metrics()
    assert not any(d == np.dtype(object) for d in table.dtypes)
    assert table["sharpe"].dtype == "float64"
    assert str(table["max_drawdown_peak"].dtype).startswith("datetime64")
    assert table["rebalances"].dtype == "int64"


def test_plot_returns_axes(result):
    for kind in ("equity", "drawdown", "weights"):
        ax = result.plot(kind)
        assert isinstance(ax, Axes)
        assert ax.get_title()
    ax = result.plot()
    assert len(ax.get_lines()) == len(result.strategies)
    assert ax.get_yscale() == "log"
    with pytest.raises(CryptofolioError, match="plot kind"):
        result.plot("pie")
