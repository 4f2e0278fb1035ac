"""Retries with exponential backoff for remote data sources.

Every source (ccxt exchanges, CryptoCompare, Yahoo) sends its requests through
:func:`call_with_retry`. A call that fails with a *transient* error (HTTP 429 or 5xx, a time-out,
a dropped connection or a DNS failure, a truncated, unparseable or malformed response) is tried
again after ``base_delay_s * factor**k`` seconds (capped at ``max_delay_s``), at most
``max_attempts`` times in all. Any other error is raised at
once, network failures a retry cannot fix as a :class:`~cryptofolio.errors.SourceError`. When
the attempts are used up a :class:`~cryptofolio.errors.SourceError` says what was being fetched
and what the last error was.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from cryptofolio.errors import SourceError

T = TypeVar("T")


class TransientSourceError(Exception):
    """A failure worth retrying that the underlying library does not classify itself
    (a malformed or truncated response body, a 5xx from a plain HTTP API)."""

    def exhausted(self, what: str, attempts: int) -> SourceError | None:
        """The error to raise when every attempt failed with this one (``None``: the generic
        "the service may be down" error)."""
        return None


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a failed request is retried.

    Attributes
    ----------
    max_attempts
        Total number of tries (first try included); at least 1.
    base_delay_s
        Wait before the first retry, in seconds.
    factor
        Growth of the wait between successive retries (2.0 doubles it).
    max_delay_s
        Upper bound on any single wait, in seconds.
    """

    max_attempts: int = 5
    base_delay_s: float = 1.0
    factor: float = 2.0
    max_delay_s: float = 30.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("RetryPolicy.max_attempts must be at least 1")
        if self.base_delay_s < 0 or self.max_delay_s < 0 or self.factor < 1:
            raise ValueError("RetryPolicy delays must be >= 0 and factor >= 1")

    def delay_s(self, retry_number: int) -> float:
        """Seconds to wait before retry number ``retry_number`` (1 for the first retry)."""
        return min(self.max_delay_s, self.base_delay_s * self.factor ** (retry_number - 1))


def call_with_retry(
    func: Callable[[], T],
    *,
    what: str,
    transient: tuple[type[BaseException], ...],
    policy: RetryPolicy,
    sleep: Callable[[float], None] = time.sleep,
    fatal: tuple[type[BaseException], ...] = (),
) -> T:
    """Call ``func()``; retry it on ``transient`` errors as ``policy`` says.

    Parameters
    ----------
    func
        The request, without arguments.
    what
        What is being fetched, for the error message (e.g. ``"binance BTC/USDT 1d from 2021-01-01"``).
    transient
        Exception types that are retried; anything else propagates unchanged.
    policy
        Number of attempts and backoff.
    sleep
        Function used to wait (injected in tests so they never sleep).
    fatal
        Exception types (network failures a retry cannot fix) turned into a ``SourceError``
        at once; checked after ``transient``.

    Raises
    ------
    SourceError
        When every attempt failed with a transient error, or one failed with a ``fatal`` one.
    """
    last: BaseException | None = None
    for attempt in range(1, policy.max_attempts + 1):
        try:
            return func()
        except transient as exc:
            last = exc
            if attempt < policy.max_attempts:
                sleep(policy.delay_s(attempt))
        except fatal as exc:
            raise SourceError(f"{what}: {type(exc).__name__}: {_short(exc)}") from exc
    assert last is not None
    specific = (
        last.exhausted(what, policy.max_attempts)
        if isinstance(last, TransientSourceError)
        else None
    )
    if specific is not None:
        raise specific from last
    raise SourceError(
        f"{what}: failed {policy.max_attempts} times in a row "
        f"(last error: {type(last).__name__}: {_short(last)}); "
        "the service may be down or rate-limiting: try again later"
    ) from last


def _short(exc: BaseException, limit: int = 200) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
