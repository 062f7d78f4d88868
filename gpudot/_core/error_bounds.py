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
    result. Scalar products have ``K`` of 1; complex products sum two real products per term,
    so ``K`` doubles. Magnitudes are taken in complex128, where ``abs`` cannot overflow (it does
    for the most negative integer).
    """
    a, b = np.asarray(a), np.asarray(b)
    k = a.shape[-1] if a.ndim and b.ndim else 1
    if np.dtype(dtype).kind == "c":
        k *= 2
    eps = np.finfo(dtype).eps
    magnitude = np.abs(func(_magnitude(a), _magnitude(b)))
    return np.asarray((2 * k + 1) * eps * magnitude + np.finfo(dtype).tiny)


def _magnitude(x: np.ndarray) -> np.ndarray:
    """``|x|`` in float64, without the wraparound of ``abs`` on the most negative integer."""
    return np.abs(x.astype(np.complex128))
