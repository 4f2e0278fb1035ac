"""crypto51 tables: the saved page (tests/fixtures/security/crypto51_index.html, laid out like
crypto51.app's index), CSV files in its format, and their bad inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cryptofolio.errors import SecurityError
from cryptofolio.security import (
    PowRiskThresholds,
    parse_crypto51_html,
    read_crypto51,
    read_crypto51_csv,
    screen_pow_risk,
)
from cryptofolio.security.crypto51 import parse_hash_rate, parse_money, parse_percent

PAGE = Path(__file__).parents[1] / "fixtures" / "security" / "crypto51_index.html"
HEADER = "Name,Symbol,Algorithm,Market Cap,Hash Rate,1h Attack Cost,NiceHash-able\n"


def test_units():
    assert parse_money("$1.07 T") == pytest.approx(1.07e12)
    assert parse_money("$281.94 M") == pytest.approx(2.8194e8)
    assert parse_money("$1,612,003") == 1612003.0
    assert np.isnan(parse_money("?"))
    assert parse_hash_rate("390,172 PH/s") == pytest.approx(3.90172e20)
    assert parse_hash_rate("2 MH/s") == 2e6
    assert parse_hash_rate("45 kSol/s") == 45e3
    assert parse_percent("1,215%") == pytest.approx(12.15)
    for bad in ("1.07 T", "$1.07 X", "€5 B"):
        with pytest.raises(SecurityError, match=r"not a USD amount"):
            parse_money(bad, "Market Cap")
    for bad in ("390172", "390 PH", "12 XH/s"):
        with pytest.raises(SecurityError, match=r"needs a unit"):
            parse_hash_rate(bad)
    with pytest.raises(SecurityError, match=r"percentage"):
        parse_percent("0.5")


def test_saved_page():
    snap = parse_crypto51_html(PAGE.read_text(encoding="utf-8"), as_of="2020-07-27")
    t = snap.table
    assert list(t.index) == ["BTC", "BCH", "LTC", "ETC", "BTG", "VTC"]
    assert t.loc["BTC", "name"] == "Bitcoin"
    assert t.loc["BTC", "algorithm"] == "SHA-256"
    assert t.loc["BTC", "market_cap_usd"] == pytest.approx(1.07e12)
    assert t.loc["BTC", "attack_cost_usd_per_hour"] == 1612003.0  # the muted <em> cell
    assert t.loc["BCH", "hash_rate_hs"] == pytest.approx(3148e15)
    assert t.loc["BTG", "nicehash_fraction"] == pytest.approx(1.18)
    assert np.isnan(t.loc["VTC", "attack_cost_usd_per_hour"])
    assert snap.as_of is not None and f"{snap.as_of:%Y-%m-%d}" == "2020-07-27"
    assert read_crypto51(PAGE).table.equals(t)


def test_csv_in_crypto51_format(tmp_path):
    path = tmp_path / "c51.csv"
    path.write_text(
        HEADER
        + 'Bitcoin,BTC,SHA-256,"$1.07 T","390,172 PH/s","$1,612,003",0%\n'
        + 'Bitcoin Cash,BCH,SHA-256,"$4.61 B","3,148 PH/s","$13,005",6%\n'
    )
    snap = read_crypto51_csv(path)
    assert snap.table.loc["BCH", "market_cap_usd"] == pytest.approx(4.61e9)
    assert snap.as_of is None


def test_bad_crypto51_files(tmp_path, read_error):
    read_error(
        read_crypto51_csv,
        "missing.csv",
        "Name,Symbol,Market Cap\nBitcoin,BTC,$1 T\n",
        SecurityError,
        "missing column.*Algorithm.*Hash Rate.*1h Attack Cost.*NiceHash-able",
    )
    read_error(
        read_crypto51_csv,
        "units.csv",
        HEADER + "Bitcoin,BTC,SHA-256,$1 T,390172,$1,0%\n",
        SecurityError,
        r"Hash Rate '390172' \(BTC, row 1 of units.csv\) needs a unit",
    )
    read_error(read_crypto51_csv, "absent.csv", None, SecurityError, "does not exist")
    with pytest.raises(SecurityError, match=r"no table with the columns"):
        parse_crypto51_html("<table><tr><th>Name</th></tr></table>")


def test_crypto51_replaces_the_proxy():
    snap = parse_crypto51_html(PAGE.read_text(encoding="utf-8"), as_of="2020-07-27")
    r = screen_pow_risk("2020-07-27", crypto51=snap)
    t = r.table
    assert t.loc["BTC", "source"] == "crypto51"
    assert t.loc["BTC", "security_budget_usd_per_hour"] == 1612003.0
    assert t.loc["XMR", "source"] == "coinmetrics"
    # shares within the crypto51 table: BCH / (BTC + BCH)
    assert t.loc["BCH", "hash_share"] == pytest.approx(3148 / (390172 + 3148))
    assert "NiceHash-able 118%" in r.exclusions()["BTG"]
    assert any("crypto51 table of 2020-07-27" in n for n in r.notes)
    # a table can screen a day after the bundled data ends
    late = screen_pow_risk(
        "2021-03-01",
        crypto51=parse_crypto51_html(PAGE.read_text(encoding="utf-8"), as_of="2021-03-01"),
        thresholds=PowRiskThresholds(),
    )
    assert set(late.table[late.table["status"] == "screened"].index) == set(snap.table.index)


def test_crypto51_table_dated_after_the_screen_is_refused():
    snap = parse_crypto51_html(PAGE.read_text(encoding="utf-8"), as_of="2020-07-27")
    with pytest.raises(SecurityError, match=r"after the screen date 2020-01-01.*look ahead"):
        screen_pow_risk("2020-01-01", crypto51=snap)


def test_nicehash_colour_needs_crypto51(tmp_path):
    from cryptofolio.report.security_plots import plot_security_scatter, scatter_html_fragment

    snap = parse_crypto51_html(PAGE.read_text(encoding="utf-8"), as_of="2020-07-27")
    result = screen_pow_risk("2020-07-27", crypto51=snap)
    fig = plot_security_scatter(result, colour="nicehash", path=tmp_path / "n.png")
    assert (tmp_path / "n.png").read_bytes()[:4] == b"\x89PNG"
    assert len(fig.axes) == 2  # the scatter and its colour bar
    with pytest.raises(SecurityError, match="no NiceHash-able figures"):
        plot_security_scatter(screen_pow_risk("2020-07-27"), colour="nicehash")
    div = scatter_html_fragment(result, include_plotlyjs=False)
    assert div.startswith("<div") and "BTC" in div


def test_the_old_plots_module_warns_and_names_its_successor():
    from cryptofolio.report import security_plots
    from cryptofolio.security import plots

    with pytest.warns(DeprecationWarning, match="cryptofolio.report.security_plots"):
        assert plots.plot_security_scatter is security_plots.plot_security_scatter
    with pytest.raises(AttributeError):
        plots.no_such_name  # noqa: B018
