"""Exact bool products: NumPy's OR of ANDs through one float32 gemm and a comparison.

``(a @ b)[i, j]`` is True iff some k has ``a[i, k] and b[k, j]``. As 0/1 float32 values the gemm
sums non-negative terms, which is positive exactly when one term is 1, for every K (rounding
never takes a sum of non-negative terms back to 0). Peak memory: float32 copies of both operands,
the float32 product and the bool result.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

__all__ = ["density", "gemm_any"]

_float32 = np.dtype(np.float32)


def density(xp: ModuleType, x: Any) -> float:
    """Fraction of True entries in bool ``x`` (1.0 for an empty array)."""
    return float(xp.count_nonzero(x)) / x.size if x.size else 1.0


def gemm_any(xp: ModuleType, a: Any, b: Any) -> Any:
    """``matmul(a, b)`` for bool operands: the float32 product compared with 0."""
    return xp.matmul(a.astype(_float32), b.astype(_float32)) > 0
