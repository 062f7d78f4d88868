"""``cupy.matmul``, ``dot``, ``tensordot`` and ``multiply`` with CuPy's argument rules.

The arithmetic is NumPy's. What is CuPy's: NumPy arrays are refused with CuPy's ``TypeError``
(except by ``dot``, which calls ``a.dot(b)`` and so silently runs NumPy's on two NumPy arrays),
operands must be on the current device, vector . vector gives a 0-d array, and results are new
buffers on the current device.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fakecupy._array import _type_error, ndarray

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
    data = np.matmul(_device_data("a", a), _device_data("b", b))
    return _result(data, out)


def dot(a: Any, b: Any, out: ndarray | None = None) -> Any:
    if not isinstance(a, ndarray):
        return a.dot(b) if out is None else a.dot(b, out)  # NumPy's, on the host, as in CuPy
    data = np.dot(_device_data("a", a), _device_data("b", b))
    return _result(data, out)


def tensordot(a: object, b: object, axes: Any = 2) -> ndarray:
    return _result(np.tensordot(_device_data("a", a), _device_data("b", b), axes), None)


def multiply(a: object, b: object) -> ndarray:
    return _result(np.multiply(_device_data("x1", a), _device_data("x2", b)), None)
