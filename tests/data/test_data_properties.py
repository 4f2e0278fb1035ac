"""Property tests over price frames and files: each call succeeds on clean data (and changes
nothing), or raises a CryptofolioError whose message names the asset, the date or the line;
never another exception, never a silent repair.

Defects drawn by Hypothesis: holes of one asset, holes every asset shares, duplicate dates,
irregular spacing (a timestamp given at another UTC offset), stale runs, extreme values,
junk cells, ragged rows, non-UTF-8 bytes.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cryptofolio.backtest import BacktestConfig, make_strategy, run_backtest
from cryptofolio.data import read_prices_file, standardize_long, to_panels
from cryptofolio.data.at_use import DataQualityWarning
from cryptofolio.errors import CryptofolioError
from cryptofolio.estimate import common_window, returns_from_prices, risk_matrix

ASSETS = ("BTC", "ETH", "SOL")
ROWS = 60
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
#: What a refusal must name: an asset, a date or a line of the file.
NAMES_A_PLACE = re.compile(r"BTC|ETH|SOL|\d{4}-\d{2}-\d{2}|line \d+")

DEFECTS = (
    "none",
    "hole",
    "shared_hole",
    "duplicate",
    "offset",
    "stale",
    "extreme",
    "junk",
    "ragged",
    "encoding",
)
#: Defects that must be refused (the others succeed: stale runs with a warning).
REFUSED = set(DEFECTS) - {"none", "stale"}


def _clean_frame(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    steps = rng.normal(0.0, 0.02, size=(ROWS, len(ASSETS)))
    values = np.exp(np.cumsum(steps, axis=0)) * np.array([30_000.0, 2_000.0, 40.0])
    index = pd.date_range("2021-01-01", periods=ROWS, freq="D", tz="UTC")
    return pd.DataFrame(values, index=index, columns=list(ASSETS)).round(6)


def _lines(frame: pd.DataFrame) -> list[str]:
    out = ["date," + ",".join(frame.columns)]
    for ts, row in frame.iterrows():
        out.append(f"{ts:%Y-%m-%d}," + ",".join("" if pd.isna(v) else repr(float(v)) for v in row))
    return out


@st.composite
def defective_files(draw):
    """(defect, the frame the file means, the file's bytes)."""
    seed = draw(st.integers(0, 10_000))
    defect = draw(st.sampled_from(DEFECTS))
    frame = _clean_frame(seed)
    row = draw(st.integers(5, ROWS - 10))  # inside the window: never the first/last rows
    col = draw(st.integers(0, len(ASSETS) - 1))
    length = draw(st.integers(1, 6))
    if defect == "hole":
        frame.iloc[row : row + length, col] = np.nan
    elif defect == "shared_hole":
        frame = frame.drop(frame.index[row : row + length])
    elif defect == "stale":
        frame.iloc[row : row + 6, col] = frame.iloc[row, col]
    elif defect == "extreme":
        frame.iloc[row, col] = draw(st.sampled_from([1e300, 0.0, -5.0, float("inf")]))
    lines = _lines(frame)
    if defect == "duplicate":
        lines.insert(row + 1, lines[row + 1])
    elif defect == "offset":
        date, rest = lines[row + 1].split(",", 1)
        lines[row + 1] = f"{date}T00:00:00+01:00,{rest}"
    elif defect == "junk":
        cells = lines[row + 1].split(",")
        cells[col + 1] = draw(st.sampled_from(["abc", "1,2.3", "n/a?", "--"]))
        lines[row + 1] = ",".join(cells)
    elif defect == "ragged":
        lines[row + 1] += ",1.0"
    data = ("\n".join(lines) + "\n").encode()
    if defect == "encoding":
        data = data.replace(b"\n", b",\xe9\n", 1)  # a latin-1 byte in the header
    return defect, frame, data


def _use(path) -> pd.DataFrame:
    """What optimize does with a file: read, pivot, common window, returns, covariance."""
    close = to_panels(read_prices_file(path)).close
    window = common_window(close, list(ASSETS), min_observations=20)
    risk_matrix(returns_from_prices(window.prices), "sample", periods_per_year=365)
    return window.prices


@SETTINGS
@given(case=defective_files())
def test_a_file_is_used_as_it_is_or_refused_with_its_place(case, tmp_path):
    defect, meant, data = case
    path = tmp_path / "prices.csv"
    path.write_bytes(data)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            prices = _use(path)
        except CryptofolioError as exc:
            assert defect in REFUSED, f"{defect} refused: {exc}"
            assert NAMES_A_PLACE.search(str(exc)), str(exc)
            return
    assert defect not in REFUSED, f"{defect} was accepted"
    # never a silent repair: the prices used are the file's, row for row
    meant.index = meant.index.as_unit("ns")
    pd.testing.assert_frame_equal(prices, meant, check_freq=False, check_names=False)
    quality = [str(w.message) for w in caught if issubclass(w.category, DataQualityWarning)]
    if defect == "stale":
        assert any("identical closes" in q and NAMES_A_PLACE.search(q) for q in quality), quality
    else:
        assert not quality, quality
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)]


