"""dot and matmul written once against an array namespace ``xp``.

Operands are already checked and on the device; these functions only compute. Both cast to the
computing dtype themselves: CuPy ignores ``matmul(dtype=)`` for integers (cupy/cupy#6566) and
Array API namespaces refuse mixed-kind operands.

A float16 product with one output element is computed in float32 and rounded once: CuPy
(``tensordot_core``'s ``m == 1 and n == 1`` branch, cupy/_core/_routines_linalg.pyx at v14.2.0)
would round each product to float16 (inf above 65504) and sum in float16.

A backend whose integer kernel indexes with 32-bit ``int`` passes ``index_limit``: integer and bool
products are then computed in calls whose matrices each have fewer elements than that
(`_within_index_limit`).
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import numpy as np

from gpudot._core import tiling as _tiling
from gpudot._core.shapes import matmul_shape

__all__ = ["dot", "matmul", "permute"]


def _cast(xp: ModuleType, x: Any, dtype: np.dtype) -> Any:
    """``x`` in ``dtype``: the namespace's ``astype`` (Array API, NumPy 2, CuPy 14 and its
    stand-in alike) or the array method (NumPy 1.x, Dask)."""
    if x.dtype == dtype:
        return x
    astype = getattr(xp, "astype", None)
    return astype(x, dtype) if astype is not None else x.astype(dtype)


def _product(
    xp: ModuleType, a: Any, b: Any, dtype: np.dtype, index_limit: int | None = None
) -> Any:
    """``xp.matmul(a, b)`` of operands already in ``dtype``; integer and bool products in calls
    under ``index_limit`` elements per matrix when given."""
    if index_limit is not None and np.dtype(dtype).kind in "biu":
        return _within_index_limit(xp, a, b, index_limit)
    return xp.matmul(a, b)


def _within_index_limit(xp: ModuleType, a: Any, b: Any, limit: int) -> Any:
    """``xp.matmul(a, b)`` of integers or bools, computed in blocks of rows, columns and (only
    when ``k`` alone reaches ``limit``) the contracted axis, so that each call's matrices hold
    fewer than ``limit`` elements (`gpudot._core.tiling.index_blocks`); NumPy's bits, since integer
    sums wrap the same in any order and bool sums are ORs."""
    m = a.shape[-2] if a.ndim > 1 else 1
    n = b.shape[-1] if b.ndim > 1 else 1
    k = a.shape[-1]
    if 0 in (m, n, k):  # CuPy returns zeros without a kernel
        return xp.matmul(a, b)
    rows, cols, depth = _tiling.index_blocks(m, n, k, limit)
    if (rows, cols, depth) == (m, n, k):
        return xp.matmul(a, b)
    result = xp.empty(matmul_shape(tuple(a.shape), tuple(b.shape)), dtype=a.dtype)
    combine = xp.logical_or if a.dtype == np.bool_ else xp.add
    for row in range(0, m, rows):
        for col in range(0, n, cols):
            at_rows, at_cols = slice(row, row + rows), slice(col, col + cols)
            block = None
            for start in range(0, k, depth):
                at_k = slice(start, start + depth)
                x = a[..., at_rows, at_k] if a.ndim > 1 else a[at_k]
                y = b[..., at_k, at_cols] if b.ndim > 1 else b[at_k]
                part = xp.matmul(x, y)
                block = part if block is None else combine(block, part)
            result[(...,) + (at_rows,) * (a.ndim > 1) + (at_cols,) * (b.ndim > 1)] = block
    return result


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


def matmul(
    xp: ModuleType, x1: Any, x2: Any, dtype: np.dtype, index_limit: int | None = None
) -> Any:
    """``matmul`` computed in ``dtype`` (NumPy's loop dtype)."""
    a, b = _cast(xp, x1, dtype), _cast(xp, x2, dtype)
    if _half_with_one_output(xp, a, b, dtype):
        return _cast(xp, matmul(xp, a, b, xp.float32), dtype)
    return _product(xp, a, b, dtype, index_limit)


def dot(
    xp: ModuleType, a: Any, b: Any, dtype: np.dtype, index_limit: int | None = None
) -> Any:
    """``numpy.dot`` semantics on top of ``matmul``, ``multiply`` and ``tensordot``.

    0-d operands multiply elementwise. When ``b`` has at most two dimensions, NumPy's ``dot``
    and ``matmul`` agree (``matmul`` broadcasts ``b`` over ``a``'s leading axes). Otherwise the
    last axis of ``a`` meets the second-to-last of ``b`` and the free axes of ``a`` come first,
    which is exactly ``tensordot`` over that one pair of axes: one (rows, k) @ (k, columns)
    product of the flattened free axes, computed as such when it must be split (``index_limit``).
    """
    a, b = _cast(xp, a, dtype), _cast(xp, b, dtype)
    if _half_with_one_output(xp, a, b, dtype):
        return _cast(xp, dot(xp, a, b, xp.float32), dtype)
    if a.ndim == 0 or b.ndim == 0:
        return xp.multiply(a, b)
    if b.ndim <= 2:
        return _product(xp, a, b, dtype, index_limit)
    if index_limit is not None and np.dtype(dtype).kind in "biu":
        return _flattened_dot(xp, a, b, index_limit)
    return xp.tensordot(a, b, axes=([a.ndim - 1], [b.ndim - 2]))


def _flattened_dot(xp: ModuleType, a: Any, b: Any, index_limit: int) -> Any:
    """``dot(a, b)`` for ``b.ndim > 2`` as the one 2-D product CuPy's ``tensordot`` runs, split
    under ``index_limit`` when any of its matrices reaches it."""
    k = a.shape[-1]
    rows, cols = int(np.prod(a.shape[:-1])), int(np.prod(b.shape)) // max(k, 1)
    if max(rows * k, k * cols, rows * cols) < index_limit:
        return xp.tensordot(a, b, axes=([a.ndim - 1], [b.ndim - 2]))
    free = (*range(b.ndim - 2), b.ndim - 1)
    x = xp.reshape(a, (rows, k))
    y = xp.reshape(permute(xp, b, (b.ndim - 2, *free)), (k, cols))
    result = _within_index_limit(xp, x, y, index_limit)
    return xp.reshape(result, (*a.shape[:-1], *b.shape[:-2], b.shape[-1]))
