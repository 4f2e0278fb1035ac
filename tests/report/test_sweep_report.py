"""The sweep's heatmap and HTML section."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cryptofolio.backtest import BacktestConfig, SweepSpec, run_sweep
from cryptofolio.backtest.sweep import ValidationSpec
from cryptofolio.data import Panels
from cryptofolio.errors import CryptofolioError
from cryptofolio.report.sweep_report import heatmap_grid, plot_sweep_heatmap, write_sweep_report


@pytest.fixture(scope="module")
def result():
    rng = np.random.default_rng(3)
    index = pd.date_range("2021-01-01", periods=240, freq="D", tz="UTC", name="timestamp")
    close = pd.DataFrame(
        100 * np.exp(np.cumsum(rng.normal(0, 0.02, size=(240, 3)), axis=0)),
        index=index,
        columns=["A", "B", "C"],
    )
    panels = Panels(
        close=close,
        volume=close * 0 + 1e12,
        market_cap=close * 1e6,
        open=close,
        high=close,
        low=close,
    )
    spec = SweepSpec(
        {"lookback": [20, 40], "objective": ["min-variance", "equal-weight"], "fee_bps": [5, 10]},
        backtest=BacktestConfig(start="2021-02-15"),
        validation=ValidationSpec(folds=3, cscv_blocks=4),
    )
    return run_sweep(spec, panels)


def test_heatmap_cells_are_means_over_the_other_parameters(result, tmp_path):
    grid, averaged = heatmap_grid(result, "lookback", "objective")
    assert averaged  # fee_bps varies too
    table = result.configurations
    for objective in ("min-variance", "equal-weight"):
        for lookback in (20, 40):
            rows = table[(table["objective"] == objective) & (table["lookback"] == lookback)]
            assert len(rows) == 2
            assert grid.loc[objective, lookback] == pytest.approx(rows["oos_sharpe"].mean())
    path = tmp_path / "h.png"
    plot_sweep_heatmap(result, "lookback", "objective", path)
    assert path.read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(CryptofolioError, match="was not swept; choose two of: lookback"):
        heatmap_grid(result, "lookback", "l2")


def test_html_section(result, tmp_path):
    path = write_sweep_report(result, tmp_path / "r" / "sweep.html")
    page = path.read_text()
    assert page.count("<tr><td>") == len(result.configurations)
    assert "not distinguishable from luck".lower() in page.lower()
    assert "plotly" in page
