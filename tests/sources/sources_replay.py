"""Replay HTTP for the source tests (helpers; the fixtures are in conftest.py): a ``requests.Session`` whose ``request`` answers from recorded
payloads (tests/fixtures/sources), emulating each API's paging rules. Nothing touches the network.

ccxt's own code runs unchanged: only ``exchange.session`` is replaced, so URL building, HTTP
status mapping (429 -> RateLimitExceeded, 5xx -> ExchangeNotAvailable) and candle parsing are
the real ones.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

import requests
from requests.structures import CaseInsensitiveDict

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sources"
SPOT_ONLY = {"options": {"fetchMarkets": {"types": ["spot"]}}}


def load_fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def http_response(
    status: int, body: str | bytes, content_type: str = "application/json"
) -> requests.Response:
    resp = requests.Response()
    resp.status_code = status
    resp._content = body.encode() if isinstance(body, str) else body
    resp.headers = CaseInsensitiveDict({"Content-Type": content_type})
    resp.reason = {200: "OK", 400: "Bad Request", 429: "Too Many Requests"}.get(status, "Error")
    resp.encoding = "utf-8"
    return resp


class ReplaySession(requests.Session):
    """Answers every request with ``handler(path, params, headers)``; records what was asked."""

    def __init__(self, handler: Callable[[str, dict[str, str], dict[str, str]], requests.Response]):
        super().__init__()
        self.handler = handler
        self.calls: list[tuple[str, dict[str, str]]] = []

    def request(self, method, url, params=None, headers=None, **kwargs):
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        query.update({k: str(v) for k, v in (params or {}).items()})
        self.calls.append((parts.path, query))
        return self.handler(parts.path, query, dict(headers or {}))

    def paths(self, contains: str) -> list[dict[str, str]]:
        return [q for p, q in self.calls if contains in p]


class ExchangeReplay:
    """Emulates one exchange's public market endpoints from recorded candles.

    ``script`` holds responses served (in order) to the next candle requests instead of the
    emulated answer: that is how 429s, 500s and malformed bodies are injected.
    ``holes`` are candle open times (ms) the exchange has no candle for.
    """

    def __init__(self, klines: dict[str, list[list[Any]]]):
        self.klines = klines
        self.script: list[requests.Response] = []
        self.holes: set[int] = set()

    def candles(self, key: str) -> list[list[Any]] | None:
        rows = self.klines.get(key)
        return None if rows is None else [r for r in rows if r[0] not in self.holes]


class BinanceReplay(ExchangeReplay):
    def __call__(self, path: str, q: dict[str, str], headers: dict[str, str]) -> requests.Response:
        if path.endswith("/exchangeInfo"):
            return http_response(200, json.dumps(load_fixture("binance_exchange_info.json")))
        if path.endswith("/klines"):
            if self.script:
                return self.script.pop(0)
            rows = self.candles(f"{q['symbol']}_{q['interval']}")
            if rows is None:
                return http_response(400, '{"code":-1121,"msg":"Invalid symbol."}')
            lo = int(q.get("startTime", 0))
            hi = int(q.get("endTime", 2**62))
            page = [r for r in rows if lo <= r[0] <= hi][: int(q.get("limit", 500))]
            return http_response(200, json.dumps(page))
        return http_response(404, '{"code":-1,"msg":"not replayed"}')


class BybitReplay(ExchangeReplay):
    """Bybit v5: /v5/market/kline returns the *newest* ``limit`` candles in [start, end],
    newest first, as strings ``[startTime, open, high, low, close, volume, turnover]``."""

    INTERVALS: ClassVar[dict[str, str]] = {"D": "1d", "60": "1h"}

    def __call__(self, path: str, q: dict[str, str], headers: dict[str, str]) -> requests.Response:
        if path == "/v5/market/instruments-info":
            if q.get("category") == "spot":
                return http_response(200, json.dumps(load_fixture("bybit_instruments_spot.json")))
            empty = {
                "retCode": 0,
                "retMsg": "OK",
                "result": {"category": q.get("category"), "list": []},
            }
            return http_response(200, json.dumps(empty))
        if path == "/v5/market/kline":
            if self.script:
                return self.script.pop(0)
            rows = self.candles(f"{q['symbol']}_{self.INTERVALS[q['interval']]}")
            if rows is None:
                body = {
                    "retCode": 10001,
                    "retMsg": "Not supported symbols",
                    "result": {},
                    "retExtInfo": {},
                    "time": 1,
                }
                return http_response(200, json.dumps(body))
            lo = int(q.get("start", 0))
            hi = int(q.get("end", 2**62))
            inside = [r for r in rows if lo <= r[0] <= hi]
            page = list(reversed(inside))[: int(q.get("limit", 200))]
            listed = [[str(r[0]), r[1], r[2], r[3], r[4], r[5], r[7]] for r in page]
            body = {
                "retCode": 0,
                "retMsg": "OK",
                "result": {"symbol": q["symbol"], "category": q.get("category"), "list": listed},
                "retExtInfo": {},
                "time": 1700000000000,
            }
            return http_response(200, json.dumps(body))
        return http_response(404, '{"retCode":10001,"retMsg":"not replayed"}')


CC_STEP = {"histoday": 86400, "histohour": 3600}


class CryptoCompareReplay:
    """Emulates ``/data/v2/histoday|histohour``: ``limit + 1`` candles ending at ``toTs``; times
    before the coin's first trade come back as all-zero placeholder candles."""

    def __init__(self):
        self.payloads = load_fixture("cryptocompare.json")
        self.script: list = []

    def __call__(self, path, q, headers):
        if self.script:
            return self.script.pop(0)
        endpoint = path.rsplit("/", 1)[-1]
        key = f"{endpoint}_{q['fsym']}_{q['tsym']}"
        if key not in self.payloads:
            err = dict(self.payloads["error_unknown_symbol"])
            err["Message"] = f"There is no data for the symbol {q['fsym']} ."
            return http_response(200, json.dumps(err))
        step = CC_STEP[endpoint]
        recorded = {c["time"]: c for c in self.payloads[key]["Data"]["Data"]}
        first = min(recorded)
        to = int(q["toTs"]) // step * step
        frm = to - int(q["limit"]) * step
        zero = {"high": 0, "low": 0, "open": 0, "volumefrom": 0, "volumeto": 0, "close": 0}
        data = []
        for t in range(frm, to + step, step):
            if t in recorded:
                data.append(recorded[t])
            elif t < first:
                data.append({"time": t, **zero, "conversionType": "direct", "conversionSymbol": ""})
        body = {
            "Response": "Success",
            "Message": "",
            "HasWarning": False,
            "Type": 100,
            "RateLimit": {},
            "Data": {"Aggregated": False, "TimeFrom": frm, "TimeTo": to, "Data": data},
        }
        return http_response(200, json.dumps(body))


def replayed_exchange(exchange_id: str, server: ExchangeReplay):
    """A real ccxt exchange whose HTTP session is the replay server (and whose throttle is free)."""
    from cryptofolio.data.sources import create_exchange

    exchange = create_exchange(exchange_id, SPOT_ONLY)
    exchange.session = ReplaySession(server)
    exchange.rateLimit = 0  # ccxt still throttles, but waits 0 ms
    return exchange
