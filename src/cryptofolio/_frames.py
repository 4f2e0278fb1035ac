"""Label fresh float arrays as pandas objects without the general constructors' inference.

``pd.Series(values, index=..., name=...)`` and ``pd.DataFrame(values, index=..., columns=...)``
accept almost anything (lists, dicts, other frames, any dtype) and spend most of their time
finding out what they were given: about 40 Python-level calls each. The estimators and the
optimiser hand them a float64 array they have just computed and an existing Index, and on a
single small solve (a 50-asset minimum variance after a Ledoit-Wolf estimate) the two
constructors were more than a tenth of the call, measured after another library's call as in the
benchmark suite (``benchmarks/t4_parts.py``).

:func:`float_series` and :func:`float_frame` build the same objects from pandas' block
constructors (``pandas.api.internals.create_dataframe_from_blocks``, public since pandas 3.0,
and ``Series._from_mgr`` of a ``SingleBlockManager``, as that function does for frames). On a
pandas without them, or whose block-built objects differ from the public constructors' in a
check at import (``SingleBlockManager`` is not public API), they call the public
constructors: the result is the same either way (``tests/test_frames.py`` compares them).
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import pandas as pd

try:  # pandas >= 3.0
    from pandas.api.internals import create_dataframe_from_blocks as _frame_from_blocks
    from pandas.core.internals import SingleBlockManager as _SingleBlockManager
except ImportError:  # pragma: no cover - pandas 2.x
    _FAST = False
else:
    _FAST = True


def float_series(values: np.ndarray, index: pd.Index, name: Hashable = None) -> pd.Series:
    """A float64 Series of a copy of the 1-D ``values``, labelled by ``index`` (shared, not
    copied: an Index is immutable), named ``name``: ``pd.Series(values, index=index,
    name=name, dtype=float)``."""
    data = np.array(values, dtype=np.float64)  # a copy the Series owns
    if not _FAST or data.ndim != 1 or data.shape[0] != len(index):
        return pd.Series(data, index=index, name=name, copy=False)
    mgr = _SingleBlockManager.from_array(data, index)
    out = pd.Series._from_mgr(mgr, mgr.axes)
    if type(name) is str:  # what the name setter stores once it has checked hashability
        object.__setattr__(out, "_name", name)
    else:
        out.name = name
    return out


def float_frame(values: np.ndarray, index: pd.Index, columns: pd.Index) -> pd.DataFrame:
    """A DataFrame of the 2-D float64 array ``values`` (which the caller hands over: not
    copied), labelled by ``index`` and ``columns`` (shared): ``pd.DataFrame(values,
    index=index, columns=columns, copy=False)``."""
    if (
        not _FAST
        or values.dtype != np.float64
        or values.ndim != 2
        or values.shape != (len(index), len(columns))
    ):
        return pd.DataFrame(values, index=index, columns=columns, copy=False)
    # a block holds the columns as rows: the transposed array (a view)
    return _frame_from_blocks([(values.T, slice(0, values.shape[1]))], index, columns)


def _blocks_agree() -> bool:
    """Whether this pandas builds, from its blocks, what its public constructors build (checked
    once at import: ``SingleBlockManager`` is not public API and may change)."""
    index = pd.Index(["a", "b"])
    values = np.array([[1.0, 2.0], [3.0, 4.0]])
    try:
        series = float_series(values[0], index, "w")
        frame = float_frame(values.copy(), index, index)
    except Exception:  # pragma: no cover - a pandas whose internals changed
        return False
    return series.equals(pd.Series(values[0], index=index, name="w")) and (
        series.name == "w"
        and frame.equals(pd.DataFrame(values, index=index, columns=index))
        and type(series) is pd.Series
        and type(frame) is pd.DataFrame
    )


_FAST = _FAST and _blocks_agree()
