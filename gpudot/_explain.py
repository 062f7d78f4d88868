"""``python -m gpudot explain A B``: how each element of ``dot(A, B)`` is formed, by hand.

For small 1-D and 2-D operands, element ``(i, j)`` is shown as row ``i`` of ``A`` times column
``j`` of ``B``: the pairs, their products and their sum, as a teacher would write it out.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

import numpy as np

import gpudot

__all__ = ["MAX_SIDE", "explain", "parse_operand"]

#: Largest length of any axis that is still readable when written out.
MAX_SIDE = 6


def parse_operand(text: str, name: str) -> np.ndarray:
    """Parse a nested Python list such as ``"[[1, 2], [3, 4]]"`` into a 1-D or 2-D array."""
    try:
        value = np.asarray(ast.literal_eval(text))
    except (ValueError, SyntaxError) as error:
        raise ValueError(
            f"{name} must be a nested list of numbers such as [[1, 2], [3, 4]]: {error}"
        ) from None
    if value.ndim not in (1, 2) or value.dtype.kind not in "biuf":
        raise ValueError(
            f"{name} must be a 1-D or 2-D list of real numbers, got {value.ndim}-D {value.dtype}"
        )
    if max(value.shape) > MAX_SIDE:
        raise ValueError(
            f"{name} has shape {value.shape}: too large to explain by hand "
            f"(at most {MAX_SIDE} along any axis); use gpudot.dot directly"
        )
    return value


def _fmt(x: object) -> str:
    return repr(x.item()) if isinstance(x, np.generic) else repr(x)


def _element(row: np.ndarray, column: np.ndarray) -> str:
    products = row * column
    pairs = " + ".join(f"{_fmt(x)}×{_fmt(y)}" for x, y in zip(row, column, strict=True))
    terms = " + ".join(_fmt(p) for p in products)
    return f"[{', '.join(map(_fmt, row))}] · [{', '.join(map(_fmt, column))}] = {pairs} = {terms}"


def explain(a: np.ndarray, b: np.ndarray) -> Iterator[str]:
    """Yield the lines that explain ``dot(a, b)`` for 1-D or 2-D ``a`` and ``b``."""
    result = gpudot.to_numpy(gpudot.dot(a, b))  # raises NumPy's ValueError if they do not align
    rows = a if a.ndim == 2 else a[np.newaxis]
    columns = b.T if b.ndim == 2 else b[np.newaxis]
    yield (
        f"dot(A, B) with A of shape {a.shape} and B of shape {b.shape} gives shape {result.shape}."
    )
    yield "Element (i, j) is row i of A times column j of B: multiply the pairs, then add them up."
    yield ""
    flat = result.reshape(rows.shape[0], columns.shape[0])
    for i, row in enumerate(rows):
        for j, column in enumerate(columns):
            index = ", ".join(str(k) for k, keep in ((i, a.ndim == 2), (j, b.ndim == 2)) if keep)
            label = f"({index})" if index else "dot(A, B)"
            yield f"{label}: {_element(row, column)} = {_fmt(flat[i, j])}"
    yield ""
    yield "Result:"
    yield from str(result).splitlines()
