"""The 51%-attack screen, point in time: on day D it reads only rows dated D or before, with
each coin's algorithm as in force on D, ranks the coins by how cheap they are to attack for
their size and flags a danger zone with thresholds the caller sets.

>>> from cryptofolio.security import PowRiskThresholds, screen_pow_risk
>>> result = screen_pow_risk("2019-06-01", thresholds=PowRiskThresholds(min_hash_share=0.1))
>>> result.exclusions()  # doctest: +SKIP
{'BCH': 'hash share 3.9% of SHA-256 ...', ...}
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum

import numpy as np
import pandas as pd

from cryptofolio.data.symbols import to_asset
from cryptofolio.errors import SecurityError
from cryptofolio.security.crypto51 import Crypto51Snapshot
from cryptofolio.security.data import PowData, load_pow_data, utc_day
from cryptofolio.security.measures import hash_shares, security_budget_per_hour
from cryptofolio.security.regression import loglog_residuals
from cryptofolio.security.thresholds import PowRiskThresholds

NOT_POW_REASON = (
    "no proof-of-work data (proof of stake, or not in the data): not screened, not excluded"
)


class ScreenStatus(StrEnum):
    """What the screen could say about a coin."""

    SCREENED = "screened"
    NO_DATA = "no-data"  # a proof-of-work coin without rows in the window
    NOT_POW = "not-pow"  # not in the proof-of-work data at all


COLUMNS = (
    "status",
    "rank",
    "danger",
    "reasons",
    "source",
    "algorithm",
    "merged_with",
    "days_used",
    "hash_rate",
    "hash_share",
    "security_budget_usd_per_hour",
    "market_cap_usd",
    "budget_to_market_cap",
    "residual",
    "nicehash_fraction",
)

_FLOAT_COLUMNS = (
    "hash_rate",
    "hash_share",
    "security_budget_usd_per_hour",
    "market_cap_usd",
    "budget_to_market_cap",
    "residual",
    "nicehash_fraction",
)


@dataclass(frozen=True)
class ScreenResult:
    """The screen on one day.

    Attributes
    ----------
    date
        The screen day (UTC): rows dated on or before it were read.
    table
        One row per coin (index ``symbol``), ranked (1 = furthest below the trend): the
        columns of :data:`COLUMNS`; ``reasons`` is a tuple of strings (why in danger, or why
        not screened); ``security_budget_usd_per_hour`` is the 1h attack cost of crypto51
        rows (``source == "crypto51"``).
    notes
        Caveats a reader must see (data ending before the day, coins not screened, ...).
    thresholds
        The :class:`PowRiskThresholds` used.
    fit
        ``slope``, ``intercept``, ``coins``, ``r_squared`` of the day's log-log fit.
    """

    date: pd.Timestamp
    table: pd.DataFrame
    notes: tuple[str, ...]
    thresholds: PowRiskThresholds
    fit: dict[str, float] = field(default_factory=dict)
    data_ends: pd.Timestamp | None = None

    def exclusions(self) -> dict[str, str]:
        """Coins in the danger zone -> their reasons (joined by ``; ``)."""
        danger = self.table[self.table["danger"]]
        return {str(s): "; ".join(r) for s, r in danger["reasons"].items()}

    def not_screened(self) -> dict[str, str]:
        """Coins the screen could not judge (no proof-of-work data, or none in the window)."""
        rows = self.table[self.table["status"] != ScreenStatus.SCREENED.value]
        return {str(s): "; ".join(r) for s, r in rows["reasons"].items()}

    def to_json_dict(self) -> dict:
        """The ``--format json`` document (fractions, USD, log10 residuals; NaN -> null)."""
        coins = []
        for sym, row in self.table.iterrows():
            rec = {"symbol": str(sym)}
            for col in COLUMNS:
                value = row[col]
                if col == "reasons":
                    value = list(value)
                elif value is None or pd.isna(value):
                    value = None
                elif isinstance(value, (bool, np.bool_)):
                    value = bool(value)
                elif isinstance(value, (int, np.integer)):
                    value = int(value)
                elif isinstance(value, (float, np.floating)):
                    value = float(value) if np.isfinite(value) else None
                rec[col] = value
            coins.append(rec)
        return {
            "date": f"{self.date:%Y-%m-%d}",
            "data_ends": None if self.data_ends is None else f"{self.data_ends:%Y-%m-%d}",
            "thresholds": asdict(self.thresholds),
            "fit": {k: (None if not np.isfinite(v) else float(v)) for k, v in self.fit.items()},
            "coins": coins,
            "excluded": self.exclusions(),
            "not_screened": self.not_screened(),
            "notes": list(self.notes),
        }


def _window_cross_section(data: PowData, day: pd.Timestamp, days: int) -> pd.DataFrame:
    """Each coin's mean figures over the ``days`` days ending on ``day``: USD figures over
    every row, hash rates only over the rows under the algorithm in force on ``day`` (an
    algorithm change changes the unit). NaN days are skipped; ``days_used`` counts the rows."""
    rows = data.between(day - pd.Timedelta(days=days - 1), day)
    if rows.empty:
        return pd.DataFrame()
    algos = {s: data.algorithms.algorithm_at(s, day) for s in rows["symbol"].unique()}
    same = rows["algorithm"].to_numpy() == rows["symbol"].map(algos).to_numpy()
    budget = security_budget_per_hour(rows["issuance_usd"].to_numpy(), rows["fees_usd"].to_numpy())
    frame = pd.DataFrame(
        {
            "symbol": rows["symbol"].to_numpy(),
            "hash_rate": np.where(same, rows["hash_rate"].to_numpy(float), np.nan),
            "security_budget_usd_per_hour": budget,
            "market_cap_usd": rows["market_cap_usd"].to_numpy(float),
        }
    )
    grouped = frame.groupby("symbol", sort=True)
    out = grouped.mean()
    out["days_used"] = grouped["hash_rate"].count()
    out["usd_days"] = grouped["security_budget_usd_per_hour"].count()
    out = out[out["days_used"] > 0]
    out["algorithm"] = [algos[s] for s in out.index]
    out["merged_with"] = [data.algorithms.parent_at(s, day) for s in out.index]
    out["source"] = "coinmetrics"
    out["nicehash_fraction"] = np.nan
    return out


def _with_shares(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (index symbol; ``algorithm``, ``merged_with``, ``hash_rate``) with each
    coin's ``hash_share`` and ``algorithm_hash`` among its rows."""
    shares = hash_shares(frame.rename_axis("symbol").reset_index(), ())
    return frame.assign(
        hash_share=shares["hash_share"].to_numpy(),
        algorithm_hash=shares["algorithm_hash"].to_numpy(),
    )


