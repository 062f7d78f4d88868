"""The rest of NumPy's product family on the backend in effect: vdot, inner, outer, tensordot,
vecdot, matvec and vecmat.

Each call goes through the same backend selection and transfer policy as `gpudot.dot` and
`gpudot.matmul`, and is reduced to the backend's ``dot``/``matmul`` by
`gpudot.backends._family_reductions`. On the NumPy backend, where that reduction could change a
float's bits (NumPy computes ``vdot``, ``vecdot``, ``matvec``, ``vecmat`` and ``outer`` with loops
of their own), NumPy's own function runs instead; integers and bools are exact in any order, so they
take the ``matmul`` route and its fast paths. A NumPy too old to have a function gets the reduction,
with NumPy 2.2's semantics.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gpudot._api.products import backend_for, public_product
from gpudot._core import checks as _checks
from gpudot.backends import _family_reductions as _reductions
from gpudot.backends._base import Backend

__all__ = ["inner", "matvec", "outer", "tensordot", "vdot", "vecdot", "vecmat"]


def _operands(backend: Backend, x1: Any, x2: Any, names: tuple[str, str]) -> tuple[Any, Any]:
    return backend.asarray(x1, names[0]), backend.asarray(x2, names[1])


def _numpy_own(
    backend: Backend, func: str, a: Any, b: Any, out: Any = None
) -> Callable[..., Any] | None:
    """NumPy's own ``func`` where only it gives NumPy's bits: on the NumPy backend, for results
    that are not integers or bools, when NumPy has it and ``out`` (if any) is a NumPy array."""
    if not backend.numpy_loops or np.result_type(a.dtype, b.dtype).kind in "biu":
        return None
    if out is not None and not isinstance(out, np.ndarray):
        return None
    return getattr(np, func, None)


def _run_own(
    own: Callable[..., Any],
    args: tuple[Any, ...],
    options: dict[str, Any],
    check: Callable[..., object],
    check_args: tuple[Any, ...],
) -> Any:
    """``own(*args, **options)``; a failure is re-raised with gpudot's message where
    ``check(*check_args)`` (a `gpudot.backends._family_reductions` check) finds the fault, NumPy's
    otherwise."""
    try:
        return own(*args, **options)
    except (ValueError, TypeError) as error:
        _checks.explain(check, check_args, error)


def _matrix_vector(func: str, x1: Any, x2: Any, out: Any, dtype: Any) -> Any:
    """``matvec`` or ``vecmat`` (``func``): NumPy's own where only it gives NumPy's bits, else
    the `gpudot.backends._family_reductions` of that name."""
    backend = backend_for(x1, x2)
    with backend.context():
        x1, x2 = _operands(backend, x1, x2, ("x1", "x2"))
        own = _numpy_own(backend, func, x1, x2, out)
        if own is not None:
            check_args = (func, backend, x1, x2, out, dtype)
            options = {"out": out, "dtype": dtype}
            return _run_own(own, (x1, x2), options, _reductions.gufunc_checks, check_args)
        reduction: Callable[..., Any] = getattr(_reductions, func)
        return reduction(backend, x1, x2, out, dtype)


def _like_numpy_ufunc(result: Any) -> Any:
    """A 0-d NumPy array as the NumPy scalar a ufunc returns; anything else unchanged."""
    return result[()] if isinstance(result, np.ndarray) and result.ndim == 0 else result


@public_product(getattr(np, "vdot", None), routed=False)
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
    backend = backend_for(a, b)
    with backend.context():
        a, b = _operands(backend, a, b, ("a", "b"))
        own = _numpy_own(backend, "vdot", a, b)
        if own is not None:
            return _run_own(own, (a, b), {}, _reductions.vdot_checks, (backend, a, b))
        return _reductions.vdot(backend, a, b)


@public_product(getattr(np, "inner", None))
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
    backend = backend_for(a, b)
    with backend.context():
        a, b = _operands(backend, a, b, ("a", "b"))
        return _reductions.inner(backend, a, b)


@public_product(getattr(np, "outer", None))
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
    backend = backend_for(a, b)
    with backend.context():
        a, b = _operands(backend, a, b, ("a", "b"))
        own = _numpy_own(backend, "outer", a, b, out)
        if own is not None:
            check_args = (backend, a, b, out)
            return _run_own(own, (a, b), {"out": out}, _reductions.outer_checks, check_args)
        return _reductions.outer(backend, a, b, out)


@public_product(getattr(np, "tensordot", None), scalar=False)
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
    backend = backend_for(a, b)
    with backend.context():
        a, b = _operands(backend, a, b, ("a", "b"))
        return _reductions.tensordot(backend, a, b, axes)


@public_product(getattr(np, "vecdot", None))
def vecdot(x1: Any, x2: Any, /, out: Any = None, *, axis: int = -1, dtype: Any = None) -> Any:
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
    backend = backend_for(x1, x2)
    with backend.context():
        x1, x2 = _operands(backend, x1, x2, ("x1", "x2"))
        own = _numpy_own(backend, "vecdot", x1, x2, out)
        if own is not None:
            options = {"out": out, "axis": axis, "dtype": dtype}
            check_args = (backend, x1, x2, out, axis, dtype)
            return _run_own(own, (x1, x2), options, _reductions.vecdot_checks, check_args)
        result = _reductions.vecdot(backend, x1, x2, out, axis, dtype)
        return result if out is not None else _like_numpy_ufunc(result)


@public_product(getattr(np, "matvec", None))
def matvec(x1: Any, x2: Any, /, out: Any = None, *, dtype: Any = None) -> Any:
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
    return _matrix_vector("matvec", x1, x2, out, dtype)


@public_product(getattr(np, "vecmat", None))
def vecmat(x1: Any, x2: Any, /, out: Any = None, *, dtype: Any = None) -> Any:
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
    return _matrix_vector("vecmat", x1, x2, out, dtype)
