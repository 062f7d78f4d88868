"""Error bounds for float products, shared by the conformance suite and the self-checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["error_bound"]


def error_bound(func: Callable[..., Any], a: Any, b: Any, dtype: np.dtype) -> np.ndarray:
    """Allowed |difference| per element between two float products of ``a`` and ``b`` in ``dtype``.

    Any summation order is within ``K * eps * (|a| @ |b|)`` of the exact result (``K`` the
    contracted length), so two orders differ by at most twice that, plus one rounding of the
    result. Scalar products have ``K`` of 1.
    """
    a, b = np.asarray(a), np.asarray(b)
    k = a.shape[-1] if a.ndim and b.ndim else 1
    eps = np.finfo(dtype).eps
    magnitude = np.abs(func(np.abs(a).astype(np.float64), np.abs(b).astype(np.float64)))
    return np.asarray((2 * k + 1) * eps * magnitude + np.finfo(dtype).tiny)
