"""dot and matmul written once against an array namespace ``xp``.

Operands are already checked and on the device; these functions only compute. Both cast to the
computing dtype themselves: CuPy ignores ``matmul(dtype=)`` for integers (cupy/cupy#6566) and
Array API namespaces refuse mixed-kind operands.

A float16 product with one output element is computed in float32 and rounded once: CuPy
(``tensordot_core``'s ``m == 1 and n == 1`` branch, cupy/_core/_routines_linalg.pyx at v14.2.0)
would round each product to float16 (inf above 65504) and sum in float16.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import numpy as np

__all__ = ["dot", "matmul", "permute"]


def _cast(xp: ModuleType, x: Any, dtype: np.dtype) -> Any:
    """``x`` in ``dtype``: the namespace's ``astype`` (Array API, NumPy 2, CuPy 14 and its
    stand-in alike) or the array method (NumPy 1.x, Dask)."""
    if x.dtype == dtype:
        return x
    astype = getattr(xp, "astype", None)
    return astype(x, dtype) if astype is not None else x.astype(dtype)


def _product(xp: ModuleType, a: Any, b: Any, dtype: np.dtype) -> Any:
    """``xp.matmul(a, b)`` of operands already in ``dtype``."""
    return xp.matmul(a, b)


def _half_with_one_output(xp: ModuleType, a: Any, b: Any, dtype: Any) -> bool:
    """Whether the product of ``a`` and ``b`` in ``dtype`` is float16 with one output element:
    every free axis of ``a`` (all but its last) and of ``b`` (all but its second-to-last) has
    length 1, as in vector . vector, ``(1, K) @ (K, 1)`` and what ``vdot``, ``inner`` and
    ``vecdot`` reduce to."""
    half = getattr(xp, "float16", None)
    if half is None or dtype != half or a.ndim == 0 or b.ndim == 0:
        return False
    free_b = (*b.shape[:-2], b.shape[-1]) if b.ndim > 1 else ()
    return bool(math.prod(a.shape[:-1]) == 1 and math.prod(free_b) == 1)


def permute(xp: ModuleType, x: Any, axes: Any) -> Any:
    """``x`` with its axes reordered: ``permute_dims`` (Array API, NumPy 2, CuPy 14 and its
    stand-in alike) or ``transpose`` (NumPy 1.x, Dask)."""
    permute_dims = getattr(xp, "permute_dims", None)
    return (
        permute_dims(x, tuple(axes)) if permute_dims is not None else xp.transpose(x, tuple(axes))
    )


def matmul(xp: ModuleType, x1: Any, x2: Any, dtype: np.dtype) -> Any:
    """``matmul`` computed in ``dtype`` (NumPy's loop dtype)."""
    a, b = _cast(xp, x1, dtype), _cast(xp, x2, dtype)
    if _half_with_one_output(xp, a, b, dtype):
        return _cast(xp, matmul(xp, a, b, xp.float32), dtype)
    return _product(xp, a, b, dtype)


def dot(xp: ModuleType, a: Any, b: Any, dtype: np.dtype) -> Any:
    """``numpy.dot`` semantics on top of ``matmul``, ``multiply`` and ``tensordot``.

    0-d operands multiply elementwise. When ``b`` has at most two dimensions, NumPy's ``dot``
    and ``matmul`` agree (``matmul`` broadcasts ``b`` over ``a``'s leading axes). Otherwise the
    last axis of ``a`` meets the second-to-last of ``b`` and the free axes of ``a`` come first,
    which is exactly ``tensordot`` over that one pair of axes.
    """
    a, b = _cast(xp, a, dtype), _cast(xp, b, dtype)
    if _half_with_one_output(xp, a, b, dtype):
        return _cast(xp, dot(xp, a, b, xp.float32), dtype)
    if a.ndim == 0 or b.ndim == 0:
        return xp.multiply(a, b)
    if b.ndim <= 2:
        return _product(xp, a, b, dtype)
    return xp.tensordot(a, b, axes=([a.ndim - 1], [b.ndim - 2]))
