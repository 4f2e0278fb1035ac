"""ccxt client creation and safe exchange calls.

:func:`connect` builds a ccxt client for an exchange id (``binance``, ``bybit``, any ccxt id),
with credentials from :mod:`cryptofolio.trade.keys`, the market type (spot or USDT-margined
linear futures) as the default type, and the exchange's testnet/sandbox when asked
(``set_sandbox_mode(True)``). Every call made through :class:`ExchangeSession` turns a ccxt
error into a :class:`~cryptofolio.errors.TradeError` whose text has the credentials scrubbed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import ccxt

from cryptofolio.errors import TradeError
from cryptofolio.trade.keys import Credentials, install_log_redaction, redact


class MarketType(StrEnum):
    SPOT = "spot"
    LINEAR = "linear"  # USDT-margined perpetual swaps


class ExchangeCallError(TradeError):
    """An exchange call failed.

    ``kind`` is the ccxt exception class name (e.g. ``InsufficientFunds``); ``account_level``
    is true for errors that will make the next orders fail too or whose outcome is unknown:
    insufficient funds, authentication/permission/account errors and network errors.
    """

    def __init__(self, message: str, kind: str, account_level: bool = False) -> None:
        super().__init__(message)
        self.kind = kind
        self.account_level = account_level


_ACCOUNT_LEVEL = (
    ccxt.InsufficientFunds,
    ccxt.AuthenticationError,  # includes PermissionDenied, AccountSuspended
    ccxt.AccountNotEnabled,
    ccxt.NetworkError,  # includes RequestTimeout, ExchangeNotAvailable, DDoSProtection
)


def exchange_class(exchange_id: str) -> Callable[[dict[str, Any]], Any]:
    """The ccxt class for ``exchange_id`` (tests replace this to plug a fake exchange in)."""
    cls = getattr(ccxt, exchange_id, None)
    if exchange_id not in ccxt.exchanges or cls is None:
        raise TradeError(
            f"unknown exchange {exchange_id!r}; use a ccxt exchange id such as binance or bybit"
        )
    return cls


@dataclass
class ExchangeSession:
    """A ccxt client plus what is needed to call it safely."""

    client: Any
    exchange_id: str
    market_type: MarketType
    testnet: bool = False
    secrets: list[str] = field(default_factory=list, repr=False)
    authenticated: bool = False

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call ``client.<method>``; ccxt errors become :class:`ExchangeCallError` (redacted)."""
        func = getattr(self.client, method, None)
        if func is None:
            raise TradeError(f"{self.exchange_id}: the ccxt client has no method {method}")
        try:
            return func(*args, **kwargs)
        except ccxt.BaseError as exc:
            text = redact(str(exc), self.secrets)
            raise ExchangeCallError(
                f"{self.exchange_id} {method} failed: {type(exc).__name__}: {text}",
                type(exc).__name__,
                isinstance(exc, _ACCOUNT_LEVEL),
            ) from None

    def has(self, capability: str) -> bool:
        """Whether the exchange supports a unified method (ccxt ``has``)."""
        return bool(getattr(self.client, "has", {}).get(capability))

    def load_markets(self) -> dict[str, dict[str, Any]]:
        return self.call("load_markets")


def connect(
    exchange_id: str,
    market_type: MarketType = MarketType.SPOT,
    *,
    credentials: Credentials | None = None,
    testnet: bool = False,
) -> ExchangeSession:
    """Create a ccxt client for ``exchange_id``.

    Parameters
    ----------
    exchange_id : str
        A ccxt exchange id (``binance``, ``bybit``, ...).
    market_type : MarketType
        ``spot`` or ``linear`` (USDT-margined perpetuals); sets ccxt's ``defaultType``.
    credentials : Credentials, optional
        API key and secret; without them only public calls (markets, tickers) work.
    testnet : bool
        Use the exchange's testnet/sandbox (``set_sandbox_mode(True)``).

    Raises
    ------
    TradeError
        Unknown exchange, or no sandbox for this exchange when ``testnet`` is asked.
    """
    exchange_id = exchange_id.strip().lower()
    cls = exchange_class(exchange_id)
    default_type = "spot" if market_type is MarketType.SPOT else "swap"
    config: dict[str, Any] = {
        "enableRateLimit": True,
        "options": {"defaultType": default_type, "defaultSubType": "linear"},
    }
    secrets: list[str] = []
    if credentials is not None:
        config.update(credentials.ccxt_config())
        secrets = credentials.secrets()
        install_log_redaction(secrets)
    try:
        client = cls(config)
        if testnet:
            client.set_sandbox_mode(True)
    except ccxt.BaseError as exc:
        raise TradeError(
            f"{exchange_id}: cannot create the client ({type(exc).__name__}: "
            f"{redact(str(exc), secrets)})"
            + ("; this exchange may have no testnet in ccxt" if testnet else "")
        ) from None
    return ExchangeSession(
        client=client,
        exchange_id=exchange_id,
        market_type=MarketType(market_type),
        testnet=testnet,
        secrets=secrets,
        authenticated=credentials is not None,
    )
