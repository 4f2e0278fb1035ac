"""Current holdings: amounts, values in the quote currency, weights, cash and equity.

Sources:

* an exchange account through ccxt (:func:`fetch_holdings`): spot balances
  (``fetch_balance``) or USDT-margined linear futures positions (``fetch_positions``), priced at
  the latest ticker (``fetch_tickers``; the mark price for positions);
* a file (:func:`read_holdings_file`, CSV or JSON with ``symbol, amount``) priced from a
  dataset or prices file (:func:`latest_prices`).

Conventions: the quote currency (``USDT`` by default) is worth exactly 1; other stablecoins are
*cash-like* assets priced from their own market (never by decree); holdings worth less than the
dust threshold are reported apart and left out of equity and weights; assets with no price are
reported as unpriced (never valued at zero silently).

For a linear futures account the equity is the quote balance plus the unrealised PnL of the
positions, and a position's ``value`` is its signed notional (``contracts * contractSize *
markPrice``, negative for shorts), so weights are exposures per unit of equity.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cryptofolio.data.symbols import is_stablecoin, normalize_asset, to_asset
from cryptofolio.errors import DataError, TradeError
from cryptofolio.magnitudes import MAX_UNITS
from cryptofolio.trade.exchange import ExchangeSession, MarketType
from cryptofolio.trade.markets import market_symbol

COLUMNS = ["amount", "price", "value", "weight", "cash_like"]


@dataclass(frozen=True)
class Holdings:
    """An account's holdings valued in ``quote``.

    Attributes
    ----------
    positions : pd.DataFrame
        Index asset; columns ``amount`` (base units, signed for futures), ``price`` (quote per
        unit), ``value`` (quote), ``weight`` (fraction of equity), ``cash_like`` (stablecoin).
        The quote currency itself is a row (spot) with price 1.
    dust : pd.DataFrame
        Holdings worth less than ``dust_threshold`` (same columns, weight NaN), not in equity.
    unpriced : tuple[str, ...]
        Assets held with no price available; not in equity.
    equity : float
        Total value of ``positions`` (spot) or quote balance + unrealised PnL (linear), quote.
    cash : float
        Value of the cash-like rows (the quote and other stablecoins), quote currency.
    """

    positions: pd.DataFrame
    quote: str
    market_type: MarketType
    equity: float
    cash: float
    dust: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=COLUMNS))
    unpriced: tuple[str, ...] = ()
    dust_threshold: float = 1.0
    source: str = ""

    @property
    def weights(self) -> pd.Series:
        """Weights (fractions of equity) of every row, the quote currency included."""
        return self.positions["weight"]

    @property
    def amounts(self) -> pd.Series:
        return self.positions["amount"]

    @property
    def prices(self) -> pd.Series:
        return self.positions["price"]

    @property
    def quote_balance(self) -> float:
        """Amount of the quote currency (the cash that funds buys)."""
        if self.quote in self.positions.index:
            return float(self.positions.at[self.quote, "amount"])
        return 0.0

    def risky_assets(self) -> list[str]:
        """Held assets other than the quote currency (the ones an optimiser weighs)."""
        return [a for a in self.positions.index if a != self.quote]


def value_holdings(
    amounts: pd.Series,
    prices: pd.Series,
    quote: str = "USDT",
    *,
    dust_threshold: float = 1.0,
    source: str = "",
) -> Holdings:
    """Value spot ``amounts`` (base units by asset) at ``prices`` (quote per unit).

    The quote currency is priced 1. Assets missing from ``prices`` are reported in
    ``unpriced``; holdings worth less than ``dust_threshold`` (quote) go to ``dust``.
    Negative spot amounts are an error.
    """
    quote = normalize_asset(quote)
    amounts = amounts.astype(float)
    neg = amounts[amounts < 0]
    if not neg.empty:
        raise TradeError(
            f"negative spot amounts for {', '.join(neg.index)}; a spot account cannot be short"
        )
    amounts = amounts[amounts > 0]
    px = prices.astype(float).copy()
    px[quote] = 1.0
    priced = [a for a in amounts.index if a in px.index and np.isfinite(px[a]) and px[a] > 0]
    unpriced = tuple(a for a in amounts.index if a not in priced)
    frame = pd.DataFrame({"amount": amounts[priced], "price": px.reindex(priced)})
    frame["value"] = frame["amount"] * frame["price"]
    frame["cash_like"] = [is_stablecoin(a) for a in frame.index]
    is_dust = frame["value"] < dust_threshold
    dust = frame[is_dust].assign(weight=np.nan)[COLUMNS]
    frame = frame[~is_dust]
    equity = float(frame["value"].sum())
    frame["weight"] = frame["value"] / equity if equity > 0 else np.nan
    frame = frame[COLUMNS].sort_values("value", ascending=False)
    frame.index.name = "asset"
    cash = float(frame.loc[frame["cash_like"], "value"].sum())
    return Holdings(
        positions=frame,
        quote=quote,
        market_type=MarketType.SPOT,
        equity=equity,
        cash=cash,
        dust=dust,
        unpriced=unpriced,
        dust_threshold=dust_threshold,
        source=source,
    )


def read_holdings_file(path: str | Path) -> pd.Series:
    """Read ``symbol, amount`` holdings from a CSV or JSON file into amounts by asset.

    CSV: a header with ``symbol`` and ``amount`` columns. JSON: either ``{"BTC": 0.5, ...}`` or a
    list of ``{"symbol": "BTC", "amount": 0.5}``. Symbols may be assets (``BTC``) or markets
    (``BTC/USDT``, the base is taken).

    Raises
    ------
    DataError
        Missing file or columns, a non-numeric amount (with its line), a symbol listed twice.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"holdings file {path} does not exist")
    if path.suffix.lower() == ".json":
        try:
            raw: Any = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
        except UnicodeDecodeError as exc:
            raise DataError(
                f"{path}: not UTF-8 text (byte {exc.start}); save the holdings file as UTF-8"
            ) from None
        if isinstance(raw, dict):
            rows = [{"symbol": k, "amount": v} for k, v in raw.items()]
        elif isinstance(raw, list) and all(isinstance(r, dict) for r in raw):
            rows = raw
        else:
            raise DataError(
                f'{path}: expected {{"BTC": 0.5}} or [{{"symbol": "BTC", "amount": 0.5}}]'
            )
        frame = pd.DataFrame(rows)
        line_of = {i: f"entry {i + 1}" for i in range(len(frame))}
    else:
        try:
            frame = pd.read_csv(path)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise DataError(f"{path}: cannot read as CSV ({exc})") from None
        frame.columns = [str(c).strip().lower() for c in frame.columns]
        line_of = {i: f"line {i + 2}" for i in range(len(frame))}
    if "symbol" not in frame or "amount" not in frame:
        raise DataError(f"{path}: needs columns 'symbol' and 'amount', got {list(frame.columns)}")
    out: dict[str, float] = {}
    for i, (sym, amt) in enumerate(zip(frame["symbol"], frame["amount"], strict=True)):
        asset = to_asset(str(sym))
        try:
            value = float(amt)
        except (TypeError, ValueError):
            raise DataError(
                f"{path}, {line_of[i]}: amount {amt!r} of {sym} is not a number"
            ) from None
        if not np.isfinite(value):
            raise DataError(f"{path}, {line_of[i]}: amount of {sym} is {amt!r}")
        if abs(value) > MAX_UNITS:
            raise DataError(
                f"{path}, {line_of[i]}: amount {value:.6g} of {sym} is implausible (more than "
                f"{MAX_UNITS:.0e} units); check the amount and its unit"
            )
        if asset in out:
            raise DataError(f"{path}, {line_of[i]}: {asset} is listed more than once")
        out[asset] = value
    if not out:
        raise DataError(f"{path}: no holdings listed")
    return pd.Series(out, dtype=float, name="amount")


