"""The rest of NumPy's product family on the backend in effect: vdot, inner, outer, tensordot,
vecdot, matvec and vecmat.

Each public function is written as `gpudot._api.products.matmul` is: a plain call of two ndarrays
that no exact route takes, on the NumPy backend, is NumPy's own call, made right there; any other
call takes the one family path, `_on_backend`: the backend `backend_for` places the operands on,
inside its context, the operands converted, then the backend's method of the product
(`gpudot.backends.Backend.vdot`...), which reduces it to the backend's ``dot``/``matmul``
(`gpudot.backends._family_reductions`) unless the backend has a loop of its own (the NumPy
backend's, for NumPy's float bits).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from gpudot._api import products as _products
from gpudot._api.products import (
    MISSING,
    NUMPY_ERRORS,
    backend_for,
    bind_like_numpy,
    run_product,
)
from gpudot._dispatch.backend_setting import BACKEND_SETTING
from gpudot.backends._base import Backend
from gpudot.backends.numpy._backend import numpy_takes

__all__ = ["inner", "matvec", "outer", "tensordot", "vdot", "vecdot", "vecmat"]

_ndarray = np.ndarray
_BACKEND = BACKEND_SETTING
_selected: Callable[[Any], Any] = BACKEND_SETTING.override.get
_np_vdot = np.vdot
_np_inner = np.inner
_np_outer = np.outer
_np_tensordot = np.tensordot
#: None where this NumPy has no such function (before 2.0, 2.2): the reduction, NumPy 2.2's rules.
_np_vecdot: Any = getattr(np, "vecdot", None)
_np_matvec: Any = getattr(np, "matvec", None)
_np_vecmat: Any = getattr(np, "vecmat", None)


def _on_backend(
    name: str,
    numpy_func: Callable[..., Any] | None,
    method: Callable[[Backend, Any, Any], Any],
    operands: tuple[Any, Any],
    names: tuple[str, str],
    kwargs: dict[str, Any],
    *,
    scalar: bool = True,
) -> Any:
    """The family's one path: ``method(backend, a, b)`` on the backend that `backend_for`
    places ``operands`` on, inside its context, with the operands converted to its arrays
    (``names``: their parameter names), run by `gpudot._api.products.run_product` (the result's
    kind, NumPy's errors for ``numpy_func(*operands, **kwargs)``, the profile's record)."""

    def compute() -> Any:
        backend = backend_for(*operands)
        with backend.context():
            a, b = backend.asarray(operands[0], names[0]), backend.asarray(operands[1], names[1])
            return method(backend, a, b)

    return run_product(name, numpy_func, compute, operands, kwargs, scalar=scalar)


def vdot(a: Any, b: Any, /) -> Any:
    """Dot product of two arrays flattened, the first conjugated, as `numpy.vdot`.

    Parameters
    ----------
    a, b : array_like
        Operands with the same number of elements; ``a`` is conjugated if complex.

    Returns
    -------
    scalar
        A NumPy scalar for host operands on every backend; a 0-d array of their library for
        device operands.

    Raises
    ------
    ValueError
        If ``a`` and ``b`` have different numbers of elements.

    See Also
    --------
    numpy.vdot

    Examples
    --------
    >>> import gpudot
    >>> gpudot.vdot([1+2j, 3+4j], [5+6j, 7+8j])
    np.complex128(70-8j)
    """
    if (
        (_selected(_BACKEND.default) if _BACKEND.scoped else _BACKEND.default)
        is _products._inline_backend
        and type(a) is _ndarray
        and type(b) is _ndarray  # one vector . vector product: no exact route takes it
    ):
        try:
            return _np_vdot(a, b)
        except NUMPY_ERRORS:
            pass  # the full path raises it again, explained
    return _on_backend("vdot", _np_vdot, lambda on, a, b: on.vdot(a, b), (a, b), ("a", "b"), {})


def inner(a: Any, b: Any, /) -> Any:
    """Inner product over the last axes, as `numpy.inner` (no conjugation).

    Parameters
    ----------
    a, b : array_like
        Operands whose last axes have the same length; a 0-d operand multiplies elementwise.

    Returns
    -------
    array or scalar
        Shape ``a.shape[:-1] + b.shape[:-1]``; a NumPy scalar for two host vectors.

    Raises
    ------
    ValueError
        If the last axes differ in length.

    See Also
    --------
    numpy.inner

    Examples
    --------
    >>> import gpudot
    >>> gpudot.inner([1, 2, 3], [0, 1, 0])
    np.int64(2)
    """
    if (
        _selected(_BACKEND.default) if _BACKEND.scoped else _BACKEND.default
    ) is _products._inline_backend and numpy_takes(a, b):
        try:
            return _np_inner(a, b)
        except NUMPY_ERRORS:
            pass  # the full path raises it again, explained
    return _on_backend("inner", _np_inner, lambda on, a, b: on.inner(a, b), (a, b), ("a", "b"), {})


def outer(a: Any, b: Any, out: Any = None) -> Any:
    """Outer product of two arrays flattened, as `numpy.outer`.

    Parameters
    ----------
    a, b : array_like
        Operands; both are flattened.
    out : array, optional
        Destination of shape ``(a.size, b.size)``; the result is cast to it (``'same_kind'``).

    Returns
    -------
    array
        ``out[i, j] = a.ravel()[i] * b.ravel()[j]``.

    Raises
    ------
    ValueError, TypeError
        If ``out`` has the wrong shape, or the result cannot be cast to its dtype.

    See Also
    --------
    numpy.outer

    Examples
    --------
    >>> import gpudot
    >>> gpudot.outer([1, 2], [1, 10, 100])
    array([[  1,  10, 100],
           [  2,  20, 200]])
    """
    if (
        out is None
        and (_selected(_BACKEND.default) if _BACKEND.scoped else _BACKEND.default)
        is _products._inline_backend
        and type(a) is _ndarray
        and type(b) is _ndarray  # an elementwise product: no exact route takes it
    ):
        try:
            return _np_outer(a, b)
        except NUMPY_ERRORS:
            pass  # the full path raises it again, explained
    return _outer(a, b, out)


def _outer(a: Any, b: Any, out: Any) -> Any:
    """`outer`'s full path (apart, so that `outer` itself holds no closure: a faster call)."""

    def product(on: Backend, a: Any, b: Any) -> Any:
        return on.outer(a, b, out)

    return _on_backend("outer", _np_outer, product, (a, b), ("a", "b"), {"out": out})


