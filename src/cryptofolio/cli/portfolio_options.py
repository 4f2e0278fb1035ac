"""Optimiser options shared by ``optimize``, ``frontier``, ``backtest``, ``rebalance`` and
``allocate`` (the names are a contract), and their translation into a
:class:`~cryptofolio.optimize.PortfolioConfig`.

The options are declared once, here. A command takes them through
:func:`with_portfolio_options`: it declares a keyword-only ``config`` parameter where the options
belong in ``--help`` and receives the :class:`PortfolioConfig` they describe::

    @handle_errors
    @with_portfolio_options(exclude={PortfolioOption.OBJECTIVE})
    def frontier(dataset: DatasetOpt = None, *, config: PortfolioConfig, points: PointsOpt = 50):
        ...  # config = portfolio_config(returns=..., min_weight=..., ...) from the options
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from cryptofolio.cli.option_group import install_option_group, option_given
from cryptofolio.errors import CryptofolioError, DataError
from cryptofolio.estimate import ExpectedReturnsMethod, ReturnsKind, RiskModel, read_given_returns
from cryptofolio.optimize import Constraints, Objective, PortfolioConfig, objective_names

F = TypeVar("F", bound=Callable[..., Any])

ReturnsOpt = Annotated[
    ReturnsKind, typer.Option("--returns", help="Periodic returns: simple or log.")
]
PeriodsPerYearOpt = Annotated[
    float | None,
    typer.Option(
        "--periods-per-year",
        help="Annualisation factor; default inferred (365 daily, 8760 hourly). 252 for equities.",
    ),
]
#: The objective choices: every objective in the registry (hrp, risk-parity... included).
ObjectiveChoice = StrEnum(
    "ObjectiveChoice", {name.upper().replace("-", "_"): name for name in objective_names()}
)
ObjectiveOpt = Annotated[
    ObjectiveChoice,
    typer.Option(
        "--objective",
        help="What to optimise (hrp, herc, risk-parity: long-only allocations, no solver).",
    ),
]
RiskModelOpt = Annotated[
    RiskModel, typer.Option("--risk-model", help="Covariance estimator (annualised).")
]


def parse_expected_returns(
    text: str | ExpectedReturnsMethod | Path,
) -> ExpectedReturnsMethod | Path:
    """``--expected-returns``: an estimator name, or a file of annualised expected returns."""
    if isinstance(text, ExpectedReturnsMethod | Path):
        return text
    try:
        return ExpectedReturnsMethod(str(text))
    except ValueError:
        pass
    if Path(text).is_file():
        return Path(text)
    methods = ", ".join(m.value for m in ExpectedReturnsMethod)
    raise typer.BadParameter(
        f"{text!r} is neither an estimator ({methods}) nor an existing file (the JSON of "
        "`forecast predict --format json`, or a CSV of asset,return)"
    )


ExpectedReturnsOpt = Annotated[
    Any,
    typer.Option(
        "--expected-returns",
        parser=parse_expected_returns,
        metavar="|".join([*(m.value for m in ExpectedReturnsMethod), "FILE"]),
        help="Expected-return estimator (annualised), or a FILE of annualised expected "
        "returns as fractions (0.25 = +25 % a year), used as they are: the JSON that "
        "forecast predict writes (its expected_annual values) or a CSV with the header "
        "asset,return; every asset needs one.",
    ),
]
RiskFreeOpt = Annotated[
    float, typer.Option("--risk-free-rate", help="Annual risk-free rate as a fraction (0.04 = 4%).")
]
RiskAversionOpt = Annotated[
    float | None,
    typer.Option(
        "--risk-aversion",
        help="Risk aversion δ of max-utility: max μ'w − (δ/2)w'Σw, larger δ less risk "
        "(PyPortfolioOpt's meaning; default 1). Not with --risk-tolerance.",
    ),
]
RiskToleranceOpt = Annotated[
    float | None,
    typer.Option(
        "--risk-tolerance",
        help="Risk tolerance λ = 1/δ of max-utility: min ½w'Σw − λμ'w (the former meaning "
        "of --risk-aversion, exclusive with it).",
    ),
]
TargetReturnOpt = Annotated[
    float | None,
    typer.Option("--target-return", help="Annual target return (fraction) for efficient-return."),
]
TargetVolOpt = Annotated[
    float | None,
    typer.Option(
        "--target-volatility", help="Annual volatility cap (fraction) for efficient-risk."
    ),
]
MinWeightOpt = Annotated[
    float,
    typer.Option("--min-weight", help="Global lower bound per asset; negative allows shorts."),
]
MaxWeightOpt = Annotated[
    float, typer.Option("--max-weight", help="Global upper bound per asset (position limit).")
]
BoundsOpt = Annotated[
    list[str] | None,
    typer.Option("--bounds", help="Per-asset bounds SYM=LO:HI, repeatable (e.g. BTC=0.1:0.5)."),
]
GrossOpt = Annotated[
    float | None, typer.Option("--gross-exposure", help="Cap on sum |w| (with shorts).")
]
NetOpt = Annotated[
    float,
    typer.Option("--net-exposure", help="Budget: sum of weights (1 fully invested, 0 neutral)."),
]
L2Opt = Annotated[float, typer.Option("--l2", help="L2 regularisation γ·||w||² (small weights).")]
CvarAlphaOpt = Annotated[
    float, typer.Option("--cvar-alpha", help="CVaR confidence level, e.g. 0.95.")
]


def parse_bounds(items: list[str] | None) -> dict[str, tuple[float, float]]:
    """Parse ``["BTC=0.1:0.5", "ETH=:0.3"]`` into ``{"BTC": (0.1, 0.5), "ETH": (-inf?, 0.3)}``.

    An empty side keeps the global bound for that side (encoded as NaN).
    """
    out: dict[str, tuple[float, float]] = {}
    for item in items or []:
        try:
            sym, rng = item.split("=", 1)
            lo_s, hi_s = rng.split(":", 1)
            lo = float(lo_s) if lo_s.strip() else float("nan")
            hi = float(hi_s) if hi_s.strip() else float("nan")
        except ValueError as exc:
            raise DataError(
                f"cannot parse --bounds {item!r}; expected SYM=LO:HI such as BTC=0.05:0.4"
            ) from exc
        out[sym.strip().upper()] = (lo, hi)
    return out


@dataclass(frozen=True)
class PortfolioOptionValues:
    """The shared optimiser options as given on the command line, one field per
    :class:`PortfolioOption` (same name), with the options' defaults. Annual figures are
    fractions (0.04 = 4%); ``bounds`` are ``SYM=LO:HI`` texts."""

    returns: ReturnsKind = ReturnsKind.SIMPLE
    periods_per_year: float | None = None
    objective: Objective | str = Objective.MIN_VARIANCE
    risk_model: RiskModel = RiskModel.SAMPLE
    expected_returns: ExpectedReturnsMethod | Path = ExpectedReturnsMethod.MEAN
    risk_free_rate: float = 0.0
    risk_aversion: float | None = None
    risk_tolerance: float | None = None
    target_return: float | None = None
    target_volatility: float | None = None
    min_weight: float = 0.0
    max_weight: float = 1.0
    bounds: list[str] | None = None
    gross_exposure: float | None = None
    net_exposure: float = 1.0
    l2: float = 0.0
    cvar_alpha: float = 0.95

    def config(self) -> PortfolioConfig:
        """The :class:`PortfolioConfig` these options describe.

        Raises
        ------
        DataError
            ``--risk-aversion`` and ``--risk-tolerance`` both given, or a bad ``--bounds``.
        """
        if self.risk_aversion is not None and self.risk_tolerance is not None:
            raise DataError(
                "give --risk-aversion δ (max μ'w − δ/2 w'Σw) or --risk-tolerance λ = 1/δ "
                "(min ½w'Σw − λμ'w), not both"
            )
        constraints = Constraints(
            budget=self.net_exposure,
            min_weight=self.min_weight,
            max_weight=self.max_weight,
            bounds=parse_bounds(self.bounds),
            gross_exposure=self.gross_exposure,
            l2=self.l2,
        )
        method, given = parse_expected_returns(self.expected_returns), None
        if isinstance(method, Path):  # a forecast or one's own figures, read now
            method, given = ExpectedReturnsMethod.MEAN, read_given_returns(method)
        return PortfolioConfig(
            objective=_objective_value(self.objective),
            risk_model=self.risk_model,
            expected_returns=method,
            given_returns=given,
            returns_kind=self.returns,
            constraints=constraints,
            risk_free_rate=self.risk_free_rate,
            risk_aversion=1.0 if self.risk_aversion is None else self.risk_aversion,
            risk_tolerance=self.risk_tolerance,
            target_return=self.target_return,
            target_volatility=self.target_volatility,
            cvar_alpha=self.cvar_alpha,
            periods_per_year=self.periods_per_year,
        )


def refuse_given_returns(config: PortfolioConfig, command: str) -> None:
    """Refuse ``--expected-returns FILE`` where the expected returns are re-estimated on every
    date (a walk-forward backtest, a sweep): one fixed set would be used on every date."""
    if config.given_returns is not None:
        raise DataError(
            f"{command}: --expected-returns {config.given_returns.source} gives one fixed set "
            "of expected returns, and a walk-forward backtest re-estimates them on every date "
            "(figures known at the end would be used from the start); use an estimator "
            "(mean, ema, ...), or the lstm-mvo strategy for forecasts made on each date"
        )


def portfolio_config(**options: Any) -> PortfolioConfig:
    """Build the :class:`PortfolioConfig` that the shared CLI options describe: ``options`` by
    :class:`PortfolioOption` keyword (``min_weight=-0.2``), the others at their defaults
    (:class:`PortfolioOptionValues`).

    Raises
    ------
    TypeError
        A keyword that is not a shared option.
    DataError
        ``--risk-aversion`` and ``--risk-tolerance`` both given, or a bad ``--bounds``.
    """
    return PortfolioOptionValues(**options).config()


def _objective_value(objective: Objective | str) -> Objective | str:
    """The :class:`Objective` member of a choice where there is one, else its name."""
    try:
        return Objective(str(objective))
    except ValueError:
        return str(objective)


class PortfolioOption(StrEnum):
    """The shared optimiser options, in their ``--help`` order. A value is the keyword of
    :func:`portfolio_config` and the parameter name in a decorated command's signature."""

    RETURNS = "returns"
    PERIODS_PER_YEAR = "periods_per_year"
    OBJECTIVE = "objective"
    RISK_MODEL = "risk_model"
    EXPECTED_RETURNS = "expected_returns"
    RISK_FREE_RATE = "risk_free_rate"
    RISK_AVERSION = "risk_aversion"
    RISK_TOLERANCE = "risk_tolerance"
    TARGET_RETURN = "target_return"
    TARGET_VOLATILITY = "target_volatility"
    MIN_WEIGHT = "min_weight"
    MAX_WEIGHT = "max_weight"
    BOUNDS = "bounds"
    GROSS_EXPOSURE = "gross_exposure"
    NET_EXPOSURE = "net_exposure"
    L2 = "l2"
    CVAR_ALPHA = "cvar_alpha"


