"""dot and matmul written once against an array namespace ``xp``.

Operands are already checked and on the device; these functions only compute. Both cast to the
computing dtype themselves: CuPy ignores ``matmul(dtype=)`` for integers (cupy/cupy#6566) and
Array API namespaces refuse mixed-kind operands.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from gpudot import _exact

__all__ = ["dot", "matmul", "permute"]


def _cast(xp: ModuleType, x: Any, dtype: np.dtype) -> Any:
    """``x`` in ``dtype``: the namespace's ``astype`` (Array API, NumPy 2, CuPy 14 and its
    stand-in alike) or the array method (NumPy 1.x, Dask)."""
    if x.dtype == dtype:
        return x
    astype = getattr(xp, "astype", None)
    return astype(x, dtype) if astype is not None else x.astype(dtype)


def _product(xp: ModuleType, a: Any, b: Any, dtype: np.dtype) -> Any:
    """``xp.matmul(a, b)``, or an exact route of `gpudot._exact` where switched on for devices."""
    if _exact.ON_DEVICE:
        routed = _exact.device_matmul(xp, a, b, dtype)
        if routed is not None:
            return routed
    return xp.matmul(a, b)


def permute(xp: ModuleType, x: Any, axes: Any) -> Any:
    """``x`` with its axes reordered: ``permute_dims`` (Array API, NumPy 2, CuPy 14 and its
    stand-in alike) or ``transpose`` (NumPy 1.x, Dask)."""
    permute_dims = getattr(xp, "permute_dims", None)
    return (
        permute_dims(x, tuple(axes)) if permute_dims is not None else xp.transpose(x, tuple(axes))
    )


def matmul(xp: ModuleType, x1: Any, x2: Any, dtype: np.dtype) -> Any:
    """``matmul`` computed in ``dtype`` (NumPy's loop dtype)."""
    return _product(xp, _cast(xp, x1, dtype), _cast(xp, x2, dtype), dtype)


def dot(xp: ModuleType, a: Any, b: Any, dtype: np.dtype) -> Any:
    """``numpy.dot`` semantics on top of ``matmul``, ``multiply`` and ``tensordot``.

    0-d operands multiply elementwise. When ``b`` has at most two dimensions, NumPy's ``dot``
    and ``matmul`` agree (``matmul`` broadcasts ``b`` over ``a``'s leading axes). Otherwise the
    last axis of ``a`` meets the second-to-last of ``b`` and the free axes of ``a`` come first,
    which is exactly ``tensordot`` over that one pair of axes.
    """
    a, b = _cast(xp, a, dtype), _cast(xp, b, dtype)
    if a.ndim == 0 or b.ndim == 0:
        return xp.multiply(a, b)
    if b.ndim <= 2:
        return _product(xp, a, b, dtype)
    return xp.tensordot(a, b, axes=([a.ndim - 1], [b.ndim - 2]))
