"""``cupy._core._routines_linalg``: compute-type constants and the process-wide choice per dtype.

As in CuPy 14.2 (``cupy/_core/_routines_linalg.pyx``): one module-level slot per dtype group
(bfloat16, float16, float32 with complex64, float64 with complex128), ``COMPUTE_TYPE_TBD`` until
first read, when ``CUPY_TF32`` (an integer, TF32 when above 0) is consulted once for float32 and
complex64 and the choice stored through ``set_compute_type``; ``set_compute_type`` refuses TF32 and
BF16 below compute capability 8.0 with CuPy's warning and stores ``COMPUTE_TYPE_DEFAULT``;
``compute_type_to_str`` gives CuPy's names (``'COMPUTE_TYPE_DEFAULT'``). Only 2-D GEMMs (``dot``,
``tensordot``, ``matmul`` with ndim <= 2) honour the slot: under ``COMPUTE_TYPE_TF32``
float32/complex64 inputs are rounded to TF32's 10-bit mantissa, as tensor cores do; the batched
matmul path ignores it.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import numpy as np

from fakecupy._machine import MACHINE
from fakecupy.cuda import runtime

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
    value: name
    for name, value in globals().items()
    if name.startswith("COMPUTE_TYPE_") and isinstance(value, int)
}
_SLOTS = {"e": 1, "f": 2, "F": 2, "d": 3, "D": 3}
_TF32_WARNING = (
    "COMPUTE_TYPE_BF16 and COMPUTE_TYPE_TF32 are only available on GPUs with compute capability "
    "8.0 or higher. COMPUTE_TYPE_DEFAULT will be used instead."
)
compute_types = [COMPUTE_TYPE_TBD] * 4


def _slot(dtype: Any) -> int:
    dtype = np.dtype(dtype)
    if dtype.char in _SLOTS:
        return _SLOTS[dtype.char]
    if dtype.name == "bfloat16":
        return 0
    raise TypeError(f"dtype is not supported: {dtype}")


def compute_type_to_str(compute_type: int) -> Any:
    """CuPy's name of ``compute_type``; an unknown value comes back as it is."""
    return _NAMES.get(compute_type, compute_type)


def get_compute_type(dtype: Any) -> int:
    slot = _slot(dtype)
    if compute_types[slot] == COMPUTE_TYPE_TBD:
        tf32 = np.dtype(dtype).char in "fF" and int(os.getenv("CUPY_TF32", "0")) > 0
        set_compute_type(dtype, COMPUTE_TYPE_TF32 if tf32 else COMPUTE_TYPE_DEFAULT)
    return compute_types[slot]


def set_compute_type(dtype: Any, compute_type: int) -> None:
    if compute_type in (COMPUTE_TYPE_BF16, COMPUTE_TYPE_TF32):
        runtime.check_device(runtime.getDevice())  # the current device's compute capability
        if MACHINE.compute_capability < 80:
            warnings.warn(_TF32_WARNING, stacklevel=2)
            compute_type = COMPUTE_TYPE_DEFAULT
    elif compute_type not in _NAMES:
        raise ValueError(f"Unknown compute type: {compute_type}")
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
