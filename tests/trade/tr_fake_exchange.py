"""A faithful, offline fake of the ccxt calls the trade stage makes.

The fake *is* the real ccxt exchange class (``ccxt.binance``, ``ccxt.bybit``) with the network
replaced:

* ``load_markets`` runs ccxt's own parser over recorded public responses of the exchanges
  (``tests/fixtures/exchanges/*.json``: Binance ``/api/v3/exchangeInfo`` and
  ``/fapi/v1/exchangeInfo``, Bybit ``/v5/market/instruments-info`` spot and linear), so market
  precision and limits are exactly ccxt's unified structure, and ``amount_to_precision`` is
  ccxt's own code;
* ``fetch_balance``, ``fetch_positions``, ``fetch_tickers`` return unified structures built
  with ccxt's ``safe_balance``/``safe_position``/``safe_ticker`` from an in-memory account;
* ``create_order`` checks the order against the market's step and minimums the way the exchange
  would (rejecting with ``InvalidOrder``), can be told to fail, and records what would be sent;
* any other HTTP request raises, so a test can never reach the network.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import ccxt

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "exchanges"


def _load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@dataclass
class FakeAccount:
    """What the fake exchange holds and what it was sent."""

    balances: dict[str, float] = field(default_factory=dict)
    positions: list[dict[str, Any]] = field(default_factory=list)
    tickers: dict[str, dict[str, float]] = field(default_factory=dict)
    fail: dict[tuple[str, str], Exception] = field(default_factory=dict)
    sent: list[dict[str, Any]] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    configs: list[dict[str, Any]] = field(default_factory=list)
    sandbox: bool = False


def _route(exchange_id: str, url: str) -> Any:
    parsed = urlparse(url)
    query = parse_qs(parsed.query)
    if exchange_id == "binance":
        if parsed.path.endswith("/api/v3/exchangeInfo"):
            return _load("binance_spot_exchangeinfo.json")
        if parsed.path.endswith("/fapi/v1/exchangeInfo"):
            return _load("binance_fapi_exchangeinfo.json")
        if parsed.path.endswith(("/sapi/v1/margin/allPairs", "/sapi/v1/margin/isolated/allPairs")):
            return []  # margin pairs: not used by the trade stage
    if exchange_id == "bybit" and parsed.path.endswith("/v5/market/instruments-info"):
        category = query.get("category", [""])[0]
        if query.get("status") == ["PreLaunch"]:
            return {"retCode": 0, "retMsg": "OK", "result": {"category": category, "list": []}}
        if category == "spot":
            return _load("bybit_spot_instruments.json")
        if category == "linear":
            return _load("bybit_linear_instruments.json")
    raise AssertionError(f"unexpected network request in a test: {url}")


def fake_exchange_class(exchange_id: str, account: FakeAccount) -> type:
    """A subclass of the real ccxt class for ``exchange_id`` bound to ``account``."""
    base = getattr(ccxt, exchange_id)

    class FakeExchange(base):  # type: ignore[misc, valid-type]
        def __init__(self, config: dict[str, Any] | None = None) -> None:
            config = dict(config or {})
            account.configs.append(config)
            super().__init__(config)
            self.account = account
            self.options["fetchMarkets"] = {"types": ["spot", "linear"]}
            self.options["fetchCurrencies"] = False

        def set_sandbox_mode(self, enabled: bool) -> None:
            super().set_sandbox_mode(enabled)
            account.sandbox = bool(enabled)

        # -- network -----------------------------------------------------------------------
        def fetch(self, url, method="GET", headers=None, body=None):
            # the same debug line ccxt's own fetch() logs, headers (API key) included
            self.logger.debug("%s %s, Request: %s %s", method, url, headers, body)
            account.requests.append(url)
            return _route(exchange_id, url)

        def fetch_currencies(self, params={}):  # noqa: B006 - ccxt signature
            return {}

        # -- private account calls -------------------------------------------------------------
        def fetch_balance(self, params={}):  # noqa: B006
            self.check_required_credentials()
            if ("fetch_balance", "") in account.fail:
                raise account.fail[("fetch_balance", "")]
            result: dict[str, Any] = {"info": {"fake": True}}
            for code, total in account.balances.items():
                result[code] = {"free": total, "used": 0.0, "total": total}
            return self.safe_balance(result)

        def fetch_positions(self, symbols=None, params={}):  # noqa: B006
            self.check_required_credentials()
            self.load_markets()
            out = []
            for p in account.positions:
                market = self.market(p["symbol"])
                contracts = p["contracts"]
                mark = p["markPrice"]
                out.append(
                    self.safe_position(
                        {
                            "info": dict(p),
                            "symbol": market["symbol"],
                            "contracts": contracts,
                            "contractSize": market["contractSize"],
                            "side": p["side"],
                            "markPrice": mark,
                            "entryPrice": p.get("entryPrice", mark),
                            "notional": contracts * market["contractSize"] * mark,
                            "unrealizedPnl": p.get("unrealizedPnl", 0.0),
                            "marginMode": "cross",
                            "leverage": 1,
                            "hedged": False,
                        }
                    )
                )
            return out

        def fetch_tickers(self, symbols=None, params={}):  # noqa: B006
            self.load_markets()
            out = {}
            for symbol in symbols or list(account.tickers):
                t = account.tickers.get(symbol)
                if t is None:
                    continue
                out[symbol] = self.safe_ticker(
                    {
                        "symbol": symbol,
                        "last": t["last"],
                        "close": t["last"],
                        "bid": t["last"],
                        "ask": t["last"],
                        "quoteVolume": t.get("quoteVolume"),
                        "baseVolume": None,
                    }
                )
            return out

        def _check_like_the_exchange(self, symbol: str, amount: float, price: float) -> None:
            market = self.market(symbol)
            step = Decimal(str(market["precision"]["amount"]))
            if Decimal(str(amount)) % step != 0:
                raise ccxt.InvalidOrder(f"{exchange_id} Filter failure: LOT_SIZE {amount}")
            min_amount = market["limits"]["amount"]["min"]
            if min_amount is not None and amount < min_amount:
                raise ccxt.InvalidOrder(f"{exchange_id} Filter failure: LOT_SIZE min {amount}")
            min_cost = market["limits"]["cost"]["min"]
            notional = (
                amount * market["contractSize"] * price if market["contract"] else amount * price
            )
            if min_cost is not None and notional < min_cost:
                raise ccxt.InvalidOrder(f"{exchange_id} Filter failure: NOTIONAL {notional}")

        def create_order(self, symbol, type, side, amount, price=None, params={}):  # noqa: B006
            self.check_required_credentials()
            self.load_markets()
            record = {
                "symbol": symbol,
                "type": type,
                "side": side,
                "amount": amount,
                "amount_text": self.amount_to_precision(symbol, amount),
                "price": price,
                "params": dict(params),
            }
            # the request body ccxt itself would send (exchange field names)
            record["request"] = self.create_order_request(
                symbol, type, side, amount, price, dict(params)
            )
            account.sent.append(record)
            failure = account.fail.get((symbol, side))
            if failure is not None:
                raise failure
            last = account.tickers[symbol]["last"]
            self._check_like_the_exchange(symbol, amount, last)
            order = self.safe_order(
                {
                    "id": str(100000 + len(account.orders)),
                    "clientOrderId": params.get("clientOrderId"),
                    "symbol": symbol,
                    "type": type,
                    "side": side,
                    "amount": amount,
                    "filled": amount,
                    "remaining": 0.0,
                    "price": last,
                    "average": last,
                    "status": "closed",
                }
            )
            account.orders.append(order)
            return order

        def fetch_open_orders(self, symbol=None, since=None, limit=None, params={}):  # noqa: B006
            self.check_required_credentials()
            return [o for o in account.orders if o["status"] == "open" and o["symbol"] == symbol]

        def fetch_closed_orders(self, symbol=None, since=None, limit=None, params={}):  # noqa: B006
            self.check_required_credentials()
            return [o for o in account.orders if o["status"] == "closed" and o["symbol"] == symbol]

    FakeExchange.__name__ = f"Fake{exchange_id}"
    return FakeExchange


#: latest prices (quote USDT) and 24h quote volumes used by the tests
TICKERS = {
    "BTC/USDT": {"last": 37810.3, "quoteVolume": 1.2e9},
    "ETH/USDT": {"last": 2025.94, "quoteVolume": 6.0e8},
    "SOL/USDT": {"last": 59.13, "quoteVolume": 2.0e8},
    "BNB/USDT": {"last": 227.2, "quoteVolume": 8.0e7},
    "ADA/USDT": {"last": 0.3771, "quoteVolume": 5.0e7},
    "USDC/USDT": {"last": 1.0001, "quoteVolume": 3.0e8},
    "BTC/USDT:USDT": {"last": 37800.0, "quoteVolume": 9.0e9},
    "ETH/USDT:USDT": {"last": 2024.5, "quoteVolume": 5.0e9},
    "SOL/USDT:USDT": {"last": 59.1, "quoteVolume": 1.0e9},
}


def install(monkeypatch: Any, account: FakeAccount) -> None:
    """Make :func:`cryptofolio.trade.exchange.connect` build fake clients bound to ``account``."""
    from cryptofolio.trade import exchange as exchange_module

    monkeypatch.setattr(
        exchange_module, "exchange_class", lambda ex_id: fake_exchange_class(ex_id, account)
    )
