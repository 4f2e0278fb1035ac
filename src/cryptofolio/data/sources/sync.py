"""Fetch from a source into the local store, downloading only what the store lacks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from cryptofolio.data import store
from cryptofolio.data.sources.base import (
    FetchRange,
    MarketDataSource,
    last_closed_open,
    timeframe_delta,
    utc_timestamp,
)
from cryptofolio.data.sources.validation import (
    REJECTED_FILE,
    RejectedCandlesError,
    check_candles,
    record_rejected,
)
from cryptofolio.errors import DataError
from cryptofolio.keywords import spec_of_keywords
from cryptofolio.locks import LockPolicy

#: How to wait instead, appended to the error of a fetch that would not wait for a lock.
NO_WAIT_HINT = " (without --no-wait, `cryptofolio data fetch` waits for it)"


class FetchProgress(Protocol):
    """Receives progress events (the CLI draws a rich progress bar from them)."""

    def start_symbol(self, asset: str, pages: int) -> None: ...

    def page(self, asset: str, rows: int) -> None: ...

    def end_symbol(self, asset: str) -> None: ...


@dataclass(frozen=True)
class FetchPolicy:
    """How :func:`fetch_to_store` treats the store: ``refresh`` fetches the whole range again
    (changed candles are reported), ``lock`` says what to do while another process writes the
    dataset (``None``: wait, after a :class:`~cryptofolio.locks.LockWaitWarning`), ``now`` is
    the clock the last closed candle is read against (UTC; ``None``: the wall clock)."""

    refresh: bool = False
    lock: LockPolicy | None = None
    now: pd.Timestamp | None = None


@dataclass(frozen=True)
class SymbolFetch:
    """What one symbol's fetch did.

    Attributes
    ----------
    asset, market
        ``BTC`` and ``BTC/USDT``.
    ranges_requested
        The parts of the range that were missing from the store and were asked for.
    rows_added
        Candles the store did not hold before.
    values_changed
        Stored values replaced by different re-fetched ones (see ``FetchReport.conflicts``).
    rows_stored
        Candles stored for the asset after the fetch.
    first, last
        Open times of the first and last stored candle (``None`` if none).
    placeholders_skipped
        Source placeholder candles left out (CryptoCompare's zero prices before a listing).
    """

    asset: str
    market: str
    ranges_requested: tuple[tuple[pd.Timestamp, pd.Timestamp], ...]
    rows_added: int
    values_changed: int
    rows_stored: int
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    placeholders_skipped: int = 0


@dataclass(frozen=True)
class FetchReport:
    """Result of :func:`fetch_to_store`."""

    dataset: str
    data_dir: Path
    timeframe: str
    span: FetchRange
    symbols: tuple[SymbolFetch, ...]
    conflicts: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def rows_added(self) -> int:
        return sum(s.rows_added for s in self.symbols)


@dataclass(frozen=True)
class _SymbolJob:
    """One symbol's fetch into one dataset."""

    source: MarketDataSource
    symbol: str
    asset: str
    timeframe: str
    dataset: str
    root: Path

    @property
    def market(self) -> str:
        return f"{self.asset}/{self.source.quote_for(self.symbol)}"


def _fetch_gap(job: _SymbolJob, gap: FetchRange, progress: FetchProgress | None) -> pd.DataFrame:
    """The checked candles of one missing range; rejected candles are logged, then refused."""
    on_page = (lambda n, _a=job.asset: progress.page(_a, n)) if progress is not None else None
    try:
        fetched = job.source.fetch_ohlcv(job.symbol, job.timeframe, gap, on_page=on_page)
        return check_candles(
            fetched, source=job.source.name, market=job.market, timeframe=job.timeframe
        )
    except RejectedCandlesError as exc:
        rejected = exc.rejected.assign(symbol=job.asset, market=job.market)
        log = record_rejected(job.root / job.dataset / REJECTED_FILE, rejected)
        raise RejectedCandlesError(f"{exc} (rejected rows logged in {log})", rejected) from exc


def _fetch_symbol(
    job: _SymbolJob,
    stored: store.StoredSeries | None,
    coverage: store.Coverage,
    gaps: list[tuple[pd.Timestamp, pd.Timestamp]],
    progress: FetchProgress | None,
) -> tuple[SymbolFetch, list[pd.DataFrame]]:
    """Fetch the missing ranges of one symbol, writing the file after each range."""
    source, asset, timeframe = job.source, job.asset, job.timeframe
    quote = source.quote_for(job.symbol)
    step = timeframe_delta(timeframe)
    frame = stored.frame if stored is not None else None
    if progress is not None:
        pages = sum(source.estimate_pages(timeframe, FetchRange(a, b)) for a, b in gaps)
        progress.start_symbol(asset, pages)
    added = changed = 0
    conflicts: list[pd.DataFrame] = []
    skipped_before = getattr(source, "placeholders_skipped", 0)
    for a, b in gaps:
        merged = store.merge_candles(frame, _fetch_gap(job, FetchRange(a, b), progress))
        coverage = store.add_coverage(coverage, a, b, step)
        meta = store.SeriesMeta(
            source=source.name,
            market=job.market,
            quote=quote,
            timeframe=timeframe,
            coverage=coverage,
        )
        store.write_series(job.dataset, asset, merged.frame, meta, job.root)
        if not merged.conflicts.empty:
            store.record_conflicts(job.dataset, merged.conflicts, job.root)
            conflicts.append(merged.conflicts)
        frame = merged.frame
        added += merged.added
        changed += len(merged.conflicts)
    if progress is not None:
        progress.end_symbol(asset)
    has_rows = frame is not None and not frame.empty
    result = SymbolFetch(
        asset=asset,
        market=job.market,
        ranges_requested=tuple(gaps),
        rows_added=added,
        values_changed=changed,
        rows_stored=0 if frame is None else len(frame),
        first=frame["timestamp"].min() if has_rows else None,
        last=frame["timestamp"].max() if has_rows else None,
        placeholders_skipped=getattr(source, "placeholders_skipped", 0) - skipped_before,
    )
    return result, conflicts


def _check_quotes(
    source: MarketDataSource,
    symbols: Sequence[str],
    assets: Sequence[str],
    dataset: str,
    root: Path,
) -> None:
    """One dataset keeps one quote currency."""
    quotes = store.dataset_quotes(dataset, root)
    for symbol, asset in zip(symbols, assets, strict=True):
        quote = source.quote_for(symbol)
        other = {a: q for a, q in quotes.items() if q != quote}
        if other:
            example = next(iter(other.items()))
            raise DataError(
                f"dataset {dataset} in {root} holds {example[0]} quoted in {example[1]}, but "
                f"{asset} was asked in {quote}; one dataset keeps one quote currency: use "
                f"--quote {example[1]} or another --data-dir"
            )


def resolve_span(
    timeframe: str,
    since: str | pd.Timestamp,
    until: str | pd.Timestamp | None = None,
    *,
    now: pd.Timestamp | None = None,
) -> FetchRange:
    """The inclusive range of candle open times to fetch.

    ``until`` defaults to, and is capped at, the open time of the last *closed* candle: a candle
    still forming is never stored.
    """
    start = utc_timestamp(since, what="--start")
    assert start is not None
    newest = last_closed_open(timeframe, now)
    end = utc_timestamp(until, what="--end") if until is not None else newest
    assert end is not None
    end = min(end, newest)
    if start > end:
        raise DataError(
            f"nothing to fetch: --start {start} is after the last closed {timeframe} candle "
            f"in range ({end}); pick an earlier --start or a later --end"
        )
    return FetchRange(start, end)


def fetch_to_store(
    source: MarketDataSource,
    symbols: Sequence[str],
    timeframe: str,
    since: str | pd.Timestamp,
    until: str | pd.Timestamp | None = None,
    *,
    data_dir: str | Path | None = None,
    progress: FetchProgress | None = None,
    policy: FetchPolicy | None = None,
    **keywords: Any,
) -> FetchReport:
    """Fetch ``symbols`` from ``source`` into the dataset ``<source>-<timeframe>`` of the store.

    Only the parts of ``[since, until]`` the store has not fetched before are requested
    (``refresh=True`` asks for the whole range again). Each asset's file is rewritten atomically
    after each requested part, so an interruption keeps everything fetched so far. Re-fetched
    candles that differ from stored ones replace them; the differences are logged in
    ``<dataset>/conflicts.csv``, returned in :attr:`FetchReport.conflicts` and warned about
    (:class:`~cryptofolio.data.store.StoreConflictWarning`). Every fetched candle is checked
    before it is stored (:mod:`cryptofolio.data.sources.validation`): a range holding an invalid
    candle is refused, nothing of it is stored, and its rejected rows are logged in
    ``<dataset>/rejected.csv``.

    Parameters
    ----------
    source
        A market-data source (see :func:`cryptofolio.data.sources.make_source`).
    symbols
        Assets (``BTC``, quoted in the source's default quote) or markets (``BTC/USDT``).
    timeframe
        ``1d``, ``1h`` or another timeframe the source offers.
    since, until
        Inclusive UTC bounds on candle open times; ``until`` defaults to the last closed candle.
    data_dir
        Store folder (default: ``$CRYPTOFOLIO_DATA_DIR`` or the user cache folder).
    progress
        Told of each asset's progress (e.g. a progress bar).
    policy
        Whether to fetch the whole range again, what to do about a writer holding the
        dataset's lock, and the clock (:class:`FetchPolicy`); or give its fields as keywords
        (``refresh=True``, ``lock=LockPolicy(wait=False)``, ``now=...``), not both.

    Raises
    ------
    DataError
        If the dataset already holds the asset (or other assets) in another quote currency.
    RejectedCandlesError
        If the source sent an invalid or malformed candle (a :class:`SourceError`).
    LockError
        If another process is writing the dataset and ``lock`` says not to wait.
    """
    policy = spec_of_keywords(FetchPolicy, policy, keywords, where="fetch_to_store")
    if not symbols:
        raise DataError("no symbols given; pass e.g. --assets BTC,ETH")
    span = resolve_span(timeframe, since, until, now=policy.now)
    step = timeframe_delta(timeframe)
    dataset = store.dataset_name(source.name, timeframe)
    root = store.resolve_data_dir(data_dir)
    assets = [source.asset_for(s) for s in symbols]
    repeated = sorted({a for a in assets if assets.count(a) > 1})
    if repeated:
        raise DataError(f"symbols listed more than once: {', '.join(repeated)}")
    with store.dataset_lock(dataset, root, policy.lock, hint=NO_WAIT_HINT):
        _check_quotes(source, symbols, assets, dataset, root)
        plans = []
        for symbol, asset in zip(symbols, assets, strict=True):
            stored = store.read_series(dataset, asset, root)
            coverage = stored.meta.coverage if stored is not None else ()
            gaps = (
                [(span.start, span.end)]
                if policy.refresh
                else store.uncovered(coverage, span.start, span.end, step)
            )
            if gaps:  # unknown symbols fail here, before anything is downloaded or written
                source.market_for(symbol)
            plans.append((symbol, asset, stored, coverage, gaps))

        results: list[SymbolFetch] = []
        all_conflicts: list[pd.DataFrame] = []
        for symbol, asset, stored, coverage, gaps in plans:
            job = _SymbolJob(source, symbol, asset, timeframe, dataset, root)
            result, found = _fetch_symbol(job, stored, coverage, gaps, progress)
            results.append(result)
            all_conflicts += found
    conflicts = pd.concat(all_conflicts, ignore_index=True) if all_conflicts else pd.DataFrame()
    return FetchReport(dataset, root, timeframe, span, tuple(results), conflicts)
