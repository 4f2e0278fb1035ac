"""``--config FILE``: a TOML portfolio spec whose keys supply the defaults of a command's options,
the options given on the command line overriding them.

The file is flat: each key is a long option without its dashes (``max-weight = 0.4``), lists
and tables are the comma-separated or repeated forms (``assets = ["BTC", "ETH"]``,
``bounds = {BTC = "0.1:0.5"}``, ``fixed-weights = {BTC = 0.6, ETH = 0.4}``), TOML dates are
dates (``start = 2021-01-01``). One file serves every command: top-level keys are the
portfolio spec (:data:`SPEC_KEYS`: data, optimiser, costs and backtest options), each applied
by the commands that have that option; a ``[COMMAND]`` table (``[backtest]``,
``[forecast.train]``) holds options of that command alone, overriding the top level. A key
that is neither is refused, naming it and the valid ones.

The mechanism is click's (typer's parser): the eager ``--config`` option fills ``Context.default_map`` before
the other options are read, so a value on the command line (or from an environment variable)
still wins.
"""

from __future__ import annotations

import datetime as dt
import difflib
import inspect
import tomllib
from pathlib import Path
from typing import Annotated, Any

import typer

#: The portfolio spec: the keys allowed at the top level of a config file, by theme.
SPEC_SECTIONS: dict[str, tuple[str, ...]] = {
    "data": ("dataset", "prices", "assets", "start", "end", "data-dir", "encoding", "clean"),
    "optimiser": (
        "returns",
        "periods-per-year",
        "objective",
        "risk-model",
        "expected-returns",
        "risk-free-rate",
        "risk-aversion",
        "risk-tolerance",
        "target-return",
        "target-volatility",
        "min-weight",
        "max-weight",
        "bounds",
        "gross-exposure",
        "net-exposure",
        "l2",
        "cvar-alpha",
    ),
    "costs": (
        "fee-bps",
        "maker-fee-bps",
        "fee-side",
        "slippage",
        "slippage-bps",
        "impact-coefficient",
        "min-notional",
        "zero-volume",
    ),
    "backtest": (
        "strategies",
        "rebalance",
        "lookback",
        "window",
        "initial-capital",
        "on-failure",
        "turnover-penalty",
        "max-turnover",
        "market-cap-max-weight",
        "fixed-weights",
        "normalize-weights",
    ),
}
SPEC_KEYS: frozenset[str] = frozenset(k for keys in SPEC_SECTIONS.values() for k in keys)

#: The commands that take ``--config``: the names of their tables (``forecast.train`` is the
#: TOML table ``[forecast.train]``).
COMMAND_TABLES: tuple[str, ...] = (
    "optimize",
    "frontier",
    "backtest",
    "rebalance",
    "allocate",
    "sweep",
    "forecast.train",
    "forecast.evaluate",
    "forecast.predict",
    "security",
)

CONFIG_PARAM = "config_file"


def _command_path(ctx: typer.Context) -> str:
    """``"backtest"`` or ``"forecast.train"``: the running command below the root."""
    names: list[str] = []
    while ctx.parent is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return ".".join(reversed(names))


def _keys(command: Any) -> dict[str, Any]:
    """The command's options by config key: each long option name without its dashes."""
    out: dict[str, Any] = {}
    for param in command.params:
        if param.param_type_name != "option" or param.name in ("help", CONFIG_PARAM):
            continue
        for opt in param.opts:  # not the --no-X of a flag: the key takes true or false
            if opt.startswith("--"):
                out[opt[2:]] = param
    return out


def _scalar(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return value


def _cli_value(param: Any, value: Any) -> Any:
    """A TOML value in the form the option reads: a list or table becomes the repeated values
    (``multiple`` options) or the comma-separated text; ``K = V`` pairs become ``K=V``."""
    if isinstance(value, dict):
        items = [f"{k}={_scalar(v)}" for k, v in value.items()]
    elif isinstance(value, list):
        items = [_scalar(v) for v in value]
    else:
        return _scalar(value)
    if param.multiple or param.nargs != 1:
        return items
    return ",".join(str(item) for item in items)


def _unknown(key: str, where: str, valid: list[str], hint: str = "") -> typer.BadParameter:
    close = difflib.get_close_matches(key, valid, n=1)
    maybe = f" (did you mean {close[0]!r}?)" if close else ""
    return typer.BadParameter(
        f"unknown key {key!r} {where}{maybe}; valid keys: {', '.join(sorted(valid))}{hint}",
        param_hint="'--config'",
    )


def _table(doc: dict[str, Any], path: str) -> dict[str, Any]:
    table: Any = doc
    for name in path.split("."):
        table = table.get(name, {}) if isinstance(table, dict) else {}
    return table if isinstance(table, dict) else {}


def config_defaults(path: Path, command: Any, command_path: str) -> dict[str, Any]:
    """The ``default_map`` (parameter name -> value) that the config file ``path`` gives the
    command ``command`` (``command_path``: e.g. ``"backtest"``, ``"forecast.train"``).

    Raises
    ------
    typer.BadParameter
        The file cannot be read or is not TOML; a key is neither a spec key nor a table of a
        command taking ``--config``; a key of this command's table is not one of its options.
    """
    try:
        doc = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise typer.BadParameter(
            f"cannot read {path}: {exc.strerror or exc}", param_hint="'--config'"
        ) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise typer.BadParameter(
            f"{path} is not valid TOML: {exc}", param_hint="'--config'"
        ) from exc
    options = _keys(command)
    tables = {t.split(".")[0] for t in COMMAND_TABLES}
    spec = sorted(SPEC_KEYS)
    for key, value in doc.items():
        if key in tables and isinstance(value, dict):
            continue
        if key not in SPEC_KEYS:
            hint = "; options of one command go in its table: " + ", ".join(
                f"[{t}]" for t in COMMAND_TABLES
            )
            raise _unknown(key, f"in {path}", spec, hint)
    own = _table(doc, command_path)
    for key in own:
        if key not in options:
            raise _unknown(key, f"in the [{command_path}] table of {path}", list(options))
    chosen = {k: v for k, v in doc.items() if k in SPEC_KEYS and k in options}
    chosen.update(own)
    return {options[k].name: _cli_value(options[k], v) for k, v in chosen.items()}


def _apply_config(ctx: typer.Context, value: Path | None) -> Path | None:
    if value is not None:
        found = config_defaults(value, ctx.command, _command_path(ctx))
        ctx.default_map = {**(ctx.default_map or {}), **found}
    return value


ConfigFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        metavar="FILE",
        is_eager=True,
        callback=_apply_config,
        help="TOML portfolio spec giving this command's defaults (keys are option names: "
        "max-weight = 0.4); options given here override it. See examples/portfolio.toml.",
    ),
]


def config_parameter() -> inspect.Parameter:
    """The ``--config`` option as a keyword-only signature parameter (default ``None``)."""
    return inspect.Parameter(
        CONFIG_PARAM, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=ConfigFileOpt
    )
