"""``python -m gpudot explain A B``: how each element of ``dot(A, B)`` is formed, by hand.

For small 1-D and 2-D operands each element is written out as a teacher would: the pairs, their
products and their sum.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

import numpy as np

import gpudot

__all__ = ["MAX_SIDE", "explain", "parse_operand"]

#: Largest length of any axis that is still readable when written out.
MAX_SIDE = 6

#: (A's ndim, B's ndim) -> what one element of the result is.
_ELEMENT = {
    (1, 1): "The result is a scalar, the inner product: the sum of A[k]×B[k] over k.",
    (2, 1): "Element i is row i of A times B (a matrix times a vector): multiply the pairs, "
    "then add them up.",
    (1, 2): "Element j is A times column j of B (a vector times a matrix): multiply the pairs, "
    "then add them up.",
    (2, 2): "Element (i, j) is row i of A times column j of B: multiply the pairs, "
    "then add them up.",
}


#: Longest input quoted back in an error message, in characters.
_QUOTED = 40


def _quoted(text: str) -> str:
    return repr(text if len(text) <= _QUOTED else f"{text[: _QUOTED - 3]}...")


def parse_operand(text: str, name: str) -> np.ndarray:
    """Parse a nested list of real numbers such as ``"[[1, 2], [3, 4]]"`` into a 1-D or 2-D array.

    Raises
    ------
    ValueError
        One plain sentence naming ``name`` and ``text``: not a nested list of real numbers
        (unparsable, ragged, strings, complex), not 1-D or 2-D, or too large to write out.
    """
    expected = f"{name} must be a 1-D or 2-D nested list of real numbers such as [[1, 2], [3, 4]]"
    try:
        value = np.asarray(ast.literal_eval(text))
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise ValueError(f"{expected}, got {_quoted(text)}") from None
    if value.dtype.kind not in "biuf":
        raise ValueError(f"{expected}, got {_quoted(text)}")
    if value.ndim not in (1, 2):
        raise ValueError(f"{expected}, got {_quoted(text)}, which is {value.ndim}-D")
    if max(value.shape) > MAX_SIDE:
        raise ValueError(
            f"{name} has shape {value.shape}: too large to explain by hand "
            f"(at most {MAX_SIDE} along any axis); use gpudot.dot directly"
        )
    return value


def _fmt(x: object) -> str:
    return repr(x.item()) if isinstance(x, np.generic) else repr(x)


def _element(row: np.ndarray, column: np.ndarray) -> str:
    factors = f"[{', '.join(map(_fmt, row))}] · [{', '.join(map(_fmt, column))}]"
    if not len(row):
        return f"{factors} = the empty sum (no pairs)"
    pairs = " + ".join(f"{_fmt(x)}×{_fmt(y)}" for x, y in zip(row, column, strict=True))
    return f"{factors} = {pairs} = {' + '.join(_fmt(p) for p in row * column)}"


def explain(a: np.ndarray, b: np.ndarray) -> Iterator[str]:
    """Yield the lines that explain ``dot(a, b)`` for 1-D or 2-D ``a`` and ``b``.

    Raises
    ------
    ValueError
        NumPy's, word for word with gpudot's explanation after it, if the shapes do not align.
    """
    result = gpudot.to_numpy(gpudot.dot(a, b))
    rows = a if a.ndim == 2 else a[np.newaxis]
    columns = b.T if b.ndim == 2 else b[np.newaxis]
    yield (
        f"dot(A, B) with A of shape {a.shape} and B of shape {b.shape} gives shape {result.shape}."
    )
    yield _ELEMENT[a.ndim, b.ndim]
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
