"""The product family reduced to a backend's own ``dot``, ``matmul`` and ``multiply``: the
default of the family's `Backend` methods (``Backend.vdot``...).

Each function takes a backend and operands already converted to its arrays, validates them with
`gpudot._core.contractions` (NumPy's exception types), rearranges axes with namespace functions that
NumPy, CuPy, Dask and the Array API share (``reshape``, ``conj``, ``permute_dims`` or
``transpose``, indexing), and multiplies with the backend's ``dot`` or ``matmul``, so every
backend's fast paths and precision settings apply. Dtypes are read through
`Backend.numpy_dtype`, since Array API libraries have dtypes of their own.
``tensordot`` and ``inner`` are exactly how NumPy computes them (transpose, reshape, ``dot``);
the vector gufuncs add unit axes and multiply with ``matmul``, which gives NumPy's bits for
integers and bools (exact in any order) and stays within the float bound otherwise.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any, Protocol

import numpy as np

from gpudot._core import checks as _checks
from gpudot._core.algorithms import permute
from gpudot._core.contractions import (
    gufunc_batch,
    inner_shape,
    tensordot_axes,
    vdot_size,
    vector_axis,
)


class BackendLike(Protocol):
    """What the reductions use of a `gpudot.backends.Backend` (whose family methods call them)."""

    @property
    def xp(self) -> ModuleType: ...

    def numpy_dtype(self, x: Any) -> np.dtype: ...

    def check_dtypes(
        self, func: str, a: np.dtype, b: np.dtype, names: tuple[str, str] = ("a", "b")
    ) -> None: ...

    def check_out(self, out: object) -> Any: ...

    def deliver(self, result: Any, out: Any, out_owner: Any) -> Any: ...

    def dot(self, a: Any, b: Any, out: Any = None) -> Any: ...

    def matmul(self, x1: Any, x2: Any, out: Any = None, dtype: Any = None) -> Any: ...


__all__ = [
    "gufunc_checks",
    "inner",
    "matvec",
    "outer",
    "outer_checks",
    "tensordot",
    "vdot",
    "vdot_checks",
    "vecdot",
    "vecdot_checks",
    "vecmat",
]


def _conj(backend: BackendLike, x: Any) -> Any:
    """Complex conjugate of ``x``; real arrays pass unchanged (no copy)."""
    return backend.xp.conj(x) if backend.numpy_dtype(x).kind == "c" else x


def _dtypes(backend: BackendLike, a: Any, b: Any) -> tuple[np.dtype, np.dtype]:
    return backend.numpy_dtype(a), backend.numpy_dtype(b)


def _reshape(backend: BackendLike, x: Any, shape: tuple[int, ...]) -> Any:
    return backend.xp.reshape(x, shape)


def _checked_out(
    backend: BackendLike, func: str, shape: tuple[int, ...], dtype: np.dtype, out: Any
) -> Any:
    """The backend owning ``out`` after NumPy's ufunc checks (exact shape, same-kind cast)."""
    if out is None:
        return None
    owner = backend.check_out(out)
    _checks.check_matmul_out(shape, dtype, out, func, out_dtype=owner.numpy_dtype(out))
    return owner


def vdot_checks(backend: BackendLike, a: Any, b: Any) -> None:
    """NumPy's checks of ``vdot`` (computes nothing, writes nothing)."""
    backend.check_dtypes("vdot", *_dtypes(backend, a, b))
    vdot_size(tuple(a.shape), tuple(b.shape))


def vdot(backend: BackendLike, a: Any, b: Any) -> Any:
    """``numpy.vdot``: both operands flattened, the first conjugated."""
    vdot_checks(backend, a, b)
    return backend.dot(_reshape(backend, _conj(backend, a), (-1,)), _reshape(backend, b, (-1,)))


def inner(backend: BackendLike, a: Any, b: Any) -> Any:
    """``numpy.inner``: ``dot`` with ``b``'s last axis moved to second-to-last, as NumPy does."""
    inner_shape(tuple(a.shape), tuple(b.shape))
    if a.ndim and b.ndim >= 2:
        axes = (*range(b.ndim - 2), b.ndim - 1, b.ndim - 2)
        b = permute(backend.xp, b, axes)
    return backend.dot(a, b)


def outer_checks(backend: BackendLike, a: Any, b: Any, out: Any = None) -> Any:
    """NumPy's checks of ``outer``: the owner of ``out``."""
    dtypes = _dtypes(backend, a, b)
    backend.check_dtypes("outer", *dtypes)
    shape = (math.prod(a.shape), math.prod(b.shape))
    return _checked_out(backend, "outer", shape, np.result_type(*dtypes), out)