def _check_day(data: PowData, day: pd.Timestamp, window: int, crypto51: bool) -> list[str]:
    notes = []
    if day < data.first_day:
        raise SecurityError(
            f"{day:%Y-%m-%d} is before the {data.source} starts ({data.first_day:%Y-%m-%d}); "
            f"pick a date from {data.first_day:%Y-%m-%d} to {data.last_day:%Y-%m-%d}"
        )
    reach = data.last_day + pd.Timedelta(days=window - 1)
    if day > reach and not crypto51:
        raise SecurityError(
            f"no proof-of-work data on {day:%Y-%m-%d}: the {data.source} ends "
            f"{data.last_day:%Y-%m-%d} (the screen reads the {window} days to the date); pick "
            f"a date up to {data.last_day:%Y-%m-%d}, or give a crypto51 table of that date"
        )
    if day > data.last_day:
        notes.append(
            f"the {data.source} ends {data.last_day:%Y-%m-%d}: "
            + (
                f"figures on {day:%Y-%m-%d} use its days up to then"
                if day <= reach
                else "no coin has Coin Metrics figures on this date"
            )
        )
    return notes


def _with_crypto51(
    base: pd.DataFrame, snapshot: Crypto51Snapshot, day: pd.Timestamp, window: int
) -> tuple[pd.DataFrame, list[str]]:
    as_of = snapshot.as_of if snapshot.as_of is not None else day
    if as_of > day:
        raise SecurityError(
            f"the crypto51 table is dated {as_of:%Y-%m-%d}, after the screen date "
            f"{day:%Y-%m-%d}: using it would look ahead; screen on {as_of:%Y-%m-%d} or later"
        )
    if as_of < day - pd.Timedelta(days=window - 1):
        raise SecurityError(
            f"the crypto51 table is dated {as_of:%Y-%m-%d}, more than the {window}-day window "
            f"before {day:%Y-%m-%d}; screen on its date, or give a newer table"
        )
    t = snapshot.table
    rows = pd.DataFrame(
        {
            "hash_rate": t["hash_rate_hs"],
            "security_budget_usd_per_hour": t["attack_cost_usd_per_hour"],
            "market_cap_usd": t["market_cap_usd"],
            "days_used": 1,
            "usd_days": t["attack_cost_usd_per_hour"].notna().astype(int),
            "algorithm": t["algorithm"],
            "merged_with": None,
            "source": "crypto51",
            "nicehash_fraction": t["nicehash_fraction"],
        },
        index=t.index,
    )
    rows = _with_shares(rows)  # within the table: its hash rates are all in H/s
    replaced = sorted(set(rows.index) & set(base.index))
    notes = [
        f"crypto51 table of {as_of:%Y-%m-%d}: its 1h attack cost (NiceHash rental) replaces "
        f"the miner-revenue proxy for {', '.join(rows.index)}"
        + (f" ({', '.join(replaced)} also in the Coin Metrics data)" if replaced else "")
    ]
    return pd.concat([base.drop(index=replaced), rows]), notes


def _not_screened_rows(
    symbols: list[str], reasons: list[str], status: ScreenStatus
) -> pd.DataFrame:
    frame = pd.DataFrame(index=pd.Index(symbols, name="symbol"), columns=list(COLUMNS))
    frame["status"] = status.value
    frame["danger"] = False
    frame["reasons"] = [(r,) for r in reasons]
    return frame


