"""The dtype tables every layer shares: what gpudot multiplies, and what BLAS multiplies."""

from __future__ import annotations

import numpy as np

__all__ = ["BLAS_DTYPES", "NUMERIC_DTYPES", "NUMERIC_DTYPE_NAMES"]

#: NumPy's numeric dtypes, the ones gpudot's products take: bool, integers, floats and complex.
NUMERIC_DTYPE_NAMES = (
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
NUMERIC_DTYPES = frozenset(np.dtype(name) for name in NUMERIC_DTYPE_NAMES)
#: The dtypes NumPy hands to BLAS: its own products are fast there, and no exact route is needed.
BLAS_DTYPES = frozenset(
    np.dtype(name) for name in ("float32", "float64", "complex64", "complex128")
)
