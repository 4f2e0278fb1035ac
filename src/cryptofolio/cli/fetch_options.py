"""Option groups of ``cryptofolio data fetch``: the candles asked for (assets, range,
timeframe), the store policy (``--refresh``, ``--no-wait``) and the hidden former names of
``--assets``/``--start``/``--end``; each reaches the command as one frozen value. ``data fetch``
reads no ``--config`` file (it is not a portfolio command), so these groups add none."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import typer

from cryptofolio.cli.option_group import keyword_option, with_option_group
from cryptofolio.cli.options import aliased
from cryptofolio.errors import DataError

if TYPE_CHECKING:
    from cryptofolio.data.sources import FetchPolicy

AssetsOpt = Annotated[
    str | None,
    typer.Option(
        "--assets", help="Comma-separated assets (BTC,ETH) or markets (BTC/USDT,ETH/BTC)."
    ),
]
StartOpt = Annotated[
    str | None, typer.Option("--start", help="First candle open time (UTC), e.g. 2021-01-01.")
]
TimeframeOpt = Annotated[
    str, typer.Option("--timeframe", help="Candle length: 1d, 1h or another of the source's.")
]
EndOpt = Annotated[
    str | None,
    typer.Option("--end", help="Last candle open time (UTC); default: last closed candle."),
]

#: The former names of --assets, --start and --end: hidden, still read.
OldSymbolsOpt = Annotated[str | None, typer.Option("--symbols", hidden=True)]
OldSinceOpt = Annotated[str | None, typer.Option("--since", hidden=True)]
OldUntilOpt = Annotated[str | None, typer.Option("--until", hidden=True)]

RefreshOpt = Annotated[
    bool,
    typer.Option(
        "--refresh", help="Download the whole range again (changed candles are reported)."
    ),
]
NoWaitOpt = Annotated[
    bool,
    typer.Option(
        "--no-wait",
        help="Fail at once if another process is writing the same dataset (default: wait for it).",
    ),
]


@dataclass(frozen=True)
class FormerNames:
    """The values given under the former names ``--symbols``, ``--since``, ``--until``."""

    symbols: str | None = None
    since: str | None = None
    until: str | None = None


@dataclass(frozen=True)
class CandleRequest:
    """The candles asked for: assets or markets (comma-separated text), the inclusive range of
    open times (UTC text; ``end`` ``None``: the last closed candle) and the timeframe."""

    assets: str | None = None
    start: str | None = None
    timeframe: str = "1d"
    end: str | None = None

    def under(self, former: FormerNames) -> CandleRequest:
        """This request with the values given under the former names filled in.

        Raises
        ------
        DataError
            An option given under both names, or no ``--assets`` or ``--start``.
        """
        request = CandleRequest(
            aliased(self.assets, former.symbols, "--assets", "--symbols"),
            aliased(self.start, former.since, "--start", "--since"),
            self.timeframe,
            aliased(self.end, former.until, "--end", "--until"),
        )
        if request.assets is None or request.start is None:
            raise DataError(
                "data fetch needs --assets and --start, e.g. --assets BTC,ETH --start 2021-01-01"
            )
        return request


@dataclass(frozen=True)
class StorePolicy:
    """``--refresh`` (fetch the whole range again) and ``--no-wait`` (fail at once while another
    process writes the dataset)."""

    refresh: bool = False
    no_wait: bool = False

    def fetch_policy(self) -> FetchPolicy:
        """The library's :class:`~cryptofolio.data.sources.FetchPolicy` of these options."""
        from cryptofolio.data.sources import FetchPolicy  # imported here: ccxt is slow to import
        from cryptofolio.locks import LockPolicy

        return FetchPolicy(refresh=self.refresh, lock=LockPolicy(wait=not self.no_wait))


with_candle_options = with_option_group(
    "candles",
    [
        keyword_option("assets", AssetsOpt, None),
        keyword_option("start", StartOpt, None),
        keyword_option("timeframe", TimeframeOpt, "1d"),
        keyword_option("end", EndOpt, None),
    ],
    lambda values: CandleRequest(**values),
    what="candle",
    config_file=False,
)

with_policy_options = with_option_group(
    "policy",
    [
        keyword_option("refresh", RefreshOpt, False),
        keyword_option("no_wait", NoWaitOpt, False),
    ],
    lambda values: StorePolicy(**values),
    what="store policy",
    config_file=False,
)

with_former_names = with_option_group(
    "former",
    [
        keyword_option("symbols", OldSymbolsOpt, None),
        keyword_option("since", OldSinceOpt, None),
        keyword_option("until", OldUntilOpt, None),
    ],
    lambda values: FormerNames(**values),
    what="former-name",
    config_file=False,
)
