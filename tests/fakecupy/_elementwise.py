"""``cupy.add`` and ``cupy.logical_or``: elementwise kernels, which check that every operand is on
the current device (``_check_peer_access`` in cupy/_core/_kernel.pyx, v14.2.0)."""

from __future__ import annotations

import numpy as np

from fakecupy._array import ndarray

__all__ = ["add", "logical_or"]


def _data(x: object) -> np.ndarray:
    if not isinstance(x, ndarray):
        raise TypeError(f"Unsupported type {type(x)}")
    x._check_device()
    return x._data


def add(x1: object, x2: object) -> ndarray:
    return ndarray._allocate(np.asarray(np.add(_data(x1), _data(x2))))


def logical_or(x1: object, x2: object) -> ndarray:
    return ndarray._allocate(np.asarray(np.logical_or(_data(x1), _data(x2))))
