"""``cupy._core._routines_linalg``: compute-type constants and the process-wide choice per dtype.

As in CuPy 14.2, the choice is one module-level slot per dtype group (float16, bfloat16,
float32 with complex64, float64 with complex128), ``COMPUTE_TYPE_TBD`` until first read, when
``CUPY_TF32`` is consulted once and the result stored. Only 2-D GEMMs (``dot``, ``tensordot``,
``matmul`` with ndim <= 2) honour it: under ``COMPUTE_TYPE_TF32`` float32/complex64 inputs are
rounded to TF32's 10-bit mantissa, as tensor cores do; the batched matmul path ignores it.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

__all__ = ["compute_type_to_str", "get_compute_type", "set_compute_type", "tf32_inputs"]

COMPUTE_TYPE_TBD = 0
COMPUTE_TYPE_DEFAULT = 1
COMPUTE_TYPE_PEDANTIC = 2
COMPUTE_TYPE_FP16 = 3
COMPUTE_TYPE_FP32 = 4
COMPUTE_TYPE_FP64 = 5
COMPUTE_TYPE_BF16 = 6
COMPUTE_TYPE_TF32 = 7

_NAMES = {
    0: "TBD",
    1: "DEFAULT",
    2: "PEDANTIC",
    3: "FP16",
    4: "FP32",
    5: "FP64",
    6: "BF16",
    7: "TF32",
}
_SLOTS = {"float16": 1, "float32": 2, "complex64": 2, "float64": 3, "complex128": 3}
compute_types = [COMPUTE_TYPE_TBD] * 4


def _slot(dtype: Any) -> int:
    try:
        return _SLOTS[np.dtype(dtype).name]
    except KeyError:
        raise TypeError(f"Invalid dtype: {dtype}") from None


def compute_type_to_str(compute_type: int) -> str:
    return _NAMES.get(compute_type, "UNKNOWN")


def get_compute_type(dtype: Any) -> int:
    slot = _slot(dtype)
    if compute_types[slot] == COMPUTE_TYPE_TBD:
        tf32 = slot == 2 and int(os.environ.get("CUPY_TF32", "0")) != 0
        compute_types[slot] = COMPUTE_TYPE_TF32 if tf32 else COMPUTE_TYPE_DEFAULT
    return compute_types[slot]


def set_compute_type(dtype: Any, compute_type: int) -> None:
    compute_types[_slot(dtype)] = compute_type


def _tf32(x: np.ndarray) -> np.ndarray:
    if x.dtype.kind == "c":
        return (_tf32(x.real) + 1j * _tf32(x.imag)).astype(x.dtype)
    bits = np.ascontiguousarray(x, np.float32).view(np.uint32)
    return ((bits + np.uint32(0x1000)) & np.uint32(0xFFFFE000)).view(np.float32)


def tf32_inputs(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """The operands a 2-D GEMM multiplies under the compute type in effect for their dtype."""
    if arrays[0].dtype.name not in ("float32", "complex64"):
        return arrays
    if get_compute_type(arrays[0].dtype) != COMPUTE_TYPE_TF32:
        return arrays
    return tuple(_tf32(x) if x.dtype == arrays[0].dtype else x for x in arrays)
