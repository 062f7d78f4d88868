"""The public products: `dot` and `matmul` on the backend in effect, and `asarray`.

A 4x4 float64 product takes NumPy about a microsecond, and each Python call frame in front of it
adds a tenth of that. So the commonest call, plain ndarrays on the NumPy backend with no ``out``,
``dtype`` or ``precision``, of a BLAS dtype (float32, float64, complex64, complex128), too small
for an exact route (``x1.size * x2.size < MIN_WORK``) or of two vectors (no route takes them),
is computed right here, exactly as `gpudot.backends._numpy.NumpyBackend` would (NumPy first, its
error explained on failure); every other call goes to the backend in effect. The backend itself
is read with no call frame either (`gpudot._settings.ScopedSetting.override`), so the choice
stays per thread and per asyncio task.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gpudot._dtypes import BLAS_DTYPES
from gpudot._exact import MIN_WORK
from gpudot._numpy_errors import raise_like_numpy
from gpudot._precision import use_precision
from gpudot._state import BACKEND_SETTING, current_backend
from gpudot.backends._base import Backend
from gpudot.backends._registry import lookup

__all__ = [
    "asarray",
    "backend_for",
    "dot",
    "matmul",
    "runs_inline",
    "wrap_backends_with",
]

_ndarray = np.ndarray
_np_matmul = np.matmul
_np_dot = np.dot
#: The backend whose plain products are computed inline.
_NUMPY = lookup("numpy")
#: ``_selected(BACKEND_SETTING.default)`` is the backend in effect, or None before it is built.
_selected: Callable[[Any], Any] = BACKEND_SETTING.override.get
#: What products run on instead of the backend itself (`gpudot.profile`'s recorder), or None.
_wrap: Callable[[Backend], Any] | None = None


def wrap_backends_with(wrap: Callable[[Backend], Any] | None) -> None:
    """Make the products run on ``wrap(backend in effect)`` from now on (None: on the backend).

    `gpudot.profile` wraps the backend in a recorder; a wrapped backend is never the NumPy
    backend, so no product takes the inline route and every call is seen.
    """
    global _selected, _wrap
    _wrap = wrap
    if wrap is None:
        _selected = BACKEND_SETTING.override.get
        return

    def wrapped(_default: Any) -> Any:
        return wrap(current_backend())

    _selected = wrapped


def runs_inline(a: Any, b: Any) -> bool:
    """Whether a product of ``a`` and ``b`` is NumPy's own call: the NumPy backend in effect (no
    profile open), plain NumPy arrays, and a dtype (BLAS), size (under `MIN_WORK`) or shape
    (vectors) for which no exact route would act. `dot` and `matmul` spell out the same test
    inline, to spare a call on every product."""
    return (
        (_selected(BACKEND_SETTING.default) or current_backend()) is _NUMPY
        and type(a) is _ndarray
        and type(b) is _ndarray
        and (a.dtype in BLAS_DTYPES or a.size * b.size < MIN_WORK or a.ndim + b.ndim < 3)
    )


def backend_for(*operands: Any) -> Any:
    """The backend a family product of ``operands`` runs on, all its parts on one side: the one
    in effect, placed for them (`Backend.placement`), seen through the profile's recorder."""
    backend = current_backend().placement(*operands)[0]
    return backend if _wrap is None else _wrap(backend)


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
    backend = _selected(BACKEND_SETTING.default) or current_backend()
    if (
        backend is _NUMPY
        and out is None
        and dtype is None
        and precision is None
        and type(x1) is _ndarray
        and type(x2) is _ndarray
        and (x1.dtype in BLAS_DTYPES or x1.size * x2.size < MIN_WORK or x1.ndim + x2.ndim < 3)
    ):
        try:
            return _np_matmul(x1, x2)
        except (ValueError, TypeError):
            pass  # the backend raises it again, explained
    if precision is not None:
        with use_precision(precision):
            return matmul(x1, x2, out, dtype=dtype)
    try:
        return backend.matmul(x1, x2, out, dtype)
    except (ValueError, TypeError, IndexError) as error:
        raise_like_numpy(error, _np_matmul, x1, x2, out=out, dtype=dtype)
        raise


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
    backend = _selected(BACKEND_SETTING.default) or current_backend()
    if (
        backend is _NUMPY
        and out is None
        and precision is None
        and type(a) is _ndarray
        and type(b) is _ndarray
        and (a.dtype in BLAS_DTYPES or a.size * b.size < MIN_WORK or a.ndim + b.ndim < 3)
    ):
        try:
            return _np_dot(a, b)
        except (ValueError, TypeError):
            pass  # the backend raises it again, explained
    if precision is not None:
        with use_precision(precision):
            return dot(a, b, out)
    try:
        return backend.dot(a, b, out)
    except (ValueError, TypeError, IndexError) as error:
        raise_like_numpy(error, _np_dot, a, b, out=out)
        raise


def asarray(x: Any) -> Any:
    """Return ``x`` as an array of the backend in effect (copying it there if needed)."""
    return current_backend().asarray(x)