def latest_prices(close: pd.DataFrame, assets: list[str] | None = None) -> pd.DataFrame:
    """Last available close of each asset of a wide close panel, with its date.

    Returns a frame indexed by asset with columns ``price`` and ``timestamp`` (the date of that
    close, so a stale price is visible).
    """
    cols = list(close.columns) if assets is None else [a for a in assets if a in close.columns]
    rows = {}
    for asset in cols:
        series = close[asset].dropna()
        if series.empty:
            continue
        rows[asset] = {"price": float(series.iloc[-1]), "timestamp": series.index[-1]}
    return pd.DataFrame.from_dict(rows, orient="index", columns=["price", "timestamp"])


def ticker_prices(session: ExchangeSession, assets: list[str], quote: str) -> pd.DataFrame:
    """Latest prices of ``asset/quote`` markets from ``fetch_tickers``.

    Returns a frame indexed by asset with ``price`` (``last``, else ``close``, quote per unit)
    and ``quote_volume`` (24h volume in the quote currency, for slippage estimates).
    """
    markets = session.load_markets()
    wanted = {
        market_symbol(a, quote, session.market_type): a
        for a in assets
        if a != quote and market_symbol(a, quote, session.market_type) in markets
    }
    rows: dict[str, dict[str, float]] = {}
    if wanted:
        if session.has("fetchTickers"):
            tickers = session.call("fetch_tickers", list(wanted))
        else:  # one request per market on exchanges without a batch endpoint
            tickers = {sym: session.call("fetch_ticker", sym) for sym in wanted}
        for symbol, asset in wanted.items():
            t = tickers.get(symbol) or {}
            price = t.get("last") if t.get("last") is not None else t.get("close")
            if price is None or not float(price) > 0:
                continue
            qv = t.get("quoteVolume")
            if qv is None and t.get("baseVolume") is not None:
                qv = float(t["baseVolume"]) * float(price)
            rows[asset] = {
                "price": float(price),
                "quote_volume": float(qv) if qv is not None else np.nan,
            }
    return pd.DataFrame.from_dict(rows, orient="index", columns=["price", "quote_volume"])


