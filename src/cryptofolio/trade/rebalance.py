"""Rebalancing: from an account (or a holdings file) and a price history to an order plan.

:func:`plan_rebalance` composes the trade stage: read the holdings (from the exchange, or a
file priced on the exchange or at the data's last closes), choose the universe (assets held,
the quote currency aside, plus those added), optimise the target weights over their common
price window, and plan the orders that move the holdings there (exchange steps and minimums
when a session is given, sells first, estimated costs). Nothing is sent: sending is
:func:`cryptofolio.trade.execution.execute_plan`.

Amounts are in base units, prices and notionals in the quote currency, weights fractions of
equity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cryptofolio.costs import CostModel, Slippage
from cryptofolio.errors import TradeError
from cryptofolio.optimize import PortfolioConfig
from cryptofolio.trade.exchange import ExchangeSession
from cryptofolio.trade.holdings import (
    Holdings,
    fetch_holdings,
    latest_prices,
    read_holdings_file,
    ticker_prices,
    value_holdings,
)
from cryptofolio.trade.markets import MarketRules, load_rules
from cryptofolio.trade.orders import OrderPlan, plan_orders
from cryptofolio.trade.target import PriceSource, Target, target_weights, universe

#: fee (bps) of the cost estimate when no fee is given and the exchange states none
DEFAULT_FEE_BPS = 10.0


@dataclass(frozen=True)
class RebalanceRequest:
    """What to rebalance towards, and how the orders are sized.

    Parameters
    ----------
    config
        Optimiser configuration of the target portfolio.
    prices
        Where the price history of the target (and, offline, the holdings' prices) comes from.
    quote
        Quote currency that values everything (``USDT``); not part of the universe unless added.
    holdings_file
        CSV/JSON file of spot holdings (``symbol, amount``); ``None`` reads the session's account.
    added
        Assets to optimise over besides those held (``("SOL",)``; the quote currency here makes
        its weight the cash target).
    min_trade
        Trades below this notional (quote currency) are skipped.
    dust
        Holdings worth less than this (quote currency) are reported apart.
    fee_bps, slippage, slippage_bps
        Cost estimate of the plan: fee in basis points (``None``: the largest taker fee the
        exchange states, else :data:`DEFAULT_FEE_BPS`), slippage model and fixed slippage
        (bps). With ``fee_bps=None`` and no slippage the plan carries no cost model.
    """

    config: PortfolioConfig = field(default_factory=PortfolioConfig)
    prices: PriceSource = field(default_factory=PriceSource)
    quote: str = "USDT"
    holdings_file: Path | None = None
    added: tuple[str, ...] = ()
    min_trade: float = 10.0
    dust: float = 1.0
    fee_bps: float | None = None
    slippage: Slippage = Slippage.NONE
    slippage_bps: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "quote", self.quote.strip().upper())
        object.__setattr__(self, "slippage", Slippage(self.slippage))
        object.__setattr__(self, "added", tuple(self.added))


@dataclass(frozen=True)
class Rebalance:
    """The valued holdings, the target they move to and the order plan between them."""

    holdings: Holdings
    target: Target
    plan: OrderPlan


@dataclass(frozen=True)
class _MarketInputs:
    """Exchange rules, prices and 24 h quote volumes by asset (all ``None`` offline)."""

    rules: dict[str, MarketRules] | None
    prices: pd.Series | None
    volumes: pd.Series | None


def plan_rebalance(request: RebalanceRequest, session: ExchangeSession | None = None) -> Rebalance:
    """Plan the orders that move the holdings to the optimised target; nothing is sent.

    Parameters
    ----------
    request
        The target, the data and the order sizing.
    session
        Exchange session: read the account (when ``request.holdings_file`` is ``None``), price
        a holdings file at its tickers, and size orders to its markets' rules. ``None`` works
        offline from ``request.holdings_file`` priced at the data's last closes.

    Raises
    ------
    TradeError
        Neither a session nor a holdings file; an asset of the holdings file has no price; the
        universe is empty (only the quote currency held and nothing added).
    DataError
        The price data misses an asset or its common window is too short.
    """
    if session is None and request.holdings_file is None:
        raise TradeError("give an exchange session (read the account) or a holdings file")
    quote = request.quote
    amounts: pd.Series | None = None
    tickers: pd.DataFrame | None = None
    if request.holdings_file is not None:
        amounts = read_holdings_file(request.holdings_file)
        held = list(amounts.index)
    else:
        assert session is not None
        holdings, tickers = fetch_holdings(session, quote, dust_threshold=request.dust)
        held = holdings.risky_assets()
    assets = universe(held, list(request.added), quote)
    data_assets = list(dict.fromkeys([*assets, *[a for a in held if a != quote]]))
    panels = request.prices.panels(data_assets)
    close = panels.close
    if amounts is not None:
        holdings, tickers = _value_file(request, amounts, held, assets, close, session)
    target = target_weights(close, assets, request.config, market_caps=panels.market_cap)
    market = _market_inputs(session, holdings, assets, quote, tickers, close)
    plan = plan_orders(
        holdings,
        target.weights,
        rules=market.rules,
        prices=market.prices,
        volumes=market.volumes,
        cost_model=cost_model(request, market.rules),
        min_trade=request.min_trade,
    )
    return Rebalance(holdings=holdings, target=target, plan=plan)


def _value_file(
    request: RebalanceRequest,
    amounts: pd.Series,
    held: list[str],
    assets: list[str],
    close: pd.DataFrame,
    session: ExchangeSession | None,
) -> tuple[Holdings, pd.DataFrame | None]:
    """The holdings file valued at the session's tickers (returned too) or the last closes."""
    tickers: pd.DataFrame | None = None
    if session is not None:
        tickers = ticker_prices(session, list(dict.fromkeys([*held, *assets])), request.quote)
        px = tickers["price"]
    else:
        px = latest_prices(close)["price"]
    where = f" priced on {session.exchange_id}" if session else ""
    holdings = value_holdings(
        amounts,
        px,
        request.quote,
        dust_threshold=request.dust,
        source=f"{request.holdings_file}{where}",
    )
    if holdings.unpriced:
        raise TradeError(
            f"no price for {', '.join(holdings.unpriced)} held in {request.holdings_file}; add "
            "them to the --prices file or remove them from the holdings"
        )
    return holdings, tickers


def _market_inputs(
    session: ExchangeSession | None,
    holdings: Holdings,
    assets: list[str],
    quote: str,
    tickers: pd.DataFrame | None,
    close: pd.DataFrame,
) -> _MarketInputs:
    """Rules, prices and volumes from the exchange (tickers fetched for assets not yet priced),
    or the data's last closes offline."""
    if session is None:
        return _MarketInputs(None, latest_prices(close)["price"], None)
    extra = [a for a in assets if tickers is None or a not in tickers.index]
    if extra:
        more = ticker_prices(session, extra, quote)
        tickers = more if tickers is None else pd.concat([tickers, more])
    rules, _missing = load_rules(
        session, list(dict.fromkeys([*holdings.risky_assets(), *assets])), quote
    )
    if tickers is None:
        return _MarketInputs(rules, None, None)
    return _MarketInputs(rules, tickers["price"], tickers["quote_volume"])


def cost_model(
    request: RebalanceRequest, rules: dict[str, MarketRules] | None = None
) -> CostModel | None:
    """The cost model of the plan's estimate, or ``None`` (no fee given and no slippage).

    Without ``request.fee_bps`` the fee is the largest taker fee in ``rules`` (a fraction
    there, in bps here), or :data:`DEFAULT_FEE_BPS` when no market states one.
    """
    if request.fee_bps is None and request.slippage is Slippage.NONE:
        return None
    fee = request.fee_bps
    if fee is None:
        fees = [r.taker_fee for r in (rules or {}).values() if r.taker_fee is not None]
        fee = max(fees) * 1e4 if fees else DEFAULT_FEE_BPS
    return CostModel(fee_bps=fee, slippage=request.slippage, slippage_bps=request.slippage_bps)


__all__ = ["DEFAULT_FEE_BPS", "Rebalance", "RebalanceRequest", "cost_model", "plan_rebalance"]
