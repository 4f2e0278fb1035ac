"""resolve_box: a read-only box per call, from the constraints as they are at that call."""

from __future__ import annotations

import numpy as np
import pytest

from cryptofolio.errors import InfeasibleError
from cryptofolio.optimize import Constraints
from cryptofolio.optimize.constraints import resolve_box


def test_same_constraints_and_assets_give_equal_read_only_boxes():
    cons = Constraints(max_weight=0.5)
    first = resolve_box(cons, ["A", "B", "C"])
    again = resolve_box(cons, ("A", "B", "C"))
    assert again.key() == first.key()
    with pytest.raises(ValueError):
        first.lo[0] = 1.0  # read-only
    other = resolve_box(cons, ["A", "B", "D"])
    assert other is not first and other.assets == ("A", "B", "D")
    np.testing.assert_array_equal(other.hi, [0.5, 0.5, 0.5])


def test_bounds_changed_in_place_are_seen():
    bounds = {"A": (0.1, 0.2)}
    cons = Constraints(bounds=bounds)
    box = resolve_box(cons, ["A", "B"])
    assert box.lo[0] == 0.1 and box.hi[0] == 0.2
    bounds["A"] = (0.3, 0.4)  # the mapping is the caller's: it may change
    box = resolve_box(cons, ["A", "B"])
    assert box.lo[0] == 0.3 and box.hi[0] == 0.4
    bounds["Z"] = (0.0, 1.0)
    with pytest.raises(InfeasibleError, match="bounds given for Z"):
        resolve_box(cons, ["A", "B"])
