"""Local Parquet store: layout, coverage bookkeeping, merging, and atomic writes under kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cryptofolio.atomic_files import ENV_PAUSE_BEFORE_REPLACE
from cryptofolio.data import list_datasets, load_dataset, store
from cryptofolio.errors import DataError

T = pd.Timestamp


def utc(text: str) -> pd.Timestamp:
    return T(text, tz="UTC")


def candles(asset: str, start: str, days: int, base: float = 100.0) -> pd.DataFrame:
    ts = pd.date_range(start, periods=days, freq="D", tz="UTC")
    close = base + np.arange(days, dtype=float)
    return pd.DataFrame(
        {
            "timestamp": ts,
            "symbol": asset,
            "open": close - 1,
            "high": close + 2,
            "low": close - 2,
            "close": close,
            "volume": 1000.0 + np.arange(days),
            "market_cap": np.nan,
        }
    )


def meta(coverage=()) -> store.SeriesMeta:
    return store.SeriesMeta("binance", "BTC/USDT", "USDT", "1d", tuple(coverage))


def test_default_dir_env_and_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("CRYPTOFOLIO_DATA_DIR", str(tmp_path / "a"))
    assert store.default_data_dir() == tmp_path / "a"
    monkeypatch.delenv("CRYPTOFOLIO_DATA_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert store.default_data_dir() == tmp_path / "cache" / "cryptofolio"
    assert store.resolve_data_dir(tmp_path / "b") == tmp_path / "b"


def test_write_read_roundtrip_layout_and_metadata(tmp_path):
    cov = ((utc("2021-01-01"), utc("2021-01-10")),)
    path = store.write_series(
        "binance-1d", "BTC", candles("BTC", "2021-01-01", 10), meta(cov), tmp_path
    )
    assert path == tmp_path / "binance-1d" / "BTC.parquet"
    store.write_series("binance-1d", "ETH", candles("ETH", "2021-01-05", 3), meta(cov), tmp_path)
    back = store.read_series("binance-1d", "BTC", tmp_path)
    pd.testing.assert_frame_equal(
        back.frame, candles("BTC", "2021-01-01", 10).astype({"timestamp": "datetime64[ns, UTC]"})
    )
    assert back.meta == meta(cov)
    assert store.read_series("binance-1d", "SOL", tmp_path) is None
    assert store.stored_dataset_names(tmp_path) == ["binance-1d"]
    assert store.dataset_frequency("binance-1d") == "1d"
    assert store.dataset_quotes("binance-1d", tmp_path) == {"BTC": "USDT", "ETH": "USDT"}
    assert len(store.read_dataset("binance-1d", tmp_path)) == 13
    long = load_dataset("binance-1d", data_dir=tmp_path, symbols=["ETH"])
    assert long["timestamp"].tolist() == list(pd.date_range("2021-01-05", periods=3, tz="UTC"))
    info = {i.name: i for i in list_datasets(tmp_path)}["binance-1d"]
    assert info.origin == "store" and info.symbols == ("BTC", "ETH") and info.frequency == "1d"


@pytest.mark.parametrize(
    ("coverage", "start", "end", "expected"),
    [
        ((), "2021-01-01", "2021-01-10", [("2021-01-01", "2021-01-10")]),
        ((("2021-01-01", "2021-01-10"),), "2021-01-01", "2021-01-10", []),
        ((("2021-01-01", "2021-01-10"),), "2021-01-03", "2021-01-05", []),
        (
            (("2021-01-01", "2021-01-10"),),
            "2021-01-01",
            "2021-01-20",
            [("2021-01-11", "2021-01-20")],
        ),
        (
            (("2021-01-05", "2021-01-10"),),
            "2021-01-01",
            "2021-01-12",
            [("2021-01-01", "2021-01-04"), ("2021-01-11", "2021-01-12")],
        ),
        (
            (("2021-01-01", "2021-01-03"), ("2021-01-06", "2021-01-08")),
            "2021-01-01",
            "2021-01-08",
            [("2021-01-04", "2021-01-05")],
        ),
        # a leftover shorter than a candle, holding no daily open time, is not worth a request
        ((("2021-01-01", "2021-01-10"),), "2021-01-01", "2021-01-10 12:00", []),
    ],
)
def test_uncovered_parts(coverage, start, end, expected):
    cov = tuple((utc(a), utc(b)) for a, b in coverage)
    got = store.uncovered(cov, utc(start), utc(end), pd.Timedelta(days=1))
    assert got == [(utc(a), utc(b)) for a, b in expected]


def test_add_coverage_merges_touching_and_overlapping_ranges():
    cov = store.add_coverage((), utc("2021-01-05"), utc("2021-01-10"))
    cov = store.add_coverage(cov, utc("2021-01-20"), utc("2021-01-25"))
    assert len(cov) == 2
    cov = store.add_coverage(cov, utc("2021-01-10 00:00:00.001"), utc("2021-01-21"))
    assert cov == ((utc("2021-01-05"), utc("2021-01-25")),)
    day = pd.Timedelta(days=1)
    daily = store.add_coverage(
        ((utc("2021-01-01"), utc("2021-01-10")),), utc("2021-01-11"), utc("2021-01-12"), day
    )
    assert daily == ((utc("2021-01-01"), utc("2021-01-12")),)  # no daily candle opens between
    assert len(store.add_coverage(daily, utc("2021-01-14"), utc("2021-01-15"), day)) == 2


def test_merge_keeps_newer_and_records_every_difference():
    stored = candles("BTC", "2021-01-01", 5)
    fetched = candles("BTC", "2021-01-01", 7).iloc[3:].copy()  # overlaps 01-04 and 01-05
    fetched.loc[fetched["timestamp"] == utc("2021-01-05"), ["close", "volume"]] = [555.0, np.nan]
    result = store.merge_candles(stored, fetched)
    assert result.added == 2
    assert len(result.frame) == 7
    assert result.frame.set_index("timestamp").loc[utc("2021-01-05"), "close"] == 555.0
    conflicts = result.conflicts.sort_values("column").reset_index(drop=True)
    assert conflicts["column"].tolist() == ["close", "volume"]
    assert conflicts["stored"].tolist() == [104.0, 1004.0]
    assert conflicts.loc[0, "fetched"] == 555.0 and np.isnan(conflicts.loc[1, "fetched"])
    # identical re-fetches, NaN included, are not conflicts
    same = store.merge_candles(result.frame, result.frame.copy())
    assert same.conflicts.empty and same.added == 0


def test_merge_refuses_duplicate_fetched_rows():
    dup = pd.concat([candles("BTC", "2021-01-01", 2), candles("BTC", "2021-01-02", 1, base=7)])
    with pytest.raises(DataError, match="BTC at 2021-01-02"):
        store.merge_candles(None, dup)


def test_record_conflicts_appends_a_log_and_warns(tmp_path):
    conflicts = pd.DataFrame(
        {
            "timestamp": [utc("2021-01-05")],
            "symbol": ["BTC"],
            "column": ["close"],
            "stored": [1.0],
            "fetched": [2.0],
        }
    )
    with pytest.warns(
        store.StoreConflictWarning, match="BTC close at 2021-01-05.*stored 1.0, fetched 2.0"
    ) as caught:
        path = store.record_conflicts("binance-1d", conflicts, tmp_path)
    assert caught[0].filename == __file__  # the warning names the caller's line
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store.record_conflicts("binance-1d", conflicts, tmp_path)
    log = pd.read_csv(path)
    assert len(log) == 2 and set(log["column"]) == {"close"}


def test_unreadable_file_is_named(tmp_path):
    folder = tmp_path / "binance-1d"
    folder.mkdir()
    (folder / "BTC.parquet").write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(
        DataError,
        match=r"BTC.parquet cannot be read.*a fresh fetch: rm .*cryptofolio data fetch binance --symbols BTC",
    ):
        store.read_series("binance-1d", "BTC", tmp_path)


WRITER = """
import sys
import numpy as np, pandas as pd
from cryptofolio.data import store
ts = pd.date_range("2021-01-01", periods=400, freq="D", tz="UTC")
frame = pd.DataFrame({"timestamp": ts, "symbol": "BTC", "open": 1.0, "high": 1.0, "low": 1.0,
                      "close": np.arange(400.0), "volume": 1.0, "market_cap": np.nan})
