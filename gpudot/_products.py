"""The public entries: `dot`, `matmul` and `asarray`, and `public_product`, the entry of the rest.

A 4x4 float64 product takes NumPy about a microsecond, and each Python call frame in front of it
adds a tenth of that. So the commonest call, plain ndarrays on the NumPy backend, of a BLAS dtype
(float32, float64, complex64, complex128), too small for an exact route (``x1.size * x2.size <
MIN_WORK``, the cheaper test, or ``(x1.size / K) * x2.size < LEAST_WORK``, which bounds the
multiply-adds) or of two vectors (no route takes them), goes straight to NumPy's own function from
the public function itself, with no call frame between: its result is the oracle's by
definition. A failure there is raised again, explained, by the full path. The backend is read
with no call frame either (`gpudot._settings.ScopedSetting.override`), so the choice stays per
thread and per asyncio task. Every other call goes to the backend in effect.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

from gpudot._dtypes import BLAS_DTYPES
from gpudot._exact import LEAST_WORK, MIN_WORK
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
    "public_product",
    "wrap_backends_with",
]

_ndarray = np.ndarray
_np_matmul = np.matmul
_np_dot = np.dot
#: The backend whose plain products are computed inline.
_NUMPY = lookup("numpy")
#: ``_selected(BACKEND_SETTING.default)`` is the backend in effect, or None before it is built.
_selected: Callable[[Any], Any] = BACKEND_SETTING.override.get
#: Marks an operand passed by keyword (``outer(a=x, b=y)``): such calls take the full path.
_MISSING: Any = object()
#: What products run on instead of the backend itself (`gpudot.profile`'s recorder), or None.
_wrap: Callable[[Backend], Any] | None = None
#: What runs a family call while a profile is open (`gpudot._profile.record_call`), or None.
_record: Callable[..., Any] | None = None


def wrap_backends_with(
    wrap: Callable[[Backend], Any] | None, record: Callable[..., Any] | None = None
) -> None:
    """Make the products run on ``wrap(backend in effect)``, and each family call through
    ``record(product, operands, args, kwargs)``, from now on (None: on the backend itself).

    `gpudot.profile` installs its recorder here; a wrapped backend is never the NumPy backend,
    so no product takes the inline route and every call is seen.
    """
    global _selected, _wrap, _record
    _wrap, _record = wrap, record
    if wrap is None:
        _selected = BACKEND_SETTING.override.get
        return

    def wrapped(_default: Any) -> Any:
        return wrap(current_backend())

    _selected = wrapped


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
        and (
            x1.dtype in BLAS_DTYPES
            or x1.size * x2.size < MIN_WORK
            or x1.ndim + x2.ndim < 3
            or (0 < x1.ndim and x1.size // (x1.shape[-1] or 1) * x2.size < LEAST_WORK)
        )
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
        and (
            a.dtype in BLAS_DTYPES
            or a.size * b.size < MIN_WORK
            or a.ndim + b.ndim < 3
            or (0 < a.ndim and a.size // (a.shape[-1] or 1) * b.size < LEAST_WORK)
        )
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


Product = TypeVar("Product", bound=Callable[..., Any])


def _pair(args: tuple[Any, ...]) -> Sequence[Any]:
    return args[:2]


def public_product(
    numpy_func: Callable[..., Any] | None,
    operands: Callable[[tuple[Any, ...]], Sequence[Any]] = _pair,
    *,
    inline: bool = True,
) -> Callable[[Product], Product]:
    """Make ``product`` the public function that NumPy's ``numpy_func`` stands for.

    A plain call (two operands, nothing else) that `dot` would make inline calls ``numpy_func``
    from the entry itself; while a `gpudot.profile` is open, the call is recorded
    (`gpudot._profile.record_call`); a failure is NumPy's exception for the same arguments
    (`gpudot._numpy_errors.raise_like_numpy`).

    Parameters
    ----------
    numpy_func : callable or None
        NumPy's function of the same name; ``None`` where this NumPy has none (an old NumPy):
        no inline call, and gpudot's errors stay as they are.
    operands : callable
        The operands among a call's positional arguments (default: the first two).
    inline : bool
        Whether a plain call may go straight to ``numpy_func``.
    """

    def decorate(product: Product) -> Product:
        def full(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            try:
                if _record is not None:
                    return _record(product, operands(args), args, kwargs)
                return product(*args, **kwargs)
            except (ValueError, TypeError, IndexError) as error:
                raise_like_numpy(error, numpy_func, *args, **kwargs)
                raise

        if not inline or numpy_func is None:

            @functools.wraps(product)
            def call(*args: Any, **kwargs: Any) -> Any:
                return full(args, kwargs)

            return call  # type: ignore[return-value]

        @functools.wraps(product)
        def entry(a: Any = _MISSING, b: Any = _MISSING, /, *args: Any, **kwargs: Any) -> Any:
            if (
                not args
                and not kwargs
                and _selected(BACKEND_SETTING.default) is _NUMPY
                and type(a) is _ndarray
                and type(b) is _ndarray
                and (
                    a.dtype in BLAS_DTYPES
                    or a.size * b.size < MIN_WORK
                    or a.ndim + b.ndim < 3
                    or (0 < a.ndim and a.size // (a.shape[-1] or 1) * b.size < LEAST_WORK)
                )
            ):
                try:
                    return numpy_func(a, b)
                except (ValueError, TypeError, IndexError):
                    pass  # the full path raises it again, explained
            given = (a, b) if b is not _MISSING else (a,) if a is not _MISSING else ()
            return full(given + args, kwargs)

        return entry  # type: ignore[return-value]

    return decorate
