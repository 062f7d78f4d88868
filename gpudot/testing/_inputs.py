"""Operands for the conformance suite, built in NumPy from a seeded generator."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pytest

__all__ = ["ALL_DTYPES", "make", "supported", "supported_among"]

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