@dataclass(frozen=True)
class _OptionSpec:
    """How one option appears on the command line (``annotation``: its typer alias) and which
    :class:`PortfolioConfig` field it sets (``field``: attribute path from the config)."""

    annotation: Any
    field: tuple[str, ...]


_SPECS: dict[PortfolioOption, _OptionSpec] = {
    PortfolioOption.RETURNS: _OptionSpec(ReturnsOpt, ("returns_kind",)),
    PortfolioOption.PERIODS_PER_YEAR: _OptionSpec(PeriodsPerYearOpt, ("periods_per_year",)),
    PortfolioOption.OBJECTIVE: _OptionSpec(ObjectiveOpt, ("objective",)),
    PortfolioOption.RISK_MODEL: _OptionSpec(RiskModelOpt, ("risk_model",)),
    PortfolioOption.EXPECTED_RETURNS: _OptionSpec(ExpectedReturnsOpt, ("expected_returns",)),
    PortfolioOption.RISK_FREE_RATE: _OptionSpec(RiskFreeOpt, ("risk_free_rate",)),
    PortfolioOption.RISK_AVERSION: _OptionSpec(RiskAversionOpt, ("risk_aversion",)),
    PortfolioOption.RISK_TOLERANCE: _OptionSpec(RiskToleranceOpt, ("risk_tolerance",)),
    PortfolioOption.TARGET_RETURN: _OptionSpec(TargetReturnOpt, ("target_return",)),
    PortfolioOption.TARGET_VOLATILITY: _OptionSpec(TargetVolOpt, ("target_volatility",)),
    PortfolioOption.MIN_WEIGHT: _OptionSpec(MinWeightOpt, ("constraints", "min_weight")),
    PortfolioOption.MAX_WEIGHT: _OptionSpec(MaxWeightOpt, ("constraints", "max_weight")),
    PortfolioOption.BOUNDS: _OptionSpec(BoundsOpt, ("constraints", "bounds")),
    PortfolioOption.GROSS_EXPOSURE: _OptionSpec(GrossOpt, ("constraints", "gross_exposure")),
    PortfolioOption.NET_EXPOSURE: _OptionSpec(NetOpt, ("constraints", "budget")),
    PortfolioOption.L2: _OptionSpec(L2Opt, ("constraints", "l2")),
    PortfolioOption.CVAR_ALPHA: _OptionSpec(CvarAlphaOpt, ("cvar_alpha",)),
}


