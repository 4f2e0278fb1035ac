"""What a sweep tries: the parameter grid (or a random sample of it) and how it is judged.

A configuration is one value for each :class:`SweepParameter`; parameters the grid does not
name keep the value of the base :class:`~cryptofolio.backtest.BacktestConfig` and
:class:`~cryptofolio.optimize.PortfolioConfig` of the :class:`SweepSpec`. Values are
normalised to plain JSON types (enum values as their text), so a configuration has a stable
key (:func:`configuration_key`: a SHA-256 of its canonical JSON) that the results store uses.

The grid is never enumerated to draw a random sample: configuration ``i`` is decoded from its
mixed-radix index, so a sample of 50 from a grid of 10^9 costs 50 decodings.
"""

from __future__ import annotations

import hashlib
import json
import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np

from cryptofolio.backtest.config import BacktestConfig, WindowKind
from cryptofolio.backtest.schedule import parse_schedule
from cryptofolio.costs import parse_slippage
from cryptofolio.errors import BacktestError, CryptofolioError
from cryptofolio.estimate import ExpectedReturnsMethod, RiskModel
from cryptofolio.optimize import Objective, PortfolioConfig

#: strategies without optimiser parameters that a grid may name as ``objective`` (baselines)
BASELINE_STRATEGIES = ("equal-weight",)


class SweepParameter(StrEnum):
    """The strategy parameters a sweep can vary (names as in TOML files and ``--param``)."""

    OBJECTIVE = "objective"  # an optimiser objective, or equal-weight
    RISK_MODEL = "risk_model"  # covariance estimator
    EXPECTED_RETURNS = "expected_returns"  # expected-return estimator
    L2 = "l2"  # L2 regularisation γ·||w||²
    RISK_AVERSION = "risk_aversion"  # λ of max-utility
    LOOKBACK = "lookback"  # estimation window, rows
    WINDOW = "window"  # rolling or expanding
    REBALANCE = "rebalance"  # schedule text: weekly, monthly, 14d, drift:0.05, ...
    MAX_WEIGHT = "max_weight"  # upper bound per asset, fraction
    FEE_BPS = "fee_bps"  # commission, basis points of traded notional
    SLIPPAGE = "slippage"  # none, fixed:BPS or sqrt
    IMPACT_COEFFICIENT = "impact_coefficient"  # k of the square-root impact law


class Sampling(StrEnum):
    """Every configuration of the grid, or a seeded random sample of them."""

    GRID = "grid"
    RANDOM = "random"


class ValidationMethod(StrEnum):
    """How the time axis is split into in-sample and out-of-sample rows."""

    WALK_FORWARD = "walk-forward"  # test block k, train on the blocks before it (purged)
    CPCV = "cpcv"  # combinatorial purged cross-validation (AFML ch. 12)


@dataclass(frozen=True)
class ValidationSpec:
    """How configurations are judged out of sample.

    Parameters
    ----------
    method
        :class:`ValidationMethod`.
    folds
        Walk-forward: number of test blocks (the rows are cut into ``folds + 1`` blocks, the
        first only trains). CPCV: number of groups ``N``.
    test_groups
        CPCV: groups per test set ``k`` (``C(N, k)`` splits, ``k/N·C(N, k)`` paths).
    embargo
        Rows dropped from training after each test block (serial dependence); ``None``: 1 % of
        the rows, at least 1 (AFML §7.4.2).
    purge
        Rows dropped from training before each test block (their holding periods and estimation
        windows overlap the test rows); ``None``: the same as ``embargo``.
    cscv_blocks
        Even number ``S`` of blocks of the combinatorially symmetric cross-validation behind
        the probability of backtest overfitting (``C(S, S/2)`` splits).
    """

    method: ValidationMethod = ValidationMethod.WALK_FORWARD
    folds: int = 5
    test_groups: int = 2
    embargo: int | None = None
    purge: int | None = None
    cscv_blocks: int = 16

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "method", ValidationMethod(self.method))
        except ValueError as exc:
            raise BacktestError(
                f"validation method {self.method!r} unknown; use "
                + " or ".join(m.value for m in ValidationMethod)
            ) from exc
        _whole(self.folds, "folds", 2)
        _whole(self.test_groups, "test_groups", 1)
        if self.method is ValidationMethod.CPCV and self.test_groups >= self.folds:
            raise BacktestError(
                f"cpcv needs fewer test groups than groups: test_groups {self.test_groups}, "
                f"folds {self.folds}; e.g. --folds 6 with 2 test groups"
            )
        for name in ("embargo", "purge"):
            if getattr(self, name) is not None:
                _whole(getattr(self, name), name, 0)
        _whole(self.cscv_blocks, "cscv_blocks", 2)
        if self.cscv_blocks % 2:
            raise BacktestError(f"cscv_blocks must be even, got {self.cscv_blocks}; e.g. 16")

    def embargo_rows(self, n_rows: int) -> int:
        """The embargo in rows for ``n_rows`` of returns."""
        return self.embargo if self.embargo is not None else max(1, round(0.01 * n_rows))

    def purge_rows(self, n_rows: int) -> int:
        """The purge in rows for ``n_rows`` of returns."""
        return self.purge if self.purge is not None else self.embargo_rows(n_rows)