meta = store.SeriesMeta("binance", "BTC/USDT", "USDT", "1d", ())
store.write_series("binance-1d", "BTC", frame, meta, sys.argv[1])
"""


def test_write_killed_with_sigkill_leaves_earlier_data_intact(tmp_path):
    old = candles("BTC", "2021-01-01", 10)
    old_meta = meta(((utc("2021-01-01"), utc("2021-01-10")),))
    store.write_series("binance-1d", "BTC", old, old_meta, tmp_path)
    marker = tmp_path / "paused"
    env = {**os.environ, ENV_PAUSE_BEFORE_REPLACE: str(marker)}
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)], env=env)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), f"writer did not reach the pause (exit code {proc.poll()})"
        temp = Path(marker.read_text())
        assert (
            temp.exists() and temp.parent == tmp_path / "binance-1d"
        )  # the new data was written...
        os.kill(proc.pid, signal.SIGKILL)  # ...and the process dies before the replace
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    back = store.read_series("binance-1d", "BTC", tmp_path)
    pd.testing.assert_frame_equal(
        back.frame, store.read_series("binance-1d", "BTC", tmp_path).frame
    )
    assert back.frame["close"].tolist() == old["close"].tolist()
    assert back.meta == old_meta
    assert len(load_dataset("binance-1d", data_dir=tmp_path)) == 10
    # the next write cleans up the dead writer's temporary file and succeeds
    store.write_series("binance-1d", "BTC", candles("BTC", "2021-01-01", 12), old_meta, tmp_path)
    assert not temp.exists()
    assert len(store.read_series("binance-1d", "BTC", tmp_path).frame) == 12


def test_full_disk_is_a_clear_error_and_keeps_the_old_file(tmp_path, monkeypatch):
    import errno

    from cryptofolio import atomic_files
    from cryptofolio.errors import OutputPathError

    old_meta = meta(((utc("2021-01-01"), utc("2021-01-10")),))
    store.write_series("binance-1d", "BTC", candles("BTC", "2021-01-01", 10), old_meta, tmp_path)
    before = (tmp_path / "binance-1d" / "BTC.parquet").read_bytes()
    real_open = open

    class FullDisk:
        """A file whose writes fail as a full disk does."""

        def __init__(self, fh):
            self.fh = fh

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

        def __getattr__(self, name):
            return getattr(self.fh, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

    monkeypatch.setattr(
        atomic_files, "open", lambda *a, **k: FullDisk(real_open(*a, **k)), raising=False
    )
    with pytest.raises(OutputPathError, match=r"cannot write .*BTC\.parquet: no space left"):
        store.write_series(
            "binance-1d", "BTC", candles("BTC", "2021-01-01", 20), old_meta, tmp_path
        )
    monkeypatch.undo()
    assert (tmp_path / "binance-1d" / "BTC.parquet").read_bytes() == before
    assert sorted(p.name for p in (tmp_path / "binance-1d").iterdir()) == ["BTC.parquet"]
    assert len(store.read_series("binance-1d", "BTC", tmp_path).frame) == 10
