"""Keyword shorthand for the frozen specs that group a public function's parameters.

A function that takes a spec (``options: CovarianceOptions``) may also accept the spec's fields
as keywords (``span=30``), the form its callers used before the parameters were grouped:
:func:`spec_of_keywords` builds the one from the other and refuses a mix or an unknown name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, TypeVar

S = TypeVar("S")


def spec_of_keywords(
    kind: type[S], spec: S | None, keywords: Mapping[str, Any], *, where: str
) -> S:
    """``spec``, or the ``kind`` spec that ``keywords`` (some of its field names) describe; the
    default ``kind()`` when neither is given. ``where`` names the function in errors.

    Raises
    ------
    TypeError
        A keyword that is not a field of ``kind``, or a spec and keywords both given.
    """
    fields = [f.name for f in dataclasses.fields(kind)]  # type: ignore[arg-type]
    unknown = sorted(set(keywords) - set(fields))
    if unknown:
        raise TypeError(
            f"{where}() got unexpected keyword arguments {unknown}; beside its parameters it "
            f"takes the fields of {kind.__name__}: {', '.join(fields)}"
        )
    if spec is not None and keywords:
        raise TypeError(
            f"{where}(): pass a {kind.__name__} or its fields ({', '.join(sorted(keywords))}), "
            "not both"
        )
    return spec if spec is not None else kind(**keywords)
