"""The shared optimiser options (``cli/portfolio_options.py``): the command-line contract of the
five commands that take them, the config they build, and their reaching ``lstm-mvo``.

The expected option lists below were recorded from ``--help`` before the options were
declared once (they used to be repeated in every command's signature); they are literals, not
derived from the code under test.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import re
from types import SimpleNamespace

import pytest
import typer
import typer.rich_utils
from typer.testing import CliRunner

import cryptofolio.backtest as backtest_module
import cryptofolio.backtest.strategies as strategies_module
import cryptofolio.cli.backtest_cmd as backtest_cmd
import cryptofolio.cli.optimize_cmd as optimize_cmd
import cryptofolio.cli.trade_cmd as trade_cmd
import cryptofolio.trade.investment as investment_module
from cryptofolio.cli import app
from cryptofolio.cli.portfolio_options import (
    PortfolioOption,
    apply_given_options,
    portfolio_config,
    with_portfolio_options,
)
from cryptofolio.errors import CryptofolioError
from cryptofolio.estimate import ExpectedReturnsMethod, ReturnsKind, RiskModel
from cryptofolio.optimize import Constraints, Objective, PortfolioConfig

runner = CliRunner()

DATA = [
    "--dataset",
    "--prices",
    "--assets",
    "--start",
    "--end",
    "--data-dir",
    "--encoding",
    "--clean",
]
ALL_SHARED = [
    "--returns",
    "--periods-per-year",
    "--objective",
    "--risk-model",
    "--expected-returns",
    "--risk-free-rate",
    "--risk-aversion",
    "--risk-tolerance",
    "--target-return",
    "--target-volatility",
    "--min-weight",
    "--max-weight",
    "--bounds",
    "--gross-exposure",
    "--net-exposure",
    "--l2",
    "--cvar-alpha",
]
FRONTIER_SHARED = [
    "--returns",
    "--periods-per-year",
    "--risk-model",
    "--expected-returns",
    "--risk-free-rate",
    "--min-weight",
    "--max-weight",
    "--bounds",
    "--gross-exposure",
    "--net-exposure",
    "--l2",
]
BACKTEST_SHARED = [o for o in ALL_SHARED if o != "--objective"]
ALLOCATOR = [
    "--linkage",
    "--distance",
    "--leaf-order",
    "--cluster-risk",
    "--clusters",
    "--risk-budget",
]

#: Every option of each command, in --help order (recorded before the refactoring).
EXPECTED_OPTIONS: dict[str, list[str]] = {
    "optimize": [
        *DATA,
        *ALL_SHARED,
        *ALLOCATOR,
        "--solver",
        "--lr",
        "--iterations",
        "--tol",
        "--gradient-method",
        "--device",
        "--format",
        "--plot",
        "--dendrogram",
        "--exclude-pow-risk",
        "--views",
        "--tau",
        "--market-risk-aversion",
        "--config",
    ],
    "frontier": [
        *DATA,
        *FRONTIER_SHARED,
        "--points",
        "--random",
        "--resample",
        "--resample-method",
        "--format",
        "--plot",
        "--config",
    ],
    "backtest": [
        *DATA,
        "--strategies",
        *BACKTEST_SHARED,
        *ALLOCATOR,
        "--rebalance",
        "--lookback",
        "--window",
        "--fee-bps",
        "--maker-fee-bps",
        "--fee-side",
        "--slippage",
        "--impact-coefficient",
        "--min-notional",
        "--zero-volume",
        "--initial-capital",
        "--on-failure",
        "--turnover-penalty",
        "--max-turnover",
        "--market-cap-max-weight",
        "--fixed-weights",
        "--normalize-weights",
        "--views",
        "--tau",
        "--market-risk-aversion",
        "--format",
        "--output-dir",
        "--file-format",
        "--report",
        "--plotly",
        "--returns-csv",
        "--exclude-pow-risk",
        "--config",
    ],
    "rebalance": [
        "--exchange",
        "--market",
        "--holdings",
        "--quote",
        *DATA,
        *ALL_SHARED,
        *ALLOCATOR,
        "--min-trade",
        "--dust",
        "--fee-bps",
        "--slippage",
        "--slippage-bps",
        "--testnet",
        "--execute",
        "--yes",
        "--run-id",
        "--keys-file",
        "--views",
        "--tau",
        "--market-risk-aversion",
        "--format",
        "--config",
    ],
    "allocate": [
        "--value",
        *DATA,
        *ALL_SHARED,
        *ALLOCATOR,
        "--method",
        "--step",
        "--views",
        "--tau",
        "--market-risk-aversion",
        "--format",
        "--config",
    ],
}

#: The --help row of each shared option (whitespace collapsed), recorded before the refactoring.
EXPECTED_ROWS: dict[str, str] = {
    "--returns": "<simple|log> Periodic returns: simple or log. [default: simple]",
    "--periods-per-year": "<float> Annualisation factor; default inferred (365 daily, 8760 "
    "hourly). 252 for equities.",
    "--objective": "<min-variance|max-sharpe|max-utility|efficient-return|efficient-risk|"
    "min-semivariance|max-sortino|min-cvar|risk-parity|hrp|herc> What to optimise (hrp, herc, "
    "risk-parity: long-only allocations, no solver). [default: min-variance]",
    "--risk-model": "<sample|exponential|ledoit-wolf|oas|mcd|semicovariance> Covariance "
    "estimator (annualised). [default: sample]",
    "--expected-returns": "mean|compounded|ema|black-litterman|FILE Expected-return estimator "
    "(annualised), or a FILE of annualised expected returns as fractions (0.25 = +25 % a year), "
    "used as they are: the JSON that forecast predict writes (its expected_annual values) or a "
    "CSV with the header asset,return; every asset needs one. [default: mean]",
    "--risk-free-rate": "<float> Annual risk-free rate as a fraction (0.04 = 4%). [default: 0.0]",
    "--risk-aversion": "<float> Risk aversion δ of max-utility: max μ'w − (δ/2)w'Σw, larger δ "
    "less risk (PyPortfolioOpt's meaning; default 1). Not with --risk-tolerance.",
    "--risk-tolerance": "<float> Risk tolerance λ = 1/δ of max-utility: min ½w'Σw − λμ'w (the "
    "former meaning of --risk-aversion, exclusive with it).",
    "--target-return": "<float> Annual target return (fraction) for efficient-return.",
    "--target-volatility": "<float> Annual volatility cap (fraction) for efficient-risk.",
    "--min-weight": "<float> Global lower bound per asset; negative allows shorts. [default: 0.0]",
    "--max-weight": "<float> Global upper bound per asset (position limit). [default: 1.0]",
    "--bounds": "<list[str]> Per-asset bounds SYM=LO:HI, repeatable (e.g. BTC=0.1:0.5).",
    "--gross-exposure": "<float> Cap on sum |w| (with shorts).",
    "--net-exposure": "<float> Budget: sum of weights (1 fully invested, 0 neutral). "
    "[default: 1.0]",
    "--l2": "<float> L2 regularisation γ·||w||² (small weights). [default: 0.0]",
    "--cvar-alpha": "<float> CVaR confidence level, e.g. 0.95. [default: 0.95]",
}

#: A non-default value for every shared option, and the config they describe together
#: (written out by hand from the option meanings, not built by portfolio_config).
ARGS: dict[str, list[str]] = {
    "--returns": ["--returns", "log"],
    "--periods-per-year": ["--periods-per-year", "252"],
    "--objective": ["--objective", "max-sharpe"],
    "--risk-model": ["--risk-model", "ledoit-wolf"],
    "--expected-returns": ["--expected-returns", "ema"],
    "--risk-free-rate": ["--risk-free-rate", "0.04"],
    "--risk-aversion": ["--risk-aversion", "3"],
    "--risk-tolerance": [],  # exclusive with --risk-aversion: see test_risk_tolerance_...
    "--target-return": ["--target-return", "0.2"],
    "--target-volatility": ["--target-volatility", "0.5"],
    "--min-weight": ["--min-weight", "-0.1"],
    "--max-weight": ["--max-weight", "0.45"],
    "--bounds": ["--bounds", "BTC=0.1:0.4", "--bounds", "eth=:0.3"],
    "--gross-exposure": ["--gross-exposure", "1.5"],
    "--net-exposure": ["--net-exposure", "0.9"],
    "--l2": ["--l2", "0.01"],
    "--cvar-alpha": ["--cvar-alpha", "0.9"],
}


def _expected_config(options: list[str]) -> PortfolioConfig:
    """The PortfolioConfig of ``ARGS`` restricted to ``options`` (others at their defaults)."""
    given = set(options)

    def pick(option: str, value, default):
        return value if option in given else default

    bounds = {"BTC": (0.1, 0.4), "ETH": (math.nan, 0.3)} if "--bounds" in given else {}
    return PortfolioConfig(
        objective=pick("--objective", Objective.MAX_SHARPE, Objective.MIN_VARIANCE),
        risk_model=pick("--risk-model", RiskModel.LEDOIT_WOLF, RiskModel.SAMPLE),
        expected_returns=pick(
            "--expected-returns", ExpectedReturnsMethod.EMA, ExpectedReturnsMethod.MEAN
        ),
        returns_kind=pick("--returns", ReturnsKind.LOG, ReturnsKind.SIMPLE),
        constraints=Constraints(
            budget=pick("--net-exposure", 0.9, 1.0),
            min_weight=pick("--min-weight", -0.1, 0.0),
            max_weight=pick("--max-weight", 0.45, 1.0),
            bounds=bounds,
            gross_exposure=pick("--gross-exposure", 1.5, None),
            l2=pick("--l2", 0.01, 0.0),
        ),
        risk_free_rate=pick("--risk-free-rate", 0.04, 0.0),
        risk_aversion=pick("--risk-aversion", 3.0, 1.0),
        target_return=pick("--target-return", 0.2, None),
        target_volatility=pick("--target-volatility", 0.5, None),
        cvar_alpha=pick("--cvar-alpha", 0.9, 0.95),
        periods_per_year=pick("--periods-per-year", 252.0, None),
    )


def _nan_safe(config: PortfolioConfig) -> PortfolioConfig:
    """``config`` with the NaN of an open ``--bounds`` side as None, so that == compares it."""
    bounds = {
        asset: tuple(None if math.isnan(v) else v for v in pair)
        for asset, pair in config.constraints.bounds.items()
    }
    return dataclasses.replace(
        config, constraints=dataclasses.replace(config.constraints, bounds=bounds)
    )


# ----------------------------------------------------------------------- the contract


def _click_command(name: str):
    root = typer.main.get_command(app)
    return root.get_command(typer.Context(root), name)


@pytest.mark.parametrize("name", sorted(EXPECTED_OPTIONS))
def test_each_command_offers_exactly_its_options_in_order(monkeypatch, name):
    params = _click_command(name).params
    assert [p.opts[0] for p in params] == EXPECTED_OPTIONS[name]
    monkeypatch.setattr(typer.rich_utils, "MAX_WIDTH", 250)  # no wrapped option names
    help_text = runner.invoke(app, [name, "--help"]).output
    listed = re.findall(r"^│[ *]+(--[a-z0-9-]+)", help_text, flags=re.MULTILINE)
    assert listed == [*EXPECTED_OPTIONS[name], "--help"]


@pytest.mark.parametrize("name", sorted(EXPECTED_OPTIONS))
def test_shared_options_keep_their_help_rows(monkeypatch, name):
    """Type or choices, help text and shown default of every shared option, as before."""
    monkeypatch.setattr(typer.rich_utils, "MAX_WIDTH", 250)  # few wrapped rows
    help_text = runner.invoke(app, [name, "--help"]).output
    rows: dict[str, str] = {}
    current = None
    for line in help_text.splitlines():
        words = line.strip("│ ").split()
        if words and words[0].startswith("-"):
            current = words[0] if words[0] in EXPECTED_ROWS else None
            if current:
                rows[current] = " ".join(words[1:])
        elif words and current and line.startswith("│"):
            rows[current] += " " + " ".join(words)  # a wrapped row continues (both columns)
        else:
            current = None
    shared = [o for o in EXPECTED_OPTIONS[name] if o in EXPECTED_ROWS]
    # a wrapped row splits its columns (even mid-word): compare the characters of each row
    chars = lambda text: sorted("".join(text.split()))  # noqa: E731
    assert {o: chars(r) for o, r in rows.items()} == {o: chars(EXPECTED_ROWS[o]) for o in shared}
    unwrapped = {o: r for o, r in rows.items() if o != "--objective"}
    assert all(EXPECTED_ROWS[o].startswith(r.split(" ")[0]) for o, r in unwrapped.items())


# ----------------------------------------------------------------------- the config


def _config_of(monkeypatch, name: str, args: list[str]) -> PortfolioConfig:
    seen: dict = {}

    class Stop(CryptofolioError):
        pass

    def stop(*args, **kwargs):
        seen["args"], seen["kwargs"] = args, kwargs
        raise Stop("captured")

    extra: list[str] = []
    if name in ("optimize", "frontier"):
        monkeypatch.setattr(optimize_cmd, "estimation_inputs", stop)
        monkeypatch.setattr(optimize_cmd, "compute_frontier", stop)
        monkeypatch.setattr(optimize_cmd, "load_window", lambda *a: SimpleNamespace(assets=()))
    elif name == "backtest":
        monkeypatch.setattr(backtest_cmd, "build_strategies", stop)
    elif name == "rebalance":
        monkeypatch.setattr(trade_cmd, "_run_rebalance", stop)
    else:
        monkeypatch.setattr(investment_module, "target_weights", stop)
        extra = ["--value", "1000", "--assets", "BTC,ETH", "--end", "2021-03-01"]
    result = runner.invoke(app, [name, *extra, *args])
    assert "captured" in result.output, result.output
    if name == "rebalance":
        return seen["args"][0].config
    return seen["args"][2 if name == "allocate" else 1]


@pytest.mark.parametrize("name", sorted(EXPECTED_OPTIONS))
def test_options_build_the_expected_config(monkeypatch, name):
    shared = [o for o in EXPECTED_OPTIONS[name] if o in EXPECTED_ROWS]
    args = [a for opt in shared for a in ARGS[opt]]
    built = _config_of(monkeypatch, name, args)
    assert _nan_safe(built) == _nan_safe(_expected_config(shared))
    # nothing given: every option at its default
    assert _config_of(monkeypatch, name, []) == PortfolioConfig()


@pytest.mark.parametrize("name", ["optimize", "backtest", "rebalance", "allocate"])
def test_risk_tolerance_builds_its_config_and_excludes_risk_aversion(monkeypatch, name):
    built = _config_of(monkeypatch, name, ["--risk-tolerance", "0.5"])
    assert built == PortfolioConfig(risk_tolerance=0.5)
    extra = ["--value", "1"] if name == "allocate" else []
    both = ["--risk-aversion", "2", "--risk-tolerance", "0.5"]
    result = runner.invoke(app, [name, *extra, *both])
    assert result.exit_code == 2, (name, result.output)
    assert "not both" in result.output


def test_bad_bounds_is_a_one_line_error_in_every_command():
    for name in ("optimize", "frontier", "backtest", "rebalance", "allocate"):
        extra = ["--value", "1"] if name == "allocate" else []
        result = runner.invoke(app, [name, *extra, "--bounds", "BTC"])
        assert result.exit_code == 2, (name, result.output)
        assert "error: cannot parse --bounds 'BTC'" in " ".join(result.output.split())


def test_decorator_places_options_and_rejects_misuse():
    seen = {}

    @with_portfolio_options(exclude={PortfolioOption.OBJECTIVE, PortfolioOption.CVAR_ALPHA})
    def command(first: int = 1, *, config: PortfolioConfig, last: str = "x") -> None:
        seen.update(first=first, config=config, last=last)

    names = list(inspect.signature(command).parameters)
    assert names[0] == "first" and names[-2:] == ["last", "config_file"]  # --config appended
    assert names[1:-2] == [
        o.value
        for o in PortfolioOption
        if o not in (PortfolioOption.OBJECTIVE, PortfolioOption.CVAR_ALPHA)
    ]
    command(first=2, max_weight=0.5, last="y")
    assert seen == {
        "first": 2,
        "config": PortfolioConfig(constraints=Constraints(max_weight=0.5)),
        "last": "y",
    }
    with pytest.raises(TypeError, match="keyword-only 'config'"):

        @with_portfolio_options()
        def no_config(x: int = 1) -> None: ...

    with pytest.raises(TypeError, match=r"named like optimiser options \['l2'\]"):

        @with_portfolio_options()
        def clash(*, config: PortfolioConfig, l2: float = 0.0) -> None: ...


def test_apply_given_options_matches_portfolio_config_field_by_field():
    """Each option, given alone, moves exactly the field that portfolio_config sets for it."""
    values = {
        PortfolioOption.RETURNS: ReturnsKind.LOG,
        PortfolioOption.PERIODS_PER_YEAR: 252.0,
        PortfolioOption.OBJECTIVE: Objective.MAX_SHARPE,
        PortfolioOption.RISK_MODEL: RiskModel.OAS,
        PortfolioOption.EXPECTED_RETURNS: ExpectedReturnsMethod.EMA,
        PortfolioOption.RISK_FREE_RATE: 0.03,
        PortfolioOption.RISK_AVERSION: 2.0,
        PortfolioOption.RISK_TOLERANCE: 0.5,
        PortfolioOption.TARGET_RETURN: 0.1,
        PortfolioOption.TARGET_VOLATILITY: 0.4,
        PortfolioOption.MIN_WEIGHT: -0.2,
        PortfolioOption.MAX_WEIGHT: 0.6,
        PortfolioOption.BOUNDS: ["BTC=0.1:0.2"],
        PortfolioOption.GROSS_EXPOSURE: 1.4,
        PortfolioOption.NET_EXPOSURE: 0.0,
        PortfolioOption.L2: 0.05,
        PortfolioOption.CVAR_ALPHA: 0.99,
    }
    assert set(values) == set(PortfolioOption)
    for option, value in values.items():
        alone = portfolio_config(**{option.value: value})
        assert apply_given_options(PortfolioConfig(), alone, {option}) == alone, option
        assert apply_given_options(PortfolioConfig(), alone, set()) == PortfolioConfig()


# ----------------------------------------------------------------------- lstm-mvo


def _lstm_strategy(monkeypatch, args: list[str]):
    """The lstm-mvo strategy object that ``backtest --strategies lstm-mvo ARGS`` would run."""
    seen = {}

    def fake_run(panels, strategies, config, progress=None):
        seen["strategies"] = strategies
        raise CryptofolioError("captured")

    monkeypatch.setattr(backtest_module, "run_backtest", fake_run)
    result = runner.invoke(
        app,
        [
            "backtest",
            *["--assets", "BTC,ETH", "--end", "2021-03-01", "--strategies", "lstm-mvo"],
            *args,
        ],
    )
    assert "captured" in result.output, result.output
    [strategy] = seen["strategies"]
    return strategy


def test_lstm_mvo_keeps_its_own_defaults_without_options(monkeypatch):
    strategy = _lstm_strategy(monkeypatch, [])
    # the forecaster's documented defaults: max-utility, long-only, w <= 0.3
    assert strategy.config == PortfolioConfig(
        objective=Objective.MAX_UTILITY, constraints=Constraints(min_weight=0.0, max_weight=0.3)
    )


def test_lstm_mvo_gets_the_users_constraints(monkeypatch):
    strategy = _lstm_strategy(
        monkeypatch,
        [
            "--max-weight",
            "0.5",
            "--min-weight",
            "0.05",
            "--bounds",
            "BTC=0.1:0.45",
            "--net-exposure",
            "1",
            "--gross-exposure",
            "1.2",
            "--l2",
            "0.02",
            "--risk-aversion",
            "4",
            "--max-turnover",
            "0.5",
        ],
    )
    assert strategy.config == PortfolioConfig(
        objective=Objective.MAX_UTILITY,
        risk_aversion=4.0,
        constraints=Constraints(
            budget=1.0,
            min_weight=0.05,
            max_weight=0.5,
            bounds={"BTC": (0.1, 0.45)},
            gross_exposure=1.2,
            l2=0.02,
        ),
    )
    assert strategy._optimizer.max_turnover == 0.5
    # an option given at the CLI default still counts as given (1.0, not lstm-mvo's 0.3)
    strategy = _lstm_strategy(monkeypatch, ["--max-weight", "1.0"])
    assert strategy.config.constraints.max_weight == 1.0


def test_lstm_mvo_weights_respect_max_weight_in_a_real_backtest(monkeypatch):
    """End to end with a tiny network: 3 assets under --max-weight 0.5 must get some weight
    above lstm-mvo's own 0.3 cap (sum 1 forces one >= 1/3) and none above 0.5."""
    pytest.importorskip("torch")
    from cryptofolio.forecast import FeatureConfig, ForecastSpec, ModelConfig, TrainConfig
    from cryptofolio.forecast.strategy import make_lstm_mvo

    tiny = ForecastSpec(
        features=FeatureConfig(lookback=8),
        model=ModelConfig(hidden_sizes=(6,), attention_size=4, dropout=0.0),
        train=TrainConfig(epochs=2, max_train_periods=120),
    )
    monkeypatch.setitem(
        strategies_module._REGISTRY,
        "lstm-mvo",
        lambda **kw: make_lstm_mvo(spec=tiny, min_train_windows=20, **kw),
    )
    results = {}
    real_run = backtest_module.run_backtest

    def keep_run(*args, **kwargs):
        results["run"] = real_run(*args, **kwargs)
        return results["run"]

    monkeypatch.setattr(backtest_module, "run_backtest", keep_run)
    result = runner.invoke(
        app,
        [
            "backtest",
            "--assets",
            "BTC,ETH,LTC",
            "--start",
            "2021-03-01",
            "--end",
            "2021-05-31",
            "--lookback",
            "60",
            "--rebalance",
            "monthly",
            "--strategies",
            "lstm-mvo",
            "--max-weight",
            "0.5",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    targets = results["run"].strategies["lstm-mvo"].targets.dropna(how="all")
    assert len(targets) >= 2
    assert targets.max().max() <= 0.5 + 1e-6
    assert (targets.max(axis=1) > 0.3 + 1e-6).all()
