"""Warm starts: the active sets of earlier solves, kept by the caller that owns them.

A backtest or a frontier solves many related problems; starting each from the active set of
the last solve of the same structure saves most of the pivots. The store is an ordinary object
the caller creates and passes on (``optimize_portfolio(..., warm_starts=store)``); a call
without one starts cold, so a result never depends on earlier calls.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

import numpy as np


class WarmStarts:
    """A bounded store of active sets keyed by problem structure (least recently used first out).

    Parameters
    ----------
    capacity
        The most states kept (each a small integer array of one entry per asset).

    Notes
    -----
    A key describes the structure a state belongs to (objective kind, L2 penalty, bounds and
    budget, asset labels); a state is only a starting guess: every solve is verified as it
    would be from a cold start, so a stale or foreign state costs pivots, never accuracy.
    """

    def __init__(self, capacity: int = 64) -> None:
        if int(capacity) < 1:
            raise ValueError(f"capacity must be a positive integer, got {capacity}")
        self.capacity = int(capacity)
        self._states: OrderedDict[Hashable, np.ndarray] = OrderedDict()

    def get(self, key: Hashable, size: int) -> np.ndarray | None:
        """A copy of the state kept under ``key`` when it has ``size`` entries, else ``None``."""
        state = self._states.get(key)
        if state is None or state.shape[0] != size:
            return None
        self._states.move_to_end(key)
        return state.copy()

    def put(self, key: Hashable, state: np.ndarray) -> None:
        """Keep a copy of ``state`` under ``key`` (dropping the oldest beyond ``capacity``)."""
        self._states[key] = np.array(state, copy=True)
        self._states.move_to_end(key)
        while len(self._states) > self.capacity:
            self._states.popitem(last=False)

    def clear(self) -> None:
        """Forget every state."""
        self._states.clear()

    def __len__(self) -> int:
        return len(self._states)

    def __repr__(self) -> str:
        return f"WarmStarts({len(self)} of {self.capacity} states)"
