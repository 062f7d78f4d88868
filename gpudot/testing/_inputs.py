"""Operands for the conformance suite, built in NumPy from a seeded generator."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pytest

from gpudot.backends import NUMERIC_DTYPE_NAMES

__all__ = [
    "ALL_DTYPES",
    "CASES",
    "FLOAT_FAMILIES",
    "INTS",
    "INT_FAMILIES",
    "hard_values",
    "make",
    "shape_id",
    "supported",
    "supported_among",
]

ALL_DTYPES = NUMERIC_DTYPE_NAMES

#: The integer dtypes, signed and unsigned.
INTS = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
#: Value families of `hard_values` for integers and bools, and for float16/bfloat16.
INT_FAMILIES = ("random", "min", "max", "ones", "alternating", "small")
FLOAT_FAMILIES = ("normal", "cancel", "special", "huge", "tiny")


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


def hard_values(
    shape: tuple[int, ...], dtype: str | np.dtype, family: str, seed: int
) -> np.ndarray:
    """Operands that break inexact routes: overflow for integers; cancellation, +-0, inf, NaN,
    overflow and subnormals for float16/bfloat16; sparse to full for bool."""
    rng = np.random.default_rng(seed)
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return rng.random(shape) < {"random": 0.5, "small": 0.02, "min": 0.0}.get(family, 1.0)
    if dt.kind in "iu":
        info = np.iinfo(dt)
        ones = -1 if info.min < 0 else 1
        fills = {"min": info.min, "max": info.max, "ones": ones}
        if family in fills:
            return np.full(shape, fills[family], dt)
        if family == "alternating":
            return np.where(rng.random(shape) < 0.5, info.max, info.min).astype(dt)
        x = make(shape, dt, seed)
        return (x % 7).astype(dt) if family == "small" else x
    x = rng.standard_normal(shape)
    if family == "cancel" and x.ndim and x.shape[-1] > 1:
        half = x.shape[-1] // 2  # pairs of equal and opposite terms cancel in the exact sum
        x[..., half : 2 * half] = -x[..., :half] if seed % 2 else x[..., :half]
        x *= 2.0 ** rng.integers(-4, 4, shape)
    elif family == "special":
        x = rng.choice([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 65504.0, 6e-8], shape)
    elif family == "huge":
        x *= 3e4
    elif family == "tiny":
        x *= 1e-6
    return x.astype(dt)