def fetch_holdings(
    session: ExchangeSession,
    quote: str = "USDT",
    *,
    dust_threshold: float = 1.0,
) -> tuple[Holdings, pd.DataFrame]:
    """Read the account behind ``session`` and value it in ``quote``.

    Spot: ``fetch_balance()['total']`` for every currency with a positive total. Linear:
    ``fetch_positions()`` (needs ``has['fetchPositions']``) for the USDT-margined positions
    plus the quote balance. Returns the holdings and the ticker frame used to price them.

    Raises
    ------
    TradeError
        No credentials, an exchange error (credentials scrubbed), or positions unsupported.
    """
    if not session.authenticated:
        raise TradeError(
            f"reading a {session.exchange_id} account needs API keys: set "
            f"CRYPTOFOLIO_{session.exchange_id.upper()}_API_KEY and _SECRET, or add a "
            f"[{session.exchange_id}] section to the keys file; or pass --holdings FILE"
        )
    quote = normalize_asset(quote)
    balance = session.call("fetch_balance")
    totals = {
        str(k).upper(): float(v)
        for k, v in (balance.get("total") or {}).items()
        if v is not None and float(v) != 0.0
    }
    source = f"{session.exchange_id} {session.market_type}" + (
        " testnet" if session.testnet else ""
    )
    if session.market_type is MarketType.SPOT:
        assets = list(totals)
        tickers = ticker_prices(session, assets, quote)
        holdings = value_holdings(
            pd.Series(totals, dtype=float),
            tickers["price"],
            quote,
            dust_threshold=dust_threshold,
            source=source,
        )
        return holdings, tickers
    return _linear_holdings(session, quote, totals, source, dust_threshold)


def _linear_holdings(
    session: ExchangeSession,
    quote: str,
    totals: dict[str, float],
    source: str,
    dust_threshold: float,
) -> tuple[Holdings, pd.DataFrame]:
    """A linear futures account: its ``quote``-settled positions at their mark prices, the
    quote balance as cash, equity = cash + unrealised PnL."""
    if not session.has("fetchPositions"):
        raise TradeError(f"{session.exchange_id} has no fetchPositions in ccxt; use --market spot")
    session.load_markets()
    rows, upnl = _position_rows(session, quote)
    cash = float(totals.get(quote, 0.0))
    equity = cash + upnl
    if not equity > 0:
        raise TradeError(
            f"{session.exchange_id} linear account equity is {equity:.2f} {quote}; nothing to "
            "rebalance"
        )
    rows[quote] = {"amount": cash, "price": 1.0, "value": cash, "cash_like": True}
    frame = pd.DataFrame.from_dict(
        rows, orient="index", columns=["amount", "price", "value", "cash_like"]
    )
    frame["cash_like"] = frame["cash_like"].astype(bool)
    frame["weight"] = frame["value"] / equity
    frame = frame[COLUMNS]
    frame.index.name = "asset"
    tickers = ticker_prices(session, [a for a in rows], quote)
    holdings = Holdings(
        positions=frame,
        quote=quote,
        market_type=MarketType.LINEAR,
        equity=equity,
        cash=cash,
        dust_threshold=dust_threshold,
        source=source,
    )
    return holdings, tickers


def _position_rows(session: ExchangeSession, quote: str) -> tuple[dict[str, dict[str, Any]], float]:
    """Open linear positions settled in ``quote`` (signed base amount, mark price, signed
    notional, cash-like flag) by asset, and their total unrealised PnL (quote)."""
    rows: dict[str, dict[str, Any]] = {}
    upnl = 0.0
    for p in session.call("fetch_positions"):
        symbol = str(p.get("symbol", ""))
        market = session.client.markets.get(symbol, {}) if session.client.markets else {}
        if not (market.get("linear") and str(market.get("settle", "")).upper() == quote):
            continue
        contracts = float(p.get("contracts") or 0.0)
        if contracts == 0:
            continue
        size = float(p.get("contractSize") or market.get("contractSize") or 1.0)
        sign = -1.0 if p.get("side") == "short" else 1.0
        mark = p.get("markPrice")
        if mark is None:
            raise TradeError(f"{session.exchange_id} position {symbol} has no mark price")
        asset = str(market.get("base") or to_asset(symbol)).upper()
        amount = sign * contracts * size
        rows[asset] = {
            "amount": amount,
            "price": float(mark),
            "value": amount * float(mark),
            "cash_like": is_stablecoin(asset),
        }
        upnl += float(p.get("unrealizedPnl") or 0.0)
    return rows, upnl
