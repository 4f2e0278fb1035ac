"""Exclusive locks on what cryptofolio writes, so that two processes never lose each other's work.

A write that reads, merges and writes back (a store dataset, a saved forecaster's two files,
a sweep store) runs under a :class:`filelock.FileLock` on a lock file beside the data. A second
writer finds the lock held and either waits for it (after a :class:`LockWaitWarning` saying
whom it waits for) or, with ``LockPolicy(wait=False)`` (``--no-wait``), stops at once with a
:class:`~cryptofolio.errors.LockError`. The operating system releases the lock of a process
that dies, killed or not, so a stale lock file never blocks anyone.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import filelock

from cryptofolio.errors import LockError
from cryptofolio.user_warnings import user_stacklevel


class LockWaitWarning(UserWarning):
    """Another process holds the lock; this one waits for it."""


@dataclass(frozen=True)
class LockPolicy:
    """What a writer does when another process holds the lock.

    Attributes
    ----------
    wait
        Wait for the other writer (``True``) or fail at once with a ``LockError``.
    timeout_s
        Longest wait in seconds; ``None`` waits as long as it takes.
    """

    wait: bool = True
    timeout_s: float | None = None

    def __post_init__(self) -> None:
        if self.timeout_s is not None and self.timeout_s < 0:
            raise ValueError("LockPolicy.timeout_s must be >= 0 or None")


@contextmanager
def exclusive(
    lock_file: Path, *, what: str, policy: LockPolicy | None = None, hint: str = ""
) -> Iterator[None]:
    """Hold the lock ``lock_file`` for the ``with`` block.

    Parameters
    ----------
    lock_file
        The lock file (created, with its folder, if missing; left in place afterwards).
    what
        What is being written, for the messages (``"dataset binance-1d in /data"``).
    policy
        Wait or fail when the lock is held; default: wait as long as it takes.
    hint
        Appended to the ``LockError`` message (e.g. how to wait instead: a CLI flag).

    Raises
    ------
    LockError
        When the lock is held and ``policy.wait`` is false, or the wait timed out.
    """
    policy = policy or LockPolicy()
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(lock_file)
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        if not policy.wait:
            raise LockError(
                f"{what} is being written by another process (lock {lock_file}); let it finish "
                f"and run again{hint}"
            ) from None
        warnings.warn(
            f"{what} is being written by another process (lock {lock_file}); waiting for it "
            "to finish",
            LockWaitWarning,
            stacklevel=user_stacklevel(),
        )
        try:
            lock.acquire(timeout=-1 if policy.timeout_s is None else policy.timeout_s)
        except filelock.Timeout:
            raise LockError(
                f"{what}: still locked by another process after {policy.timeout_s:g} s "
                f"(lock {lock_file}); let it finish and run again{hint}"
            ) from None
    try:
        yield
    finally:
        lock.release()
