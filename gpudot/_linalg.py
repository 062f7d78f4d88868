"""The public products: `dot` and `matmul` on the backend in effect, plus conversions."""

from __future__ import annotations

from typing import Any

import numpy as np

from gpudot._precision import use_precision
from gpudot._state import current_backend  # swapped by gpudot.profile() while it records
from gpudot.backends._registry import owner_of

__all__ = ["asarray", "dot", "matmul", "to_numpy"]


def matmul(
    x1: Any, x2: Any, /, out: Any = None, *, dtype: Any = None, precision: str | None = None
) -> Any:
    """Matrix product of two arrays, exactly as `numpy.matmul`, on the backend in effect.

    Parameters
    ----------
    x1, x2 : array_like
        Operands: NumPy or CuPy arrays, or anything `numpy.asarray` accepts. Scalars are rejected.
        Arrays of another backend are copied under the transfer policy.
    out : array, optional
        Destination with the result's exact shape; the result is cast to it (``'same_kind'``).
    dtype : dtype, optional
        Compute in this dtype; the operands are cast to it first (``'same_kind'``).
    precision : {"highest", "tf32", "fast"}, optional
        Precision for this call only (see `gpudot.set_precision`); default: the one in effect.

    Returns
    -------
    array or scalar
        An array of the computing backend. Vector @ vector is a NumPy scalar on the NumPy backend
        and a 0-d device array on the CUDA backend.

    Raises
    ------
    ValueError
        If the shapes do not align or broadcast, or an operand is 0-d.
    TypeError
        If a dtype is not supported or a cast is not allowed.

    See Also
    --------
    numpy.matmul

    Examples
    --------
    >>> import gpudot
    >>> gpudot.matmul([[1, 2], [3, 4]], [[5, 6], [7, 8]])
    array([[19, 22],
           [43, 50]])
    """
    if precision is None:
        return current_backend().matmul(x1, x2, out, dtype)
    with use_precision(precision):
        return current_backend().matmul(x1, x2, out, dtype)


def dot(a: Any, b: Any, out: Any = None, *, precision: str | None = None) -> Any:
    """Dot product of two arrays, exactly as `numpy.dot`, on the backend in effect.

    For 2-D arrays, element ``(i, j)`` is row ``i`` of ``a`` times column ``j`` of ``b``, summed.
    For N-D arrays the last axis of ``a`` is contracted with the second-to-last axis of ``b``;
    a scalar operand multiplies elementwise.

    Parameters
    ----------
    a, b : array_like
        Operands, as for `matmul`; scalars are accepted.
    out : array, optional
        Destination with exactly the result's dtype and shape, C-contiguous (NumPy's rule).
    precision : {"highest", "tf32", "fast"}, optional
        Precision for this call only (see `gpudot.set_precision`); default: the one in effect.

    Returns
    -------
    array or scalar
        As for `matmul`: vector . vector is a NumPy scalar on the NumPy backend and a 0-d device
        array on the CUDA backend.

    Raises
    ------
    ValueError
        If the contracted axes differ in length or ``out`` is not acceptable.

    See Also
    --------
    numpy.dot

    Examples
    --------
    >>> import gpudot
    >>> gpudot.dot([1, 3, 5], [2, 4, 6])
    np.int64(44)
    """
    if precision is None:
        return current_backend().dot(a, b, out)
    with use_precision(precision):
        return current_backend().dot(a, b, out)


def asarray(x: Any) -> Any:
    """Return ``x`` as an array of the backend in effect (copying it there if needed)."""
    return current_backend().asarray(x)


def to_numpy(x: Any) -> np.ndarray:
    """Return a NumPy copy (or view, for NumPy input) of an array from any backend."""
    owner = owner_of(x)
    return np.asarray(x) if owner is None else owner.to_numpy(x)