@st.composite
def defective_frames(draw):
    """A wide close frame with holes, shared holes, stale runs or extreme values."""
    frame = _clean_frame(draw(st.integers(0, 10_000)))
    defect = draw(st.sampled_from(["none", "shared_hole", "stale", "extreme", "offset"]))
    row = draw(st.integers(25, ROWS - 10))
    col = draw(st.integers(0, len(ASSETS) - 1))
    if defect == "shared_hole":
        frame = frame.drop(frame.index[row : row + draw(st.integers(1, 5))])
    elif defect == "stale":
        frame.iloc[row : row + 6, col] = frame.iloc[row, col]
    elif defect == "extreme":
        frame.iloc[row, col] = draw(st.sampled_from([1e300, -1.0, float("inf")]))
    elif defect == "offset":
        index = frame.index.tolist()
        index[row] = index[row] + pd.Timedelta(hours=draw(st.sampled_from([-1, 1, 5])))
        frame.index = pd.DatetimeIndex(index)
    return defect, frame


@settings(max_examples=12, deadline=None)
@given(case=defective_frames())
def test_a_backtest_runs_on_the_frame_as_it_is_or_refuses_it(case):
    """The backtest inserts shared holes as rows without prices (with a warning naming the
    dates) and refuses irregular timestamps and implausible prices."""
    defect, close = case
    long = close.rename_axis(index="timestamp", columns="symbol").stack().rename("close")
    panels = to_panels(standardize_long(long.reset_index()))
    config = BacktestConfig(lookback=10, rebalance="weekly")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = run_backtest(panels, [make_strategy("equal-weight")], config)
        except CryptofolioError as exc:
            assert defect in {"extreme", "offset"}, f"{defect}: {exc}"
            assert NAMES_A_PLACE.search(str(exc)), str(exc)
            return
    assert defect in {"none", "shared_hole", "stale"}
    texts = [str(w.message) for w in caught if issubclass(w.category, DataQualityWarning)]
    if defect == "shared_hole":
        assert any("missing from every asset" in t for t in texts), texts
    if defect == "stale":
        assert any("identical closes" in t for t in texts), texts
    equity = result.strategies["equal-weight"].equity
    assert np.isfinite(equity.to_numpy(dtype=float)).all()


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252"])
def test_the_encoding_option_reads_what_the_error_pointed_at(tmp_path, encoding):
    frame = _clean_frame(1)
    text = "\n".join(_lines(frame)).replace("date,", "date,", 1) + "\n"
    path = tmp_path / "p.csv"
    path.write_bytes(text.replace("BTC", "BTC", 1).encode(encoding) + "# é\n".encode(encoding))
    with pytest.raises(CryptofolioError, match=r"line 62 .*--encoding"):
        read_prices_file(path)
    with pytest.raises(CryptofolioError, match="line 62"):  # the comment line is not a date
        read_prices_file(path, encoding=encoding)
