"""The dtype tables every layer shares: what gpudot multiplies, what NumPy refuses to, and what
BLAS multiplies."""

from __future__ import annotations

import numpy as np

__all__ = ["BLAS_DTYPES", "NUMERIC_DTYPES", "NUMERIC_DTYPE_NAMES", "refused_kinds"]

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

#: Dtype kinds no NumPy product multiplies: strings, bytes, records and datetimes.
_NEVER_MULTIPLIED = frozenset("USVM")
#: NumPy's product ufuncs have no timedelta loop either; ``dot``, ``vdot``, ``inner`` and
#: ``tensordot`` multiply timedeltas (as ``*`` does, by numbers).
_UFUNC_REFUSED = _NEVER_MULTIPLIED | {"m"}
_UFUNC_PRODUCTS = frozenset({"matmul", "vecdot", "matvec", "vecmat"})


def refused_kinds(func: str) -> frozenset[str]:
    """The dtype kinds NumPy's product ``func`` has no loop for (it raises `TypeError`)."""
    return _UFUNC_REFUSED if func in _UFUNC_PRODUCTS else _NEVER_MULTIPLIED
