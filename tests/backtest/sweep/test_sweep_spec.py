"""The sweep grid: parameter names, values, TOML files, sampling, stable keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from cryptofolio.backtest import BacktestConfig
from cryptofolio.backtest.sweep import (
    SweepParameter,
    SweepSpec,
    configuration_key,
    load_grid,
    parse_param,
)
from cryptofolio.errors import BacktestError

EXAMPLE = Path(__file__).parents[3] / "examples" / "sweep.toml"


def test_unknown_parameter_lists_the_valid_ones():
    with pytest.raises(BacktestError, match="unknown sweep parameter 'gamma'") as info:
        SweepSpec({"gamma": [0.1]})
    for p in SweepParameter:
        assert p.value in str(info.value)


def test_empty_grid_and_empty_values():
    with pytest.raises(BacktestError, match="grid is empty"):
        SweepSpec({})
    with pytest.raises(BacktestError, match="'lookback' has no values"):
        SweepSpec({"lookback": []})
    with pytest.raises(BacktestError, match="has no values"):
        parse_param("lookback=")
    with pytest.raises(BacktestError, match="expected NAME=V1,V2"):
        parse_param("lookback")


@pytest.mark.parametrize(
    ("grid", "match"),
    [
        ({"objective": ["max-sharp"]}, "use one of min-variance"),
        ({"lookback": [1]}, "whole number of rows >= 2"),
        ({"lookback": [90, 90.0]}, "repeats value"),
        ({"max_weight": [0]}, "> 0"),
        ({"rebalance": ["fortnightly"]}, "rebalance"),
        ({"slippage": ["fixed:-1"]}, "fixed:BPS"),
        ({"risk_model": ["ledoit"]}, "ledoit-wolf"),
    ],
)
def test_bad_values_say_what_is_valid(grid, match):
    with pytest.raises(BacktestError, match=match):
        SweepSpec(grid)


def test_values_are_normalised_and_names_accept_hyphens():
    spec = SweepSpec({"max-weight": ["0.5", 1], "lookback": ["90"], "objective": ["MAX-SHARPE"]})
    assert spec.grid == (
        ("max_weight", (0.5, 1.0)),
        ("lookback", (90,)),
        ("objective", ("max-sharpe",)),
    )
    assert spec.size == 2
    assert spec.configurations() == [
        {"max_weight": 0.5, "lookback": 90, "objective": "max-sharpe"},
        {"max_weight": 1.0, "lookback": 90, "objective": "max-sharpe"},
    ]


def test_keys_do_not_depend_on_what_was_swept():
    base = BacktestConfig(lookback=180)
    swept = SweepSpec({"lookback": [90, 180]}, backtest=base)
    other = SweepSpec({"fee_bps": [10.0]}, backtest=base)
    key = configuration_key(swept.resolved(swept.configurations()[1]))
    assert key == configuration_key(other.resolved(other.configurations()[0]))
    assert key != configuration_key(swept.resolved(swept.configurations()[0]))


def test_random_sample_is_seeded_and_drawn_from_a_huge_grid():
    grid = {"lookback": list(range(2, 1002)), "l2": [i / 10 for i in range(1000)]}
    spec = SweepSpec(grid, sampling="random", samples=5, seed=1)
    assert spec.grid_size == 1_000_000
    picked = spec.configurations()
    assert picked == SweepSpec(grid, sampling="random", samples=5, seed=1).configurations()
    assert len({tuple(c.items()) for c in picked}) == 5
    assert all(c["lookback"] in grid["lookback"] and c["l2"] in grid["l2"] for c in picked)
    with pytest.raises(BacktestError, match="exceed the 2 configurations"):
        SweepSpec({"lookback": [90, 180]}, sampling="random", samples=3)


def test_example_toml_file():
    loaded = load_grid(EXAMPLE)
    names = [n for n, _ in loaded.grid]
    assert names == ["objective", "lookback", "l2", "max_weight"]
    assert loaded.validation["method"] == "walk-forward"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("[grid]\nlookback = [90]\n[extra]\nx = 1\n", "unknown table"),
        ("[grid]\nlookbak = [90]\n", "unknown sweep parameter 'lookbak'"),
        ("[sampling]\nsamples = 3\n", "no \\[grid\\]"),
        ("[grid]\nlookback = [90]\n[validation]\nfold = 3\n", "unknown \\[validation\\] key"),
        ("[grid\n", "not valid TOML"),
    ],
)
def test_bad_toml_files(read_error, text, match):
    read_error(load_grid, "sweep.toml", text, BacktestError, match)


def test_missing_toml_file(read_error):
    read_error(load_grid, "nope.toml", None, BacktestError, "does not exist")
