"""Common spellings of an asset in a user's price data, read as the asset (``BTC``).

A price file from yfinance names Bitcoin ``BTC-USD``; one from an exchange ``BTCUSDT`` or
``BTC/USDT``; one from CoinGecko ``bitcoin``. Keyed by those names, the benchmark ``btc-hold``
would find no ``BTC`` and every asset would miss its market cap. :func:`asset_spellings` reads
each as the asset and says so in a :class:`SymbolNote` (it reaches the table output and the
JSON ``warnings`` like the data-quality notes); two spellings of one asset are refused.

Rules, in order, on the stripped name (case does not matter):

1. a CoinGecko id of a bundled coin (``bitcoin``, ``ethereum``, ``avalanche-2``):
   :data:`COINGECKO_IDS`;
2. a market ``BASE/QUOTE`` (``BTC/USDT``, ``BTC/USDT:USDT``): the base;
3. ``BASE-QUOTE`` with a quote currency of :data:`QUOTES` (``BTC-USD``): the base;
4. ``BASEQUOTE`` ending in a quote currency (``BTCUSDT``, ``ETHUSD``), the base two characters
   or more and the name not itself a stablecoin (``FDUSD`` stays ``FDUSD``): the base;
5. anything else: the upper-case name (``btc`` -> ``BTC``), without a note.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable

from cryptofolio.data.symbols import STABLECOINS
from cryptofolio.errors import DataError
from cryptofolio.user_warnings import user_stacklevel

#: Quote currencies of the spellings ``BTC-USD`` and ``BTCUSDT`` (longest first): the dollar
#: and dollar stablecoins only, the currency of every price cryptofolio uses (``BTC-EUR``
#: stays ``BTC-EUR``: its prices are in euros).
QUOTES: tuple[str, ...] = ("FDUSD", "USDT", "USDC", "BUSD", "TUSD", "USD")

#: CoinGecko coin ids of the coins of the bundled ``coingecko-daily`` dataset.
COINGECKO_IDS: dict[str, str] = {
    "aave": "AAVE",
    "algorand": "ALGO",
    "arweave": "AR",
    "avalanche-2": "AVAX",
    "balancer": "BAL",
    "binance-usd": "BUSD",
    "binancecoin": "BNB",
    "bitcoin": "BTC",
    "bitcoin-cash": "BCH",
    "cardano": "ADA",
    "chainlink": "LINK",
    "compound-governance-token": "COMP",
    "cosmos": "ATOM",
    "curve-dao-token": "CRV",
    "dogecoin": "DOGE",
    "dydx": "DYDX",
    "ethereum": "ETH",
    "ethereum-classic": "ETC",
    "fantom": "FTM",
    "ftx-token": "FTT",
    "havven": "SNX",
    "hedera-hashgraph": "HBAR",
    "helium": "HNT",
    "kusama": "KSM",
    "kyber-network": "KNCL",
    "litecoin": "LTC",
    "loopring": "LRC",
    "maker": "MKR",
    "matic-network": "MATIC",
    "olympus": "OHM",
    "pancakeswap-token": "CAKE",
    "polkadot": "DOT",
    "raydium": "RAY",
    "republic-protocol": "REN",
    "ripple": "XRP",
    "safemoon": "SAFEMOON",
    "serum": "SRM",
    "shiba-inu": "SHIB",
    "solana": "SOL",
    "stellar": "XLM",
    "sushi": "SUSHI",
    "terra-luna": "LUNA",
    "tether": "USDT",
    "tezos": "XTZ",
    "the-graph": "GRT",
    "theta-token": "THETA",
    "tron": "TRX",
    "uniswap": "UNI",
    "usd-coin": "USDC",
    "yearn-finance": "YFI",
}


class SymbolNote(UserWarning):
    """Symbols of the user's data read as other assets (``BTC-USD`` as ``BTC``)."""


def asset_of(name: str) -> str:
    """The asset a price-data column or symbol ``name`` stands for (module rules 1 to 5).

    Raises
    ------
    DataError
        An empty name, or one with spaces.
    """
    text = str(name).strip()
    upper = text.upper()
    if not upper or " " in upper:
        raise DataError(f"{name!r} is not a symbol; name each price series by its asset (BTC)")
    if text.lower() in COINGECKO_IDS:
        return COINGECKO_IDS[text.lower()]
    if "/" in upper:
        base = upper.split("/", 1)[0]
        return base or upper
    base, dash, quote = upper.rpartition("-")
    if dash and base and quote in QUOTES:
        return base
    if upper not in STABLECOINS:
        for quote in QUOTES:
            if upper.endswith(quote) and len(upper) - len(quote) >= 2:
                return upper[: -len(quote)]
    return upper


def asset_spellings(names: Iterable[str], *, source: str = "the prices") -> dict[str, str]:
    """Map each name of ``names`` to its asset (:func:`asset_of`); warn with a
    :class:`SymbolNote` listing the names read as another asset (not those only upper-cased).

    Raises
    ------
    DataError
        Two names of ``names`` stand for the same asset (``BTC`` and ``BTC-USD``; ``btc`` and
        ``BTC`` are one name): which series is meant is not guessed.
    """
    mapping = {str(n): asset_of(n) for n in dict.fromkeys(names)}
    by_asset: dict[str, list[str]] = {}
    for name, asset in mapping.items():  # btc and BTC are one spelling (rows of one series)
        spellings = by_asset.setdefault(asset, [])
        if name.strip().upper() not in (s.strip().upper() for s in spellings):
            spellings.append(name)
    twice = {a: ns for a, ns in by_asset.items() if len(ns) > 1}
    if twice:
        parts = "; ".join(f"{', '.join(ns)} are all {a}" for a, ns in twice.items())
        raise DataError(
            f"{source}: {parts}; keep one series per asset (nothing is merged or chosen silently)"
        )
    renamed = [f"{n} as {a}" for n, a in mapping.items() if n.strip().upper() != a]
    if renamed:
        warnings.warn(
            f"{source}: symbols read as assets: {', '.join(renamed)}",
            SymbolNote,
            stacklevel=user_stacklevel(),
        )
    return mapping
