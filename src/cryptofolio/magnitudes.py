"""Plausible magnitudes of the amounts a user gives (quantities held, cash to invest, lot
steps, capital): a value beyond them is a typo or a unit mix-up, refused with the value named
rather than turned into an order for 3.6e298 BTC."""

from __future__ import annotations

import math

from cryptofolio.errors import CryptofolioError

#: Largest quantity of one asset anyone holds (base units; the largest supplies are ~6e14).
MAX_UNITS = 1e15
#: Largest amount of money in the quote currency (USD) a portfolio can hold.
MAX_MONEY = 1e13


def check_amount(
    value: float,
    what: str,
    *,
    error: type[CryptofolioError],
    limit: float,
    positive: bool = True,
    allow_zero: bool = False,
) -> float:
    """``value`` as a float, or ``error`` naming ``what`` and the value when it is not finite,
    not positive (``positive``; zero allowed with ``allow_zero``) or beyond ``limit`` in size."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise error(f"{what} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise error(f"{what} must be a finite number, got {value!r}")
    if positive and (number < 0 or (number == 0 and not allow_zero)):
        sign = "zero or positive" if allow_zero else "positive"
        raise error(f"{what} must be {sign}, got {value!r}")
    if abs(number) > limit:
        raise error(
            f"{what} {number:.6g} is implausible (more than {limit:.0e}); check the value and "
            "its unit"
        )
    return number