def outer(backend: BackendLike, a: Any, b: Any, out: Any = None) -> Any:
    """``numpy.outer``: the flattened operands multiplied as a column times a row."""
    owner = outer_checks(backend, a, b, out)
    result = backend.xp.multiply(_reshape(backend, a, (-1, 1)), _reshape(backend, b, (1, -1)))
    return backend.deliver(result, out, owner)


def tensordot(backend: BackendLike, a: Any, b: Any, axes: Any = 2) -> Any:
    """``numpy.tensordot``: contracted axes moved together, reshaped to 2-D, one ``dot`` (NumPy's
    own route, so float bits match) or, for integers and bools, the same 2-D ``matmul``."""
    shape_a, shape_b = tuple(a.shape), tuple(b.shape)
    axes_a, axes_b = tensordot_axes(axes, shape_a, shape_b)
    free_a = [k for k in range(len(shape_a)) if k not in axes_a]
    free_b = [k for k in range(len(shape_b)) if k not in axes_b]
    length = math.prod(shape_a[k] for k in axes_a)
    xp = backend.xp
    a2 = _reshape(
        backend, permute(xp, a, free_a + axes_a), (math.prod(shape_a[k] for k in free_a), length)
    )
    b2 = _reshape(
        backend, permute(xp, b, axes_b + free_b), (length, math.prod(shape_b[k] for k in free_b))
    )
    exact = np.result_type(*_dtypes(backend, a, b)).kind in "biu"  # any order exact: fast routes
    result = (backend.matmul if exact else backend.dot)(a2, b2)
    shape = tuple(shape_a[k] for k in free_a) + tuple(shape_b[k] for k in free_b)
    return _reshape(backend, result, shape)


def _axis_last(backend: BackendLike, x: Any, axis: Any, argname: str) -> Any:
    """``x`` with ``vecdot``'s ``axis`` moved last (0-d operands are left for the checks)."""
    if not x.ndim:
        return x
    k = vector_axis("vecdot", axis, argname, x.ndim)
    if k == x.ndim - 1:
        return x
    return permute(backend.xp, x, (*range(k), *range(k + 1, x.ndim), k))


def gufunc_checks(
    func: str, backend: BackendLike, x1: Any, x2: Any, out: Any = None, dtype: Any = None
) -> Any:
    """NumPy's checks of the vector gufunc ``func`` (axes already last): the owner of ``out``."""
    dtypes = _dtypes(backend, x1, x2)
    backend.check_dtypes(func, *dtypes)
    shape = gufunc_batch(func, tuple(x1.shape), tuple(x2.shape))
    loop = _checks.matmul_dtype(*dtypes, dtype)
    return _checked_out(backend, func, shape, loop, out)


def vecdot_checks(
    backend: BackendLike, x1: Any, x2: Any, out: Any = None, axis: Any = -1, dtype: Any = None
) -> tuple[Any, Any, Any]:
    """NumPy's checks of ``vecdot``: the operands with ``axis`` last, and the owner of ``out``."""
    x1, x2 = _axis_last(backend, x1, axis, "x1"), _axis_last(backend, x2, axis, "x2")
    return x1, x2, gufunc_checks("vecdot", backend, x1, x2, out, dtype)


def vecdot(
    backend: BackendLike, x1: Any, x2: Any, out: Any = None, axis: Any = -1, dtype: Any = None
) -> Any:
    """``numpy.vecdot``: conjugated ``x1`` times ``x2`` summed along ``axis``, broadcast."""
    x1, x2, owner = vecdot_checks(backend, x1, x2, out, axis, dtype)
    result = backend.matmul(_conj(backend, x1)[..., None, :], x2[..., :, None], dtype=dtype)[
        ..., 0, 0
    ]
    if out is None and isinstance(result, np.ndarray) and result.ndim == 0:
        return result[()]  # the NumPy scalar NumPy's ufunc returns
    return backend.deliver(result, out, owner)


def matvec(backend: BackendLike, x1: Any, x2: Any, out: Any = None, dtype: Any = None) -> Any:
    """``numpy.matvec``: matrices ``x1`` times vectors ``x2``, broadcast; nothing conjugated."""
    owner = gufunc_checks("matvec", backend, x1, x2, out, dtype)
    result = backend.matmul(x1, x2[..., :, None], dtype=dtype)[..., 0]
    return backend.deliver(result, out, owner)


def vecmat(backend: BackendLike, x1: Any, x2: Any, out: Any = None, dtype: Any = None) -> Any:
    """``numpy.vecmat``: conjugated vectors ``x1`` times matrices ``x2``, broadcast."""
    owner = gufunc_checks("vecmat", backend, x1, x2, out, dtype)
    result = backend.matmul(_conj(backend, x1)[..., None, :], x2, dtype=dtype)[..., 0, :]
    return backend.deliver(result, out, owner)
