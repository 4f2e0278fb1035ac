"""Trading rules of one market from ccxt's unified market structure.

ccxt normalises every exchange's filters into ``market["precision"]["amount"]`` (the amount step
in ``TICK_SIZE`` precision mode, a number of decimals in ``DECIMAL_PLACES`` mode),
``market["limits"]["amount"]["min"]`` (minimum order amount, base units or contracts) and
``market["limits"]["cost"]["min"]`` (minimum notional, quote currency). Amounts are rounded with
the client's own ``amount_to_precision`` (truncation towards zero), so rounding is exactly what
ccxt would send.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptofolio.data.symbols import normalize_asset
from cryptofolio.errors import TradeError
from cryptofolio.trade.exchange import ExchangeCallError, ExchangeSession, MarketType

#: ccxt precision modes (ccxt.base.decimal_to_precision)
_DECIMAL_PLACES = 2
_SIGNIFICANT_DIGITS = 3
_TICK_SIZE = 4


@dataclass(frozen=True)
class MarketRules:
    """Order-size rules of one market.

    Attributes
    ----------
    symbol : str
        ccxt market symbol (``BTC/USDT`` spot, ``BTC/USDT:USDT`` linear swap).
    asset, quote : str
    contract_size : float
        Base units per contract (1 for spot and for Binance/Bybit USDT perpetuals).
    amount_step : float | None
        Smallest amount increment in contracts (base units for spot).
    min_amount : float | None
        Minimum order amount in contracts (base units for spot).
    min_cost : float | None
        Minimum order notional, quote currency.
    taker_fee : float | None
        Taker fee as a fraction (0.001 = 10 bps), from the market metadata.
    """

    symbol: str
    asset: str
    quote: str
    contract_size: float = 1.0
    amount_step: float | None = None
    min_amount: float | None = None
    min_cost: float | None = None
    taker_fee: float | None = None
    _round: Callable[[str, float], Any] | None = field(default=None, repr=False, compare=False)

    def round_amount(self, amount: float) -> float:
        """Truncate ``amount`` (contracts; base units for spot, ``>= 0``) to the amount step.

        Uses the ccxt client's ``amount_to_precision`` when there is one; returns 0.0 when the
        amount is below one step.
        """
        if amount < 0:
            raise TradeError(f"{self.symbol}: cannot round a negative amount {amount}")
        if amount == 0:
            return 0.0
        if self._round is not None:
            try:
                return float(self._round(self.symbol, amount))
            except ExchangeCallError as exc:
                if exc.kind == "InvalidOrder":  # ccxt: rounds to 0, below one step
                    return 0.0
                raise
        if self.amount_step:
            steps = math.floor(amount / self.amount_step + 1e-9)
            return float(round(steps * self.amount_step, 12))
        return float(amount)


def market_symbol(asset: str, quote: str, market_type: MarketType) -> str:
    """``BTC`` -> ``BTC/USDT`` (spot) or ``BTC/USDT:USDT`` (linear swap)."""
    asset, quote = normalize_asset(asset), normalize_asset(quote)
    return f"{asset}/{quote}" if market_type is MarketType.SPOT else f"{asset}/{quote}:{quote}"


def _step(market: dict[str, Any], precision_mode: int) -> float | None:
    value = (market.get("precision") or {}).get("amount")
    if value is None:
        return None
    if precision_mode == _DECIMAL_PLACES:
        return float(10.0 ** (-float(value)))
    if precision_mode == _SIGNIFICANT_DIGITS:
        return None  # the step depends on the amount; only amount_to_precision knows
    return float(value)


def rules_from_market(
    market: dict[str, Any],
    precision_mode: int = _TICK_SIZE,
    rounder: Callable[[str, float], Any] | None = None,
) -> MarketRules:
    """:class:`MarketRules` from one ccxt unified market structure."""
    limits = market.get("limits") or {}
    amount = limits.get("amount") or {}
    cost = limits.get("cost") or {}
    contract_size = market.get("contractSize") if market.get("contract") else 1.0
    return MarketRules(
        symbol=market["symbol"],
        asset=str(market["base"]).upper(),
        quote=str(market["quote"]).upper(),
        contract_size=float(contract_size or 1.0),
        amount_step=_step(market, precision_mode),
        min_amount=float(amount["min"]) if amount.get("min") is not None else None,
        min_cost=float(cost["min"]) if cost.get("min") is not None else None,
        taker_fee=float(market["taker"]) if market.get("taker") is not None else None,
        _round=rounder,
    )


def load_rules(
    session: ExchangeSession, assets: list[str], quote: str
) -> tuple[dict[str, MarketRules], list[str]]:
    """Rules of ``asset/quote`` markets on the session's exchange.

    Returns the rules by asset and the assets that have no such (active) market.
    """
    markets = session.load_markets()
    mode = int(getattr(session.client, "precisionMode", _TICK_SIZE))

    def rounder(symbol: str, amount: float) -> Any:
        return session.call("amount_to_precision", symbol, amount)

    rules: dict[str, MarketRules] = {}
    missing: list[str] = []
    for asset in assets:
        symbol = market_symbol(asset, quote, session.market_type)
        market = markets.get(symbol)
        if market is None or market.get("active") is False:
            missing.append(asset)
            continue
        rules[asset] = rules_from_market(market, mode, rounder)
    return rules, missing
