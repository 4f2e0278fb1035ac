"""Expected returns given from outside (a forecast, a view of one's own), read from a file.

Units: **annualised simple returns as fractions** (0.25 = +25 % a year), the optimisers'
expected-returns input. Two layouts:

* JSON as ``cryptofolio forecast predict --format json`` writes it: ``{"forecasts": {"BTC":
  {"expected_annual": 0.31, ...}, ...}, ...}`` (``expected_annual`` is the expected
  next-period simple return, ``expected``, times the periods per year);
* CSV with a header ``asset,return`` (or ``forecast predict --format csv``'s ``asset,...,
  expected_annual``), one row per asset.

Symbols are read as assets (``BTC/USDT`` is ``BTC``). Nothing is filled: an asset of the
portfolio without a value is an error (:meth:`GivenReturns.for_assets`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cryptofolio.data import to_asset
from cryptofolio.errors import DataError


@dataclass(frozen=True)
class GivenReturns:
    """Annualised expected returns (fractions) by asset, and where they come from.

    Attributes
    ----------
    values
        ``(asset, annualised return)`` pairs, in the file's order.
    source
        The file (or another description) the values were read from, for messages.
    """

    values: tuple[tuple[str, float], ...]
    source: str = "the given expected returns"

    def series(self) -> pd.Series:
        """The values as a Series indexed by asset."""
        return pd.Series(dict(self.values), dtype=float, name="expected_return")

    def for_assets(self, assets: list[str]) -> pd.Series:
        """The values of ``assets``, in that order.

        Raises
        ------
        DataError
            An asset without a value (named, with the file).
        """
        values = self.series()
        missing = [a for a in assets if a not in values.index]
        if missing:
            raise DataError(
                f"{self.source} has no expected return for {', '.join(missing)} (it has "
                f"{', '.join(values.index)}); add them to the file or drop them from --assets"
            )
        return values.reindex(assets)


def _checked(pairs: list[tuple[str, object]], source: str) -> GivenReturns:
    out: dict[str, float] = {}
    for name, value in pairs:
        asset = to_asset(name)
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise DataError(f"{source}: {asset}: {value!r} is not a number") from None
        if not math.isfinite(number) or abs(number) > 100:
            raise DataError(
                f"{source}: {asset}: {number:g} is not a plausible annualised return; give "
                "fractions (0.25 = +25 % a year)"
            )
        if asset in out:
            raise DataError(f"{source}: {asset} is given twice")
        out[asset] = number
    if not out:
        raise DataError(f"{source}: no expected returns in the file")
    return GivenReturns(tuple(out.items()), source=source)


def read_given_returns(path: str | Path) -> GivenReturns:
    """Read annualised expected returns from a JSON (``forecast predict --format json``) or
    CSV (``asset,return``) file (see the module docstring).

    Raises
    ------
    DataError
        A missing file, a layout not described above, a value that is not a number or not a
        plausible annual fraction, an asset given twice.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"expected-returns file {path} does not exist")
    if path.suffix.lower() == ".json":
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DataError(f"{path}: not valid JSON ({exc})") from None
        forecasts = payload.get("forecasts") if isinstance(payload, dict) else None
        if not isinstance(forecasts, dict) or not all(
            isinstance(v, dict) and "expected_annual" in v for v in forecasts.values()
        ):
            raise DataError(
                f"{path}: expected the JSON of `cryptofolio forecast predict --format json` "
                '({"forecasts": {"BTC": {"expected_annual": ...}, ...}})'
            )
        return _checked([(a, v["expected_annual"]) for a, v in forecasts.items()], str(path))
    try:
        frame = pd.read_csv(path, dtype=str)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read as CSV: {exc}") from None
    columns = {c.strip().lower(): c for c in frame.columns}
    value = columns.get("return", columns.get("expected_annual"))
    if "asset" not in columns or value is None:
        raise DataError(
            f"{path}: expected a CSV with the header asset,return (annualised fractions); "
            f"columns found: {', '.join(map(str, frame.columns))}"
        )
    pairs = list(zip(frame[columns["asset"]], frame[value], strict=True))
    return _checked(pairs, str(path))
