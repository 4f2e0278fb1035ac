"""Label fresh float arrays as pandas objects without the general constructors' inference.

``pd.Series(values, index=..., name=...)`` and ``pd.DataFrame(values, index=..., columns=...)``
accept almost anything (lists, dicts, other frames, any dtype) and spend most of their time
finding out what they were given: about 40 Python-level calls each. The estimators and the
optimiser hand them a float64 array they have just computed and an existing Index, and on a
single small solve (a 50-asset minimum variance after a Ledoit-Wolf estimate) the two
constructors were more than a tenth of the call, measured after another library's call as in the
benchmark suite (``benchmarks/t4_parts.py``).

:func:`float_series` and :func:`float_frame` build the same objects from pandas' block
constructors: one block and its manager (``SingleBlockManager``, or ``BlockManager`` without
its integrity check; the shape checks are made here), wrapped by ``Series._from_mgr`` or
``DataFrame._from_mgr``, as ``pandas.api.internals.create_dataframe_from_blocks`` (public since
pandas 3.0) does in about twice the Python-level calls. On a pandas without them, or whose
block-built objects differ from the public constructors' in a check at import (these are not
public API), they call the public constructors: the result is the same either way
(``tests/test_frames.py`` compares them).
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import pandas as pd

try:  # pandas >= 3.0
    from pandas._libs.internals import BlockPlacement as _BlockPlacement
    from pandas.core.internals import SingleBlockManager as _SingleBlockManager
    from pandas.core.internals.blocks import new_block as _new_block
    from pandas.core.internals.blocks import new_block_2d as _new_block_2d
    from pandas.core.internals.managers import BlockManager as _BlockManager
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
    # (what SingleBlockManager.from_array does, less the coercion a float64 array never needs)
    block = _new_block(data, _BlockPlacement(slice(0, data.shape[0])), ndim=1)
    mgr = _SingleBlockManager(block, index)
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
    # a block holds the columns as rows: the transposed array (a view); the shapes were
    # checked above, which is what the manager's integrity check would do
    block = _new_block_2d(values.T, placement=_BlockPlacement(slice(0, values.shape[1])))
    mgr = _BlockManager((block,), [columns, index], verify_integrity=False)
    return pd.DataFrame._from_mgr(mgr, mgr.axes)


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