def screen_pow_risk(
    date: str | pd.Timestamp,
    *,
    data: PowData | None = None,
    thresholds: PowRiskThresholds | None = None,
    assets: list[str] | None = None,
    crypto51: Crypto51Snapshot | None = None,
) -> ScreenResult:
    """Screen the proof-of-work coins on ``date`` (a UTC day; rows dated after it are never
    read).

    Parameters
    ----------
    date
        The screen day.
    data
        :class:`~cryptofolio.security.data.PowData`; default the bundled Coin Metrics data.
    thresholds
        :class:`PowRiskThresholds`; default its defaults.
    assets
        Coins to report (default every coin with data). Shares and the trend always use
        every coin in the data. Coins not in the data are listed as not screened.
    crypto51
        A crypto51 table; its rows replace the miner-revenue proxy for the coins it lists.

    Raises
    ------
    SecurityError
        A date before the data, or after it ends (beyond the window) without a crypto51 table;
        a crypto51 table dated after ``date`` or outside the window.
    """
    data = data or load_pow_data()
    thresholds = thresholds or PowRiskThresholds()
    day = utc_day(date)
    window = int(thresholds.window_days)
    notes = _check_day(data, day, window, crypto51 is not None)
    base = _window_cross_section(data, day, window)
    if not base.empty:
        base = _with_shares(base)
    if crypto51 is not None:
        base, more = _with_crypto51(base, crypto51, day, window)
        notes += more
    with np.errstate(divide="ignore", invalid="ignore"):
        cap = base["market_cap_usd"].where(base["market_cap_usd"] > 0)
        base["budget_to_market_cap"] = base["security_budget_usd_per_hour"] / cap
    fit = loglog_residuals(base, by=None)
    base["residual"] = fit["residual"]
    base["status"] = ScreenStatus.SCREENED.value
    base["reasons"] = [tuple(thresholds.reasons(row)) for _, row in base.iterrows()]
    base["danger"] = base["reasons"].map(bool)
    no_usd = base.index[base["usd_days"] == 0].tolist()
    if no_usd:
        notes.append(f"no USD figures for {', '.join(no_usd)} in the window: hash share only")
    base["rank"] = base["residual"].rank(method="first", na_option="keep").astype("Int64")
    base = base.sort_values(["rank"], na_position="last")
    base.index.name = "symbol"
    table = base.loc[:, list(COLUMNS)]
    table = _add_unscreened(table, data, day, window, assets, notes)
    fit_info = {
        "slope": float(fit["slope"].iloc[0]) if len(fit) else float("nan"),
        "intercept": float(fit["intercept"].iloc[0]) if len(fit) else float("nan"),
        "coins": float(fit["fit_coins"].iloc[0]) if len(fit) else 0.0,
        "r_squared": float(fit["r_squared"].iloc[0]) if len(fit) else float("nan"),
    }
    return ScreenResult(day, table, tuple(notes), thresholds, fit_info, data.last_day)


def _add_unscreened(
    table: pd.DataFrame,
    data: PowData,
    day: pd.Timestamp,
    window: int,
    assets: list[str] | None,
    notes: list[str],
) -> pd.DataFrame:
    """Restrict to ``assets`` and add a not-screened row for each coin without figures."""
    wanted = list(dict.fromkeys(to_asset(a) for a in assets)) if assets is not None else None
    candidates = wanted if wanted is not None else list(data.symbols)
    absent = [s for s in candidates if s not in table.index]
    not_pow = [s for s in absent if s not in data.symbols]
    no_rows = [s for s in absent if s in data.symbols]
    parts = [table if wanted is None else table.loc[[s for s in table.index if s in wanted]]]
    if no_rows:
        reasons = []
        for s in no_rows:
            first, last = data.coverage(s)
            reasons.append(
                f"no proof-of-work rows in the {window} days to {day:%Y-%m-%d} (data covers "
                f"{first:%Y-%m-%d} to {last:%Y-%m-%d}): not screened, not excluded"
            )
        parts.append(_not_screened_rows(no_rows, reasons, ScreenStatus.NO_DATA))
    if not_pow:
        parts.append(
            _not_screened_rows(not_pow, [NOT_POW_REASON] * len(not_pow), ScreenStatus.NOT_POW)
        )
        notes.append(f"not screened (no proof-of-work data: PoS or unknown): {', '.join(not_pow)}")
    parts = [p for p in parts if not p.empty]
    if not parts:
        return table
    out = pd.concat(parts) if len(parts) > 1 else parts[0].copy()
    for col in _FLOAT_COLUMNS:
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    out["days_used"] = pd.to_numeric(out["days_used"]).astype("Int64")
    out["rank"] = pd.to_numeric(out["rank"]).astype("Int64")
    out["danger"] = out["danger"].astype(bool)
    return out