def _whole(value: object, name: str, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise BacktestError(f"{name} must be a whole number >= {minimum}, got {value!r}")


@dataclass(frozen=True)
class SweepSpec:
    """A sweep: which values to try, around which base settings, judged how.

    Parameters
    ----------
    grid
        Parameter name (a :class:`SweepParameter` value; ``-`` and ``_`` are the same) to the
        values to try. Normalised on construction to a tuple of ``(name, values)`` pairs.
    backtest
        Base :class:`~cryptofolio.backtest.BacktestConfig` (dates, capital, costs, failure
        policy); swept parameters replace its fields.
    portfolio
        Base :class:`~cryptofolio.optimize.PortfolioConfig`; swept parameters replace its fields.
    sampling, samples, seed
        :class:`Sampling`; with ``random``, ``samples`` configurations drawn without
        replacement with ``numpy.random.default_rng(seed)``.
    validation
        :class:`ValidationSpec`.
    """

    grid: Any
    backtest: BacktestConfig = field(default_factory=BacktestConfig)
    portfolio: PortfolioConfig = field(default_factory=PortfolioConfig)
    sampling: Sampling = Sampling.GRID
    samples: int | None = None
    seed: int = 0
    validation: ValidationSpec = field(default_factory=ValidationSpec)

    def __post_init__(self) -> None:
        object.__setattr__(self, "grid", normalise_grid(self.grid))
        try:
            object.__setattr__(self, "sampling", Sampling(self.sampling))
        except ValueError as exc:
            raise BacktestError(f"sampling {self.sampling!r} unknown; use grid or random") from exc
        if self.sampling is Sampling.RANDOM:
            if self.samples is None:
                raise BacktestError("random sampling needs samples, e.g. samples=50")
            _whole(self.samples, "samples", 1)
            if self.samples > self.grid_size:
                raise BacktestError(
                    f"samples {self.samples} exceed the {self.grid_size} configurations of "
                    "the grid; lower samples or use the whole grid (sampling='grid')"
                )

    @property
    def grid_size(self) -> int:
        """Number of configurations of the full grid."""
        return math.prod(len(values) for _, values in self.grid)

    @property
    def size(self) -> int:
        """Number of configurations the sweep runs."""
        return self.samples if self.sampling is Sampling.RANDOM else self.grid_size

    def configurations(self) -> list[dict[str, Any]]:
        """The swept values of every configuration, in grid order (a dict per configuration)."""
        if self.sampling is Sampling.RANDOM:
            rng = np.random.default_rng(self.seed)
            picks = np.sort(rng.choice(self.grid_size, size=self.samples, replace=False))
        else:
            picks = range(self.grid_size)
        return [self._decode(int(i)) for i in picks]

    def _decode(self, index: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, values in reversed(self.grid):
            index, digit = divmod(index, len(values))
            out[name] = values[digit]
        return {name: out[name] for name, _ in self.grid}

    def resolved(self, swept: Mapping[str, Any]) -> dict[str, Any]:
        """Every :class:`SweepParameter` of one configuration: its swept values, the base
        settings elsewhere (plain JSON values)."""
        base = base_values(self.backtest, self.portfolio)
        base.update(swept)
        return base


def base_values(backtest: BacktestConfig, portfolio: PortfolioConfig) -> dict[str, Any]:
    """The value of every :class:`SweepParameter` in the given base settings."""
    costs = backtest.costs
    slippage = costs.slippage.value
    if slippage == "fixed":
        slippage = f"fixed:{costs.slippage_bps:g}"
    return {
        SweepParameter.OBJECTIVE.value: portfolio.objective.value,
        SweepParameter.RISK_MODEL.value: portfolio.risk_model.value,
        SweepParameter.EXPECTED_RETURNS.value: portfolio.expected_returns.value,
        SweepParameter.L2.value: float(portfolio.constraints.l2),
        SweepParameter.RISK_AVERSION.value: float(portfolio.risk_aversion),
        SweepParameter.LOOKBACK.value: int(backtest.lookback),
        SweepParameter.WINDOW.value: backtest.window.value,
        SweepParameter.REBALANCE.value: str(parse_schedule(backtest.rebalance)),
        SweepParameter.MAX_WEIGHT.value: float(portfolio.constraints.max_weight),
        SweepParameter.FEE_BPS.value: float(costs.fee_bps),
        SweepParameter.SLIPPAGE.value: slippage,
        SweepParameter.IMPACT_COEFFICIENT.value: float(costs.impact_coefficient),
    }


def configuration_key(values: Mapping[str, Any]) -> str:
    """Stable key of a configuration: the first 16 hex digits of the SHA-256 of its canonical
    JSON (sorted keys, no spaces). Pass the resolved values (:meth:`SweepSpec.resolved`), so
    that the key does not depend on which parameters happened to be swept."""
    text = json.dumps(dict(values), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --------------------------------------------------------------------------- parsing


def parameter_name(name: str) -> SweepParameter:
    """The :class:`SweepParameter` called ``name`` (``max-weight`` = ``max_weight``).

    Raises
    ------
    BacktestError
        Unknown name; the message lists the valid ones.
    """
    key = str(name).strip().lower().replace("-", "_")
    try:
        return SweepParameter(key)
    except ValueError:
        valid = ", ".join(p.value for p in SweepParameter)
        raise BacktestError(
            f"unknown sweep parameter {name!r}; valid parameters: {valid}"
        ) from None


def normalise_grid(grid: Any) -> tuple[tuple[str, tuple[Any, ...]], ...]:
    """Validate a grid (mapping or pairs of name -> values) and normalise every value.

    Raises
    ------
    BacktestError
        Empty grid, a parameter with no values, repeated values or parameters, an unknown
        parameter name (the valid ones listed) or a value the parameter cannot take.
    """
    pairs = list(grid.items()) if isinstance(grid, Mapping) else list(grid or ())
    if not pairs:
        raise BacktestError(
            "the sweep grid is empty; give at least one parameter with values, e.g. "
            "--param lookback=90,180,365 (valid parameters: "
            + ", ".join(p.value for p in SweepParameter)
            + ")"
        )
    out: list[tuple[str, tuple[Any, ...]]] = []
    seen: set[str] = set()
    for name, values in pairs:
        param = parameter_name(name)
        if param.value in seen:
            raise BacktestError(f"sweep parameter {param.value!r} is given twice; merge its values")
        seen.add(param.value)
        if isinstance(values, str | bytes) or not isinstance(values, Sequence):
            values = [values]
        if len(values) == 0:
            raise BacktestError(
                f"sweep parameter {param.value!r} has no values; e.g. {param.value}=a,b"
            )
        normal = tuple(normalise_value(param, v) for v in values)
        repeated = sorted({str(v) for v in normal if normal.count(v) > 1})
        if repeated:
            raise BacktestError(
                f"sweep parameter {param.value!r} repeats value(s) {', '.join(repeated)}"
            )
        out.append((param.value, normal))
    return tuple(out)


def normalise_value(param: SweepParameter, value: Any) -> Any:
    """``value`` as the plain JSON value ``param`` takes (enum text, float, int, str).

    Raises
    ------
    BacktestError
        The value is not one the parameter can take (the message says which are).
    """
    try:
        return _NORMALISERS[param](value)
    except CryptofolioError as exc:
        raise BacktestError(f"sweep parameter {param.value!r}: {exc}") from exc
    except (TypeError, ValueError) as exc:
        raise BacktestError(
            f"sweep parameter {param.value!r}: bad value {value!r}; {_HINTS[param]}"
        ) from exc


def _objective(value: Any) -> str:
    text = str(value).strip().lower()
    if text in BASELINE_STRATEGIES:
        return text
    return Objective(text).value


def _non_negative(value: Any) -> float:
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise ValueError(number)
    return number


def _max_weight(value: Any) -> float:
    number = _non_negative(value)
    if number <= 0:
        raise ValueError(number)
    return number


def _lookback(value: Any) -> int:
    if isinstance(value, bool) or float(value) != int(float(value)) or int(float(value)) < 2:
        raise ValueError(value)
    return int(float(value))


def _rebalance(value: Any) -> str:
    return str(parse_schedule(str(value)))


def _slippage(value: Any) -> str:
    kind, bps = parse_slippage(str(value))
    return f"fixed:{bps:g}" if kind.value == "fixed" else kind.value


def _window(value: Any) -> str:
    return WindowKind(str(value).strip().lower()).value


_NORMALISERS = {
    SweepParameter.OBJECTIVE: _objective,
    SweepParameter.RISK_MODEL: lambda v: RiskModel(str(v).strip().lower()).value,
    SweepParameter.EXPECTED_RETURNS: lambda v: ExpectedReturnsMethod(str(v).strip().lower()).value,
    SweepParameter.L2: _non_negative,
    SweepParameter.RISK_AVERSION: _non_negative,
    SweepParameter.LOOKBACK: _lookback,
    SweepParameter.WINDOW: _window,
    SweepParameter.REBALANCE: _rebalance,
    SweepParameter.MAX_WEIGHT: _max_weight,
    SweepParameter.FEE_BPS: _non_negative,
    SweepParameter.SLIPPAGE: _slippage,
    SweepParameter.IMPACT_COEFFICIENT: _non_negative,
}
_HINTS = {
    SweepParameter.OBJECTIVE: "use one of "
    + ", ".join([o.value for o in Objective] + list(BASELINE_STRATEGIES)),
    SweepParameter.RISK_MODEL: "use one of " + ", ".join(m.value for m in RiskModel),
    SweepParameter.EXPECTED_RETURNS: "use one of "
    + ", ".join(m.value for m in ExpectedReturnsMethod),
    SweepParameter.L2: "use a number >= 0",
    SweepParameter.RISK_AVERSION: "use a number >= 0",
    SweepParameter.LOOKBACK: "use a whole number of rows >= 2",
    SweepParameter.WINDOW: "use rolling or expanding",
    SweepParameter.REBALANCE: "use daily, weekly, monthly, Nd, Nh, Np or drift:X",
    SweepParameter.MAX_WEIGHT: "use a number > 0 (a fraction, e.g. 0.4)",
    SweepParameter.FEE_BPS: "use basis points >= 0",
    SweepParameter.SLIPPAGE: "use none, fixed:BPS or sqrt",
    SweepParameter.IMPACT_COEFFICIENT: "use a number >= 0",
}


def parse_param(text: str) -> tuple[str, list[str]]:
    """Parse one ``--param NAME=V1,V2,...`` into ``(name, [values])`` (values still text).

    Raises
    ------
    BacktestError
        No ``=``, an unknown name (the valid ones listed) or no values.
    """
    name, sep, rest = str(text).partition("=")
    if not sep:
        raise BacktestError(
            f"cannot parse --param {text!r}; expected NAME=V1,V2 such as lookback=90,180,365"
        )
    param = parameter_name(name)
    values = [v.strip() for v in rest.split(",") if v.strip()]
    if not values:
        raise BacktestError(f"--param {param.value} has no values; e.g. {param.value}=a,b")
    return param.value, values


@dataclass(frozen=True)
class GridFile:
    """What a sweep TOML file holds: the grid, and optional sampling and validation tables."""

    grid: tuple[tuple[str, tuple[Any, ...]], ...]
    sampling: Mapping[str, Any]
    validation: Mapping[str, Any]


def load_grid(path: str | Path) -> GridFile:
    """Read a sweep TOML file: a ``[grid]`` table of ``name = [values]`` and optional
    ``[sampling]`` (``method``, ``samples``, ``seed``) and ``[validation]`` tables (the fields
    of :class:`ValidationSpec`). See ``examples/sweep.toml``.

    Raises
    ------
    BacktestError
        The file is missing or not TOML, has no ``[grid]``, unknown tables or keys, or a bad
        grid (see :func:`normalise_grid`).
    """
    path = Path(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BacktestError(f"grid file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise BacktestError(f"grid file {path} is not valid TOML: {exc}") from exc
    unknown = sorted(set(document) - {"grid", "sampling", "validation"})
    if unknown:
        raise BacktestError(
            f"grid file {path}: unknown table(s) {', '.join(unknown)}; use [grid], "
            "[sampling] and [validation]"
        )
    if not isinstance(document.get("grid"), dict) or not document["grid"]:
        raise BacktestError(
            f"grid file {path} has no [grid] table with values, e.g. lookback = [90, 180]"
        )
    sampling = dict(document.get("sampling", {}))
    bad = sorted(set(sampling) - {"method", "samples", "seed"})
    if bad:
        raise BacktestError(
            f"grid file {path}: unknown [sampling] key(s) {', '.join(bad)}; use method, "
            "samples, seed"
        )
    validation = dict(document.get("validation", {}))
    fields = set(ValidationSpec.__dataclass_fields__)
    bad = sorted(set(validation) - fields)
    if bad:
        raise BacktestError(
            f"grid file {path}: unknown [validation] key(s) {', '.join(bad)}; use "
            + ", ".join(sorted(fields))
        )
    try:
        grid = normalise_grid(document["grid"])
    except BacktestError as exc:
        raise BacktestError(f"grid file {path}: {exc}") from exc
    return GridFile(grid=grid, sampling=sampling, validation=validation)
