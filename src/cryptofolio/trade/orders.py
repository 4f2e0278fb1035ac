"""Orders that move current holdings to target weights.

:func:`plan_orders` compares the holdings with ``target_weights * equity`` asset by asset and
returns an :class:`OrderPlan`:

1. the wanted trade ``(target value - current value) / price`` in base units (in contracts for
   linear futures); spot sells are capped at the amount held;
2. its size truncated to the market's amount step with ccxt's ``amount_to_precision``;
3. trades whose rounded notional is below ``min_trade`` (quote), or that break the exchange's
   minimum amount or minimum notional, are skipped and reported with the reason;
4. spot buys are scaled down together when the quote balance after the sells and the estimated
   costs cannot fund them (never a silent overdraft);
5. sells come first (largest first), then buys, so the buys are funded;
6. estimated fees and slippage with :func:`cryptofolio.costs.trade_costs` (the backtest's cost
   model), and the weights that result after rounding and costs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

import numpy as np
import pandas as pd

from cryptofolio.costs import CostModel, Slippage, trade_costs
from cryptofolio.errors import TradeError
from cryptofolio.trade.exchange import MarketType
from cryptofolio.trade.holdings import Holdings
from cryptofolio.trade.markets import MarketRules, market_symbol


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"


@dataclass(frozen=True)
class Order:
    """One market order to send.

    ``amount`` is what is sent to the exchange (contracts for futures, base units for spot,
    already rounded to the step); ``base_amount`` the same in base units; ``notional`` its
    value at ``price`` (quote, positive); ``fee`` and ``slippage`` the estimated costs (quote).
    """

    asset: str
    market: str
    side: Side
    amount: float
    base_amount: float
    price: float
    notional: float
    fee: float = 0.0
    slippage: float = 0.0

    @property
    def cost(self) -> float:
        return self.fee + self.slippage

    @property
    def signed_base_amount(self) -> float:
        return self.base_amount if self.side is Side.BUY else -self.base_amount


@dataclass(frozen=True)
class SkippedTrade:
    """A trade toward the target that is not sent, and why."""

    asset: str
    market: str
    side: Side
    wanted_amount: float  # base units, before rounding
    notional: float  # quote, of the wanted trade
    reason: str


@dataclass(frozen=True)
class OrderPlan:
    """Orders (sells first), skipped trades and the portfolio they lead to.

    Weight series are fractions of equity indexed by asset, the quote currency included (for
    spot it is the cash weight). ``resulting_weights`` are after rounding, skips and the
    estimated costs.
    """

    orders: tuple[Order, ...]
    skipped: tuple[SkippedTrade, ...]
    current_weights: pd.Series
    target_weights: pd.Series
    resulting_weights: pd.Series
    resulting_amounts: pd.Series
    equity: float
    equity_after: float
    quote: str
    market_type: MarketType
    cost_model: CostModel
    notes: tuple[str, ...] = field(default=())

    @property
    def total_fees(self) -> float:
        return float(sum(o.fee for o in self.orders))

    @property
    def total_slippage(self) -> float:
        return float(sum(o.slippage for o in self.orders))

    @property
    def turnover(self) -> float:
        """Traded notional over equity (fraction)."""
        return float(sum(o.notional for o in self.orders) / self.equity) if self.equity else 0.0

    def weights_table(self) -> pd.DataFrame:
        """current / target / resulting weights per asset, and their difference."""
        table = pd.DataFrame(
            {
                "current": self.current_weights,
                "target": self.target_weights,
                "resulting": self.resulting_weights,
            }
        ).fillna(0.0)
        table["resulting - target"] = table["resulting"] - table["target"]
        return table


def _costs(notional: pd.Series, model: CostModel, volume: pd.Series | None) -> pd.DataFrame:
    """Fee and slippage per trade (quote) with the shared cost model."""
    if notional.empty:
        return pd.DataFrame({"fee": [], "slippage": []}, dtype=float)
    total = trade_costs(notional, model, volume)
    fee_only = trade_costs(notional, replace(model, slippage=Slippage.NONE), volume)
    return pd.DataFrame({"fee": fee_only, "slippage": total - fee_only}).astype(float)


def _min_reason(rules: MarketRules | None, contracts: float, notional: float) -> str | None:
    if rules is None:
        return None
    if contracts <= 0:
        step = rules.amount_step
        return f"below one amount step ({step:g})" if step else "below the amount precision"
    if rules.min_amount is not None and contracts < rules.min_amount - 1e-12:
        return f"amount {contracts:g} below the exchange minimum {rules.min_amount:g}"
    if rules.min_cost is not None and notional < rules.min_cost - 1e-9:
        return f"notional {notional:.2f} below the exchange minimum {rules.min_cost:g}"
    return None


def plan_orders(
    holdings: Holdings,
    target_weights: pd.Series,
    *,
    rules: dict[str, MarketRules] | None = None,
    prices: pd.Series | None = None,
    volumes: pd.Series | None = None,
    cost_model: CostModel | None = None,
    min_trade: float = 10.0,
) -> OrderPlan:
    """Plan the orders that move ``holdings`` to ``target_weights``.

    Parameters
    ----------
    holdings : Holdings
        Current account (spot or linear).
    target_weights : pd.Series
        Target weight per asset (fractions of equity). Assets held but absent from the target
        get weight 0 (sold); the quote currency's weight is whatever is left (spot cash).
    rules : dict, optional
        Exchange rules per asset (:func:`cryptofolio.trade.markets.load_rules`). Without them
        (offline) amounts are not rounded and a note says so.
    prices : pd.Series, optional
        Prices (quote per unit) of target assets not held; held assets use their holding price.
    volumes : pd.Series, optional
        24h quote volume per asset, for the square-root slippage model.
    cost_model : CostModel, optional
        Default: each market's taker fee (10 bps when unknown), no slippage.
    min_trade : float
        Trades with a notional below this many quote units are skipped.

    Raises
    ------
    TradeError
        Negative targets on a spot account, target assets with no price, or no equity.
    """
    equity = holdings.equity
    if not equity > 0:
        raise TradeError("the account has no equity to rebalance")
    target = _checked_target(holdings, target_weights)
    notes: list[str] = []
    if rules is None:
        notes.append("no exchange metadata: amounts are not rounded to exchange steps/minimums")
    cost_model = cost_model or _default_cost_model(rules)
    sizer = _Sizer.of(holdings, target, rules, prices, min_trade)
    orders: list[Order] = []
    skipped: list[SkippedTrade] = []
    for asset in sizer.risky:
        wanted = (sizer.target[asset] * equity - sizer.value[asset]) / sizer.price[asset]
        if abs(wanted * sizer.price[asset]) <= 1e-9 * equity:  # optimiser round-off, not a trade
            continue
        order, skip = sizer.size(asset, wanted)
        orders.extend([order] if order else [])
        skipped.extend([skip] if skip else [])
    orders = _with_costs(orders, cost_model, volumes)
    if sizer.spot:
        orders = _fund_buys(
            orders, sizer, holdings.quote_balance, (cost_model, volumes), notes, skipped
        )
    sells = sorted((o for o in orders if o.side is Side.SELL), key=lambda o: -o.notional)
    buys = sorted((o for o in orders if o.side is Side.BUY), key=lambda o: -o.notional)
    return _plan(holdings, sizer, tuple(sells + buys), tuple(skipped), cost_model, tuple(notes))


def _checked_target(holdings: Holdings, target_weights: pd.Series) -> pd.Series:
    """Target weights by upper-case asset; no NaN; on spot no negative weight (then clipped at
    0 against round-off)."""
    quote = holdings.quote
    target = target_weights.astype(float).copy()
    target.index = [str(a).upper() for a in target.index]
    if target.isna().any():
        raise TradeError(f"target weights are NaN for {', '.join(target.index[target.isna()])}")
    if holdings.market_type is MarketType.SPOT:
        neg = target[(target < -1e-12) & (target.index != quote)]
        if not neg.empty:
            raise TradeError(
                f"negative target weights for {', '.join(neg.index)} on a spot account; "
                "use --min-weight 0 or --market linear"
            )
        target = target.clip(lower=0.0)
    return target


def _default_cost_model(rules: dict[str, MarketRules] | None) -> CostModel:
    """The largest taker fee the markets state (10 bps when none does), no slippage."""
    fees = [r.taker_fee for r in (rules or {}).values() if r.taker_fee is not None]
    return CostModel(fee_bps=float(np.max(fees) * 1e4) if fees else 10.0)


@dataclass(frozen=True)
class _Sizer:
    """What sizing an order needs: per non-quote asset (``risky``) its price (quote per unit),
    amount held, current value and target weight; the markets' rules; the minimum trade."""

    quote: str
    market_type: MarketType
    risky: list[str]
    price: pd.Series
    held: pd.Series
    value: pd.Series
    target: pd.Series
    rules: dict[str, MarketRules] | None
    min_trade: float

    @property
    def spot(self) -> bool:
        return self.market_type is MarketType.SPOT

    @classmethod
    def of(
        cls,
        holdings: Holdings,
        target: pd.Series,
        rules: dict[str, MarketRules] | None,
        prices: pd.Series | None,
        min_trade: float,
    ) -> _Sizer:
        quote = holdings.quote
        positions = holdings.positions
        px = positions["price"].copy()
        for a, p in (prices if prices is not None else pd.Series(dtype=float)).items():
            a = str(a).upper()
            if a not in px.index and np.isfinite(p) and p > 0:
                px[a] = float(p)
        px[quote] = 1.0
        held = [*holdings.risky_assets(), *target.index]
        risky = [a for a in dict.fromkeys(held) if a != quote]
        no_price = [a for a in risky if a not in px.index]
        if no_price:
            raise TradeError(f"no latest price for {', '.join(no_price)}; cannot size their orders")
        tgt_w = target.reindex(risky).fillna(0.0)
        if holdings.market_type is MarketType.SPOT:
            over = float(tgt_w.sum())
            if over > 1 + 1e-6:
                raise TradeError(f"target weights of non-cash assets sum to {over:.4f} > 1 on spot")
        return cls(
            quote=quote,
            market_type=holdings.market_type,
            risky=risky,
            price=px,
            held=positions["amount"].reindex(risky).fillna(0.0),
            value=positions["value"].reindex(risky).fillna(0.0),
            target=tgt_w,
            rules=rules,
            min_trade=min_trade,
        )

    def size(self, asset: str, wanted_base: float) -> tuple[Order | None, SkippedTrade | None]:
        """The order for ``wanted_base`` units of ``asset`` (negative: a sell), rounded to the
        market's step; or why it is skipped."""
        rules = self.rules
        side = Side.BUY if wanted_base > 0 else Side.SELL
        market = (
            rules[asset].symbol
            if rules and asset in rules
            else market_symbol(asset, self.quote, self.market_type)
        )
        price = float(self.price[asset])
        want = abs(wanted_base)
        if self.spot and side is Side.SELL:
            # an exit sells exactly what is held (no float residue from value / price)
            held = float(self.held[asset])
            want = held if self.target[asset] == 0 else min(want, held)
        wanted_notional = want * price
        r = rules.get(asset) if rules is not None else None
        if rules is not None and r is None:
            return None, SkippedTrade(
                asset, market, side, want, wanted_notional, f"no {market} market on the exchange"
            )
        csize = r.contract_size if r else 1.0
        contracts = r.round_amount(want / csize) if r else want
        base = contracts * csize
        notional = base * price
        if notional < self.min_trade:
            return None, SkippedTrade(
                asset, market, side, want, wanted_notional, f"below --min-trade {self.min_trade:g}"
            )
        reason = _min_reason(r, contracts, notional)
        if reason:
            return None, SkippedTrade(asset, market, side, want, wanted_notional, reason)
        return Order(asset, market, side, contracts, base, price, notional), None