def tensordot(a: Any, b: Any, axes: Any = 2) -> Any:
    """Sum of products over the given axes, as `numpy.tensordot`.

    Parameters
    ----------
    a, b : array_like
        Operands.
    axes : int or (sequence of int, sequence of int), optional
        N: the last N axes of ``a`` with the first N of ``b``. A pair: the axes of ``a`` and
        of ``b`` to contract, in matching order; negative axes count from the end.

    Returns
    -------
    array
        The free axes of ``a`` followed by those of ``b`` (a 0-d array when none are free).

    Raises
    ------
    ValueError
        If contracted axes differ in length, repeat, or their counts differ.
    IndexError
        If an axis is out of range.

    See Also
    --------
    numpy.tensordot

    Examples
    --------
    >>> import gpudot, numpy as np
    >>> a, b = np.arange(60).reshape(3, 4, 5), np.arange(24).reshape(4, 3, 2)
    >>> gpudot.tensordot(a, b, axes=([1, 0], [0, 1]))
    array([[4400, 4730],
           [4532, 4874],
           [4664, 5018],
           [4796, 5162],
           [4928, 5306]])
    """
    if (
        type(axes) is int
        and axes == 2
        and (_selected(_BACKEND.default) if _BACKEND.scoped else _BACKEND.default)
        is _products._inline_backend
        and numpy_takes(a, b)
    ):
        try:
            return _np_tensordot(a, b)
        except NUMPY_ERRORS:
            pass  # the full path raises it again, explained
    return _tensordot(a, b, axes)


def _tensordot(a: Any, b: Any, axes: Any) -> Any:
    """`tensordot`'s full path (apart, so that `tensordot` itself holds no closure)."""

    def product(on: Backend, a: Any, b: Any) -> Any:
        return on.tensordot(a, b, axes)

    names, kwargs = ("a", "b"), {"axes": axes}
    return _on_backend("tensordot", _np_tensordot, product, (a, b), names, kwargs, scalar=False)


def vecdot(x1: Any = MISSING, x2: Any = MISSING, /, *args: Any, **kwargs: Any) -> Any:
    """Vector dot product along ``axis``, the first operand conjugated, as `numpy.vecdot`.

    Parameters
    ----------
    x1, x2 : array_like
        Stacks of vectors along ``axis``; the other axes broadcast. Scalars are rejected.
    out : array, optional
        Destination with the broadcast shape, ``axis`` removed; cast ``'same_kind'``.
    axis : int, optional
        The axis of both operands to contract (default: the last).
    dtype : dtype, optional
        Compute in this dtype (``'same_kind'`` cast of the operands).

    Returns
    -------
    array or scalar
        A scalar only for two vectors (of host data; a 0-d array of device operands' library).

    Raises
    ------
    ValueError
        If the vector lengths differ, an operand is 0-d, or the stacks do not broadcast.
    numpy.exceptions.AxisError
        If ``axis`` is out of range.

    See Also
    --------
    numpy.vecdot

    Examples
    --------
    >>> import gpudot
    >>> gpudot.vecdot([[0., 5., 0.], [0., 0., 10.]], [0., 0.6, 0.8])
    array([3., 8.])
    """
    if (
        not args
        and not kwargs
        and (_selected(_BACKEND.default) if _BACKEND.scoped else _BACKEND.default)
        is _products._inline_backend
        and _np_vecdot is not None
        and numpy_takes(x1, x2)
    ):
        try:
            return _np_vecdot(x1, x2)
        except NUMPY_ERRORS:
            pass  # the full path raises it again, explained
    return bind_like_numpy(_vecdot, _np_vecdot, x1, x2, args, kwargs)


