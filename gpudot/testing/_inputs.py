"""Operands for the conformance suite, built in NumPy from a seeded generator."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pytest

__all__ = ["ALL_DTYPES", "CASES", "make", "shape_id", "supported", "supported_among"]

ALL_DTYPES = (
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
    "complex64",
    "complex128",
)


def make(shape: tuple[int, ...], dtype: str | np.dtype, seed: int = 0) -> np.ndarray:
    """Random values that exercise the dtype: full range for integers (so products wrap),
    signed values around 1 for floats, about half True for bool."""
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return rng.random(shape) < 0.5
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
    values = rng.standard_normal(shape)
    if dtype.kind == "c":
        values = values + 1j * rng.standard_normal(shape)
    return values.astype(dtype)


def supported(backend: object, *dtypes: str | np.dtype) -> bool:
    """Whether ``backend`` declares support for every dtype given."""
    declared = getattr(backend, "supported_dtypes", None)
    return declared is None or all(np.dtype(d) in declared for d in dtypes)


def supported_among(backend: object, dtypes: Iterable[str]) -> list[str]:
    """The ``dtypes`` that ``backend`` declares; the test is skipped, with the reason, if none.

    Property tests draw their dtypes from this list, so that no example passes without asserting.
    """
    dtypes = list(dtypes)
    found = [dtype for dtype in dtypes if supported(backend, dtype)]
    if not found:
        name = getattr(backend, "name", type(backend).__name__)
        pytest.skip(f"{name} supports none of {', '.join(dtypes)}")
    return found


MATMUL_SHAPES = [
    ((3,), (3,)),
    ((2, 3), (3,)),
    ((3,), (3, 4)),
    ((2, 3), (3, 4)),
    ((5, 2, 3), (3, 4)),
    ((2, 3), (5, 3, 4)),
    ((1, 2, 3), (4, 3, 2)),
    ((4, 1, 2, 3), (5, 3, 2)),
    ((3,), (6, 3, 2)),
    ((0, 3), (3, 4)),
    ((2, 0), (0, 4)),
    ((2, 3), (3, 0)),
    ((0, 2, 3), (1, 3, 2)),
]

DOT_SHAPES = [
    ((), ()),
    ((), (3,)),
    ((2, 3), ()),
    ((3,), (3,)),
    ((2, 3), (3,)),
    ((3,), (3, 4)),
    ((2, 3), (3, 4)),
    ((2, 3, 4), (4,)),
    ((2, 3, 4), (4, 5)),
    ((2, 3, 4), (6, 4, 5)),
    ((4,), (2, 4, 3)),
    ((0, 3), (3, 2)),
    ((2, 0), (0, 3)),
    ((2, 3, 0), (5, 0, 2)),
]

#: (product, shape of a, shape of b) for dot and matmul: every kind of operand NumPy takes.
CASES = [("matmul", s1, s2) for s1, s2 in MATMUL_SHAPES] + [
    ("dot", s1, s2) for s1, s2 in DOT_SHAPES
]


def shape_id(case: tuple[str, tuple[int, ...], tuple[int, ...]]) -> str:
    func, s1, s2 = case
    return f"{func}-{'x'.join(map(str, s1)) or 'scalar'}-{'x'.join(map(str, s2)) or 'scalar'}"