def _with_costs(
    batch: list[Order], cost_model: CostModel, volumes: pd.Series | None
) -> list[Order]:
    """``batch`` with each order's estimated fee and slippage (quote)."""
    if not batch:
        return []
    signed = pd.Series(
        [o.notional if o.side is Side.BUY else -o.notional for o in batch],
        index=[o.asset for o in batch],
        dtype=float,
    )
    vol = volumes.reindex(signed.index).astype(float) if volumes is not None else None
    c = _costs(signed, cost_model, vol)
    return [
        Order(
            **{
                **o.__dict__,
                "fee": float(c["fee"].iloc[i]),
                "slippage": float(c["slippage"].iloc[i]),
            }
        )
        for i, o in enumerate(batch)
    ]


def _fund_buys(
    orders: list[Order],
    sizer: _Sizer,
    quote_balance: float,
    costs: tuple[CostModel, pd.Series | None],
    notes: list[str],
    skipped: list[SkippedTrade],
) -> list[Order]:
    """Scale the spot buys down together until the quote balance plus the sells, net of every
    cost, pays for them (at most 5 rounds; each scaling is noted, new skips appended)."""
    for _ in range(5):
        sells = [o for o in orders if o.side is Side.SELL]
        buys = [o for o in orders if o.side is Side.BUY]
        available = quote_balance + sum(o.notional - o.cost for o in sells)
        need = sum(o.notional + o.cost for o in buys)
        if need <= available + 1e-9 or not buys:
            break
        factor = max(available, 0.0) / need
        notes.append(
            f"buys scaled by {factor:.4f} so that the quote balance covers them after costs"
        )
        resized: list[Order] = []
        for o in buys:
            order, skip = sizer.size(o.asset, o.base_amount * factor * (1 - 1e-9))
            resized.extend([order] if order else [])
            skipped.extend([skip] if skip else [])
        orders = sells + _with_costs(resized, *costs)
    return orders


