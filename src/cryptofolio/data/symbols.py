"""Symbol conventions: an *asset* is ``BTC``; a *market* is ``BTC/USDT`` (base/quote).

Everything in cryptofolio keys data by the upper-case asset symbol. Markets appear only where an
exchange is involved (data sources, trading), and are built or split with these helpers.
"""

from __future__ import annotations

from collections.abc import Iterable

from cryptofolio.errors import DataError

#: Assets that are designed to track one US dollar. They are *cash-like* assets: they have their
#: own (small) volatility and de-peg risk, and are never treated as risk-free by decree.
STABLECOINS: frozenset[str] = frozenset(
    {"USDT", "USDC", "BUSD", "DAI", "TUSD", "USDP", "FDUSD", "PYUSD", "USDD", "GUSD", "UST", "USDE"}
)


def normalize_asset(symbol: str) -> str:
    """Return the canonical asset symbol: stripped and upper-case (``" btc "`` -> ``"BTC"``)."""
    clean = str(symbol).strip().upper()
    if not clean or "/" in clean or " " in clean:
        raise DataError(
            f"{symbol!r} is not an asset symbol; give an asset such as 'BTC' "
            "(use to_market/split_market for exchange markets such as 'BTC/USDT')."
        )
    return clean


def split_market(market: str) -> tuple[str, str]:
    """Split ``"BTC/USDT"`` (or ``"BTC/USDT:USDT"`` for a linear swap) into ``("BTC", "USDT")``."""
    text = str(market).strip().upper()
    if "/" not in text:
        raise DataError(f"{market!r} is not a market; expected BASE/QUOTE such as 'BTC/USDT'.")
    base, quote = text.split("/", 1)
    quote = quote.split(":", 1)[0]
    if not base or not quote:
        raise DataError(f"{market!r} is not a market; expected BASE/QUOTE such as 'BTC/USDT'.")
    return base, quote


def to_market(symbol: str, quote: str = "USDT") -> str:
    """Return the market for ``symbol``: an asset gets ``/QUOTE`` added, a market is kept as is."""
    text = str(symbol).strip().upper()
    if "/" in text:
        base, q = split_market(text)
        return f"{base}/{q}" if ":" not in text else text
    return f"{normalize_asset(text)}/{quote.strip().upper()}"


def to_asset(symbol: str) -> str:
    """Return the asset of a symbol given either as an asset (``BTC``) or a market (``BTC/USDT``)."""
    text = str(symbol).strip().upper()
    return split_market(text)[0] if "/" in text else normalize_asset(text)


def parse_symbols(text: str | Iterable[str] | None) -> list[str] | None:
    """Parse ``"BTC, eth,SOL"`` (or a list) into ``["BTC", "ETH", "SOL"]``; ``None`` stays ``None``.

    Duplicates are an error rather than silently merged.
    """
    if text is None:
        return None
    items = text.split(",") if isinstance(text, str) else list(text)
    out = [to_asset(s) for s in items if str(s).strip()]
    dupes = sorted({s for s in out if out.count(s) > 1})
    if dupes:
        raise DataError(f"symbols listed more than once: {', '.join(dupes)}")
    if not out:
        raise DataError("no symbols given; pass a comma-separated list such as BTC,ETH")
    return out


def is_stablecoin(symbol: str) -> bool:
    """True for assets designed to track the US dollar (see :data:`STABLECOINS`)."""
    return to_asset(symbol) in STABLECOINS