def _vecdot(x1: Any, x2: Any, /, out: Any = None, *, axis: int = -1, dtype: Any = None) -> Any:
    """`vecdot` with its arguments bound (NumPy's signature)."""

    def product(on: Backend, x1: Any, x2: Any) -> Any:
        return on.vecdot(x1, x2, out, axis, dtype)

    kwargs = {"out": out, "axis": axis, "dtype": dtype}
    return _on_backend("vecdot", _np_vecdot, product, (x1, x2), ("x1", "x2"), kwargs)


def matvec(x1: Any = MISSING, x2: Any = MISSING, /, *args: Any, **kwargs: Any) -> Any:
    """Matrix-vector product over stacks, as `numpy.matvec` (NumPy 2.2; nothing conjugated).

    Parameters
    ----------
    x1 : array_like
        Matrices, shape ``(..., m, n)``.
    x2 : array_like
        Vectors, shape ``(..., n)``; the stacks broadcast against ``x1``'s.
    out : array, optional
        Destination of shape ``(..., m)``; cast ``'same_kind'``.
    dtype : dtype, optional
        Compute in this dtype (``'same_kind'`` cast of the operands).

    Returns
    -------
    array
        Shape ``(..., m)``.

    Raises
    ------
    ValueError
        If ``n`` differs, an operand has too few dimensions, or the stacks do not broadcast.

    See Also
    --------
    numpy.matvec

    Examples
    --------
    >>> import gpudot
    >>> gpudot.matvec([[1, 2], [3, 4]], [[1, 0], [0, 1]])
    array([[1, 3],
           [2, 4]])
    """
    if (
        not args
        and not kwargs
        and (_selected(_BACKEND.default) if _BACKEND.scoped else _BACKEND.default)
        is _products._inline_backend
        and _np_matvec is not None
        and numpy_takes(x1, x2)
    ):
        try:
            return _np_matvec(x1, x2)
        except NUMPY_ERRORS:
            pass  # the full path raises it again, explained
    return bind_like_numpy(_matvec, _np_matvec, x1, x2, args, kwargs)


def _matvec(x1: Any, x2: Any, /, out: Any = None, *, dtype: Any = None) -> Any:
    """`matvec` with its arguments bound (NumPy's signature)."""

    def product(on: Backend, x1: Any, x2: Any) -> Any:
        return on.matvec(x1, x2, out, dtype)

    kwargs = {"out": out, "dtype": dtype}
    return _on_backend("matvec", _np_matvec, product, (x1, x2), ("x1", "x2"), kwargs)


def vecmat(x1: Any = MISSING, x2: Any = MISSING, /, *args: Any, **kwargs: Any) -> Any:
    """Vector-matrix product over stacks, ``x1`` conjugated, as `numpy.vecmat` (NumPy 2.2).

    Parameters
    ----------
    x1 : array_like
        Vectors, shape ``(..., n)``; conjugated if complex.
    x2 : array_like
        Matrices, shape ``(..., n, m)``; the stacks broadcast against ``x1``'s.
    out : array, optional
        Destination of shape ``(..., m)``; cast ``'same_kind'``.
    dtype : dtype, optional
        Compute in this dtype (``'same_kind'`` cast of the operands).

    Returns
    -------
    array
        Shape ``(..., m)``.

    Raises
    ------
    ValueError
        If ``n`` differs, an operand has too few dimensions, or the stacks do not broadcast.

    See Also
    --------
    numpy.vecmat

    Examples
    --------
    >>> import gpudot
    >>> gpudot.vecmat([0., 1j], [[1., 2.], [3., 4.]])
    array([0.-3.j, 0.-4.j])
    """
    if (
        not args
        and not kwargs
        and (_selected(_BACKEND.default) if _BACKEND.scoped else _BACKEND.default)
        is _products._inline_backend
        and _np_vecmat is not None
        and numpy_takes(x1, x2)
    ):
        try:
            return _np_vecmat(x1, x2)
        except NUMPY_ERRORS:
            pass  # the full path raises it again, explained
    return bind_like_numpy(_vecmat, _np_vecmat, x1, x2, args, kwargs)


def _vecmat(x1: Any, x2: Any, /, out: Any = None, *, dtype: Any = None) -> Any:
    """`vecmat` with its arguments bound (NumPy's signature)."""

    def product(on: Backend, x1: Any, x2: Any) -> Any:
        return on.vecmat(x1, x2, out, dtype)

    kwargs = {"out": out, "dtype": dtype}
    return _on_backend("vecmat", _np_vecmat, product, (x1, x2), ("x1", "x2"), kwargs)


# What `inspect.signature` and `help` show for the functions of open signature: NumPy's.
vecdot.__signature__ = inspect.signature(_vecdot, eval_str=True)  # type: ignore[attr-defined]
matvec.__signature__ = inspect.signature(_matvec, eval_str=True)  # type: ignore[attr-defined]
vecmat.__signature__ = inspect.signature(_vecmat, eval_str=True)  # type: ignore[attr-defined]