def _plan(
    holdings: Holdings,
    sizer: _Sizer,
    ordered: tuple[Order, ...],
    skipped: tuple[SkippedTrade, ...],
    cost_model: CostModel,
    notes: tuple[str, ...],
) -> OrderPlan:
    """The plan with the portfolio that results after rounding and costs."""
    quote, risky, positions = holdings.quote, sizer.risky, holdings.positions
    delta = pd.Series({o.asset: o.signed_base_amount for o in ordered}, dtype=float)
    amounts_after = sizer.held.add(delta, fill_value=0.0).reindex(risky).fillna(0.0)
    values_after = amounts_after * sizer.price.reindex(risky)
    total_cost = sum(o.cost for o in ordered)
    target_full = sizer.target.copy()
    if sizer.spot:
        quote_after = (
            holdings.quote_balance
            + sum(-o.notional if o.side is Side.BUY else o.notional for o in ordered)
            - total_cost
        )
        # other stablecoins are in `risky`: they are traded through their own markets
        equity_after = float(values_after.sum() + quote_after)
        amounts_after[quote] = quote_after
        values_after[quote] = quote_after
        current = positions["weight"].reindex([*risky, quote]).fillna(0.0)
        target_full[quote] = 1.0 - float(sizer.target.sum())
    else:
        equity_after = holdings.equity - total_cost
        # the quote balance is margin, not an exposure: weights are positions only
        current = positions["weight"].reindex(risky).fillna(0.0)
        amounts_after[quote] = holdings.cash - total_cost
    resulting = values_after / equity_after if equity_after > 0 else values_after * np.nan
    return OrderPlan(
        orders=ordered,
        skipped=skipped,
        current_weights=current.rename("current"),
        target_weights=target_full.rename("target"),
        resulting_weights=resulting.rename("resulting"),
        resulting_amounts=amounts_after.rename("amount"),
        equity=holdings.equity,
        equity_after=equity_after,
        quote=quote,
        market_type=holdings.market_type,
        cost_model=cost_model,
        notes=notes,
    )
