"""Local price files: wide and long layouts, and errors that name the line."""

from __future__ import annotations

import pandas as pd

from cryptofolio.data import load_market_data, read_prices_file
from cryptofolio.errors import DataError


def test_wide_csv(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("date,BTC,eth\n2021-01-01,100,10\n2021-01-02,110,\n2021-01-03,120,12\n")
    long = read_prices_file(path)
    assert sorted(long["symbol"].unique()) == ["BTC", "ETH"]
    assert len(long) == 5  # the blank ETH cell is no row, not a zero
    eth = long[long["symbol"] == "ETH"].set_index("timestamp")["close"]
    assert eth.to_dict() == {
        pd.Timestamp("2021-01-01", tz="UTC"): 10.0,
        pd.Timestamp("2021-01-03", tz="UTC"): 12.0,
    }


def test_long_csv_and_parquet(tmp_path):
    frame = pd.DataFrame(
        {
            "Date": ["2021-01-01", "2021-01-01", "2021-01-02"],
            "Symbol": ["btc", "ETH", "BTC"],
            "close": [100.0, 10.0, 110.0],
            "volume": [5.0, 6.0, 7.0],
        }
    )
    csv = tmp_path / "long.csv"
    frame.to_csv(csv, index=False)
    pq = tmp_path / "long.parquet"
    frame.to_parquet(pq)
    for path in (csv, pq):
        long = read_prices_file(path)
        assert long["symbol"].tolist() == ["BTC", "BTC", "ETH"]
        assert long["volume"].tolist() == [5.0, 7.0, 6.0]
        assert long["market_cap"].isna().all()
    selected = load_market_data(prices_file=csv, symbols=["ETH"])
    assert selected["close"].tolist() == [10.0]


def test_bad_number_names_line_and_column(read_error):
    wide = "date,BTC,ETH\n2021-01-01,100,10\n2021-01-02,110,oops\n"
    match = r"wide.csv, line 3: 'oops' in column 'ETH' is not a number"
    read_error(read_prices_file, "wide.csv", wide, DataError, match)
    long = "date,symbol,close\n2021-01-01,BTC,1\n2021-01-02,BTC,1\n2021-01-03,BTC,n/a!\n"
    match = r"long.csv, line 4: 'n/a!' in column 'close'"
    read_error(read_prices_file, "long.csv", long, DataError, match)


def test_bad_date_names_line(read_error):
    text = "date,BTC\n2021-01-01,1\n2021-13-45,2\n"
    match = r"p.csv, line 3: cannot parse '2021-13-45' in column 'date'"
    read_error(read_prices_file, "p.csv", text, DataError, match)


def test_other_file_errors(read_error):
    read_error(read_prices_file, "missing.csv", None, DataError, "does not exist")
    read_error(read_prices_file, "empty.csv", "date,BTC\n", DataError, "no rows")
    read_error(read_prices_file, "prices.xlsx", "x", DataError, "unknown file type")
    no_close = "date,symbol,volume\n2021-01-01,BTC,1\n"
    read_error(read_prices_file, "noclose.csv", no_close, DataError, "needs a close column")
    blank = "date,symbol,close\n2021-01-01,BTC,1\n2021-01-01,,2\n"
    read_error(read_prices_file, "blank.csv", blank, DataError, "line 3: the symbol is empty")
