"""Two fetches into one dataset: the second waits for the first (or fails with --no-wait), and
both writers' candles are kept (two real processes, replayed exchange, no network)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from sources_replay import replayed_exchange
from typer.testing import CliRunner

from cryptofolio.cli import app
from cryptofolio.data import sources, store
from cryptofolio.data.sources import CcxtSource, fetch_to_store
from cryptofolio.errors import LockError
from cryptofolio.locks import LockPolicy

HERE = Path(__file__).resolve().parent
SRC = str(HERE.parents[1] / "src")
NOW = pd.Timestamp("2021-03-01 12:00", tz="UTC")

WRITER = """
import sys, time
from pathlib import Path
import pandas as pd
sys.path.insert(0, sys.argv[1])
from sources_replay import BinanceReplay, ReplaySession, load_fixture, replayed_exchange
from cryptofolio.data.sources import CcxtSource, fetch_to_store
data_dir, since, until, started, release = sys.argv[2:7]
server = BinanceReplay(load_fixture("binance_klines.json"))

def handler(path, query, headers):
    if path.endswith("/klines"):
        Path(started).touch()
        while release != "-" and not Path(release).exists():
            time.sleep(0.05)
    return server(path, query, headers)

exchange = replayed_exchange("binance", server)
exchange.session = ReplaySession(handler)
source = CcxtSource(exchange, page_limit=100, sleep=lambda s: None)
now = pd.Timestamp("2021-03-01 12:00", tz="UTC")
fetch_to_store(source, ["BTC"], "1d", since, until, data_dir=data_dir, now=now)
"""


def writer(tmp_path, name, since, until, release="-"):
    started = tmp_path / f"{name}.started"
    log = open(tmp_path / f"{name}.err", "w")
    args = [str(HERE), str(tmp_path / "store"), since, until, str(started), release]
    env = {**os.environ, "PYTHONPATH": SRC}
    proc = subprocess.Popen([sys.executable, "-c", WRITER, *args], env=env, stderr=log)
    return proc, started, tmp_path / f"{name}.err", log


def wait_for(condition, procs, what):
    deadline = time.monotonic() + 180
    while not condition():
        assert all(p.poll() is None for p in procs), f"a writer exited before {what}"
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def test_two_concurrent_writers_keep_both_writers_candles(tmp_path):
    release = tmp_path / "release-a"
    a, a_started, _, a_log = writer(tmp_path, "a", "2021-01-01", "2021-01-31", str(release))
    procs = [a]
    try:
        wait_for(a_started.exists, procs, "writer A to hold the lock")
        b, b_started, b_err, b_log = writer(tmp_path, "b", "2021-02-01", "2021-02-28")
        procs.append(b)
        wait_for(lambda: "waiting for it" in b_err.read_text(), procs, "writer B to wait")
        assert not b_started.exists()  # B has not asked for a candle while A holds the lock
        release.touch()
        assert a.wait(timeout=180) == 0 and b.wait(timeout=180) == 0
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
        a_log.close()
        if len(procs) > 1:
            b_log.close()
    assert "dataset binance-1d in" in b_err.read_text()
    kept = store.read_series("binance-1d", "BTC", tmp_path / "store")
    assert kept.frame["timestamp"].tolist() == list(
        pd.date_range("2021-01-01", "2021-02-28", freq="D", tz="UTC")
    )
    assert kept.meta.coverage == (
        (pd.Timestamp("2021-01-01", tz="UTC"), pd.Timestamp("2021-02-28", tz="UTC")),
    )


@pytest.fixture
def source(binance_server):
    return CcxtSource(replayed_exchange("binance", binance_server), sleep=lambda s: None)


def test_no_wait_fails_clearly_while_another_writer_holds_the_dataset(source, tmp_path):
    with store.dataset_lock("binance-1d", tmp_path):
        with pytest.raises(
            LockError,
            match=r"dataset binance-1d in .* is being written by another process .*"
            r"without --no-wait, `cryptofolio data fetch` waits for it",
        ):
            fetch_to_store(
                source,
                ["BTC"],
                "1d",
                "2021-01-01",
                data_dir=tmp_path,
                now=NOW,
                lock=LockPolicy(wait=False),
            )
    assert store.read_series("binance-1d", "BTC", tmp_path) is None
    report = fetch_to_store(
        source,
        ["BTC"],
        "1d",
        "2021-01-01",
        data_dir=tmp_path,
        now=NOW,
        lock=LockPolicy(wait=False),
    )
    assert report.symbols[0].rows_stored == 59


def test_cli_no_wait(monkeypatch, source, tmp_path):
    monkeypatch.setattr(sources, "make_source", lambda name, **kw: source)
    args = ["data", "fetch", "binance", "--symbols", "BTC", "--since", "2021-01-01"]
    args += ["--until", "2021-01-10", "--data-dir", str(tmp_path), "--no-wait"]
    with store.dataset_lock("binance-1d", tmp_path):
        result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "is being written by another process" in " ".join(result.output.split())
    assert "Traceback" not in result.output
