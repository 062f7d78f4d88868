"""``cupy.matmul``, ``dot``, ``tensordot`` and ``multiply`` with CuPy's argument rules.

The arithmetic is NumPy's. What is CuPy's: NumPy arrays are refused with CuPy's ``TypeError``
(except by ``dot``, which calls ``a.dot(b)`` and so silently runs NumPy's on two NumPy arrays),
the GEMM path's setup (`fakecupy._gemm`: no device check, the integer kernel's 32-bit index
limit, a cuBLAS handle per thread), elementwise ``multiply`` checks devices, vector . vector gives
a 0-d array, results are new buffers on the current device, and 2-D GEMMs honour the TF32
compute type (`fakecupy._core`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fakecupy import _gemm
from fakecupy._array import _type_error, ndarray
from fakecupy._core._routines_linalg import tf32_inputs

__all__ = ["dot", "matmul", "multiply", "tensordot"]


def _device_data(argname: str, x: object) -> np.ndarray:
    if not isinstance(x, ndarray):
        raise _type_error(argname, x)
    x._check_device()
    return x._data


def _result(data: Any, out: ndarray | None) -> ndarray:
    result = ndarray._allocate(np.asarray(data))
    if out is None:
        return result
    out[...] = result
    return out


def matmul(a: object, b: object, out: ndarray | None = None) -> ndarray:
    x, y = _gemm.operands("matmul", a, b)
    if max(x.ndim, y.ndim) <= 2:  # one GEMM, under the compute type; batches ignore it
        x, y = tf32_inputs(x, y)
    return _result(np.matmul(x, y), out)


def dot(a: Any, b: Any, out: ndarray | None = None) -> Any:
    if not isinstance(a, ndarray):
        return a.dot(b) if out is None else a.dot(b, out)  # NumPy's, on the host, as in CuPy
    data = np.dot(*tf32_inputs(*_gemm.operands("dot", a, b)))
    return _result(data, out)


def tensordot(a: object, b: object, axes: Any = 2) -> ndarray:
    x, y = tf32_inputs(*_gemm.operands("tensordot", a, b, axes))
    return _result(np.tensordot(x, y, axes), None)


def multiply(a: object, b: object) -> ndarray:
    return _result(np.multiply(_device_data("x1", a), _device_data("x2", b)), None)