def _option_parameters() -> dict[PortfolioOption, inspect.Parameter]:
    """Every option as a keyword-only signature parameter; the defaults are those of
    :class:`PortfolioOptionValues`, so the two cannot disagree."""
    defaults = PortfolioOptionValues()
    return {
        option: inspect.Parameter(
            option.value,
            inspect.Parameter.KEYWORD_ONLY,
            default=getattr(defaults, option.value),
            annotation=_SPECS[option].annotation,
        )
        for option in PortfolioOption
    }


def _flag(option: PortfolioOption) -> str:
    return "--" + option.value.replace("_", "-")


def cli_names(message: str, options: Collection[PortfolioOption]) -> str:
    """``message`` with the library's names of ``options`` written as their flags:
    ``max_weight 0.3`` becomes ``--max-weight 0.3`` (names without an underscore, such as
    ``l2`` or ``objective``, are plain words and stay)."""
    for option in options:
        if "_" in option.value:
            message = re.sub(rf"(?<![\w'\"-]){option.value}(?![\w'\"])", _flag(option), message)
    return message


def _naming_flags(func: F, options: Collection[PortfolioOption]) -> F:
    """``func`` whose :class:`CryptofolioError` messages name the ``options`` by their flags
    (the message is rewritten in place, the exception stays the same object)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CryptofolioError as exc:
            if exc.args and isinstance(exc.args[0], str):
                exc.args = (cli_names(exc.args[0], options), *exc.args[1:])
            raise

    return wrapper  # type: ignore[return-value]


def with_portfolio_options(
    *, exclude: Collection[PortfolioOption] = (), name_flags: bool = True
) -> Callable[[F], F]:
    """Give a typer command the shared optimiser options and pass it the config they describe.

    The command declares a parameter ``config: PortfolioConfig`` (keyword-only, no default) at
    the place where the options belong in its ``--help``. The decorated command's signature
    (which typer reads) has the options there instead, in :class:`PortfolioOption` order, with
    the help texts, choices and defaults of their aliases (``ReturnsOpt``, ...). On a call the
    option values are turned into a :class:`PortfolioConfig` by :func:`portfolio_config` and
    passed as ``config``; options in ``exclude`` are not offered and keep their defaults.

    Put :func:`~cryptofolio.cli.errors.handle_errors` above this decorator, so that an invalid
    option (e.g. ``--bounds BTC``) prints ``error: ...`` like any other library error. With
    ``name_flags`` (the default) an error of the command that names one of these options by
    its library name (``max_weight``) names its flag instead (``--max-weight``); ``sweep``
    turns it off, its grid file using the library names.

    Raises
    ------
    TypeError
        At decoration: the command has no keyword-only ``config`` parameter, or a parameter
        named like one of the options it would receive (rename it).
    """
    excluded = frozenset(PortfolioOption(o) for o in exclude)

    def decorate(func: F) -> F:
        added = [param for option, param in _option_parameters().items() if option not in excluded]
        offered = [o for o in PortfolioOption if o not in excluded]
        return install_option_group(
            _naming_flags(func, offered) if name_flags else func,
            name="config",
            options=added,
            build=lambda values: portfolio_config(**values),
            declare="*, config: PortfolioConfig",
            what="optimiser",
        )

    return decorate


def given_portfolio_options(ctx: typer.Context) -> frozenset[PortfolioOption]:
    """The shared options of the running command that the user set (on the command line,
    through the environment or in the ``--config`` file) rather than left at their defaults."""
    return frozenset(o for o in PortfolioOption if option_given(ctx, o.value))


def apply_given_options(
    base: PortfolioConfig, config: PortfolioConfig, given: Collection[PortfolioOption]
) -> PortfolioConfig:
    """``base`` with the fields that the ``given`` options set taken from ``config``.

    For a component with its own defaults (e.g. the ``lstm-mvo`` strategy: max-utility,
    ``w <= 0.3``): the user's choices where they made one, the component's defaults elsewhere.
    ``config`` is the :class:`PortfolioConfig` the command's options describe.
    """
    out = base
    for option in given:
        path = _SPECS[PortfolioOption(option)].field
        value: Any = config
        for name in path:
            value = getattr(value, name)
        out = _replaced(out, path, value)
    return out


def _replaced(obj: Any, path: tuple[str, ...], value: Any) -> Any:
    """A copy of the frozen dataclass ``obj`` with the attribute at ``path`` set to ``value``."""
    head, *rest = path
    if rest:
        value = _replaced(getattr(obj, head), tuple(rest), value)
    return dataclasses.replace(obj, **{head: value})
