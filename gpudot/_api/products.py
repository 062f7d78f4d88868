"""The public products `matmul` and `dot`, `asarray`, and the path every public product shares.

A 4x4 float64 product takes NumPy about a microsecond, and each Python call frame in front of it
adds a tenth of that. So each public function first tests, inline, whether the call is the
commonest kind: the NumPy backend in effect (read without a call: `ScopedSetting.default` while
no override was ever made, the ContextVar after that, so the choice stays per thread and per
asyncio task), no argument but the two operands, and then asks the NumPy backend one question,
`gpudot.backends.numpy._backend.numpy_takes`: two plain ndarrays that no exact route would take.
Such a call is NumPy's own call, made right there; its result is the oracle's by definition, and
a failure there is raised again, explained, by the full path (`run_product`).

Where NumPy's function is a ufunc (``matmul``, ``vecdot``, ``matvec``, ``vecmat``), which words
its argument errors its own way, the public function takes any arguments (``(x1, x2, /, *args,
**kwargs)``, its real signature in ``__signature__``), and a call that does not bind is NumPy's
(`bind_like_numpy`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from gpudot._api.numpy_errors import raise_like_numpy
from gpudot._config.precision import use_precision
from gpudot._dispatch.backend_setting import BACKEND_SETTING, current_backend
from gpudot._dispatch.conversions import follow_operands
from gpudot._dispatch.registry import lookup
from gpudot.backends._base import Backend
from gpudot.backends.numpy._backend import numpy_takes

__all__ = [
    "MISSING",
    "NUMPY_ERRORS",
    "asarray",
    "backend_for",
    "bind_like_numpy",
    "dot",
    "matmul",
    "run_product",
    "wrap_backends_with",
]

_np_matmul = np.matmul
_np_dot = np.dot
_BACKEND = BACKEND_SETTING
#: ``_selected(_BACKEND.default)`` is the backend in effect, or None before it is built.
_selected: Callable[[Any], Any] = BACKEND_SETTING.override.get
_NUMPY = lookup("numpy")
#: Marks an operand not given to a function of open signature (`bind_like_numpy`).
MISSING: Any = object()
#: The exceptions of a bad input: a public function re-raises them as NumPy's.
NUMPY_ERRORS = (ValueError, TypeError, IndexError)
#: A backend no call has: `_inline_backend` while a profile is open.
_NOWHERE: Any = object()
#: The backend whose plain products are NumPy's own call, made by the public function itself.
_inline_backend: Any = _NUMPY
#: What products run on instead of the backend itself (`gpudot.profile`'s recorder), or None.
_wrap: Callable[[Backend], Any] | None = None
#: What runs a family call while a profile is open (`gpudot._api.profile.record_call`), or None.
_record: Callable[..., Any] | None = None


def wrap_backends_with(
    wrap: Callable[[Backend], Any] | None, record: Callable[..., Any] | None = None
) -> None:
    """Make the products run on ``wrap(backend in effect)``, and each family call through
    ``record(name, compute, operands, out, scalar)``, from now on (None: on the backend itself).

    `gpudot.profile` installs its recorder here; while it is installed no product is NumPy's
    own call from the public function, so every call is seen.
    """
    global _inline_backend, _wrap, _record
    _wrap, _record = wrap, record
    _inline_backend = _NUMPY if wrap is None else _NOWHERE


def _recorded(backend: Backend) -> Any:
    """``backend`` seen through the profile's recorder, if one is installed."""
    return backend if _wrap is None else _wrap(backend)


def _in_effect() -> Any:
    """The backend in effect, seen through the profile's recorder."""
    return _recorded(current_backend())


def backend_for(*operands: Any) -> Any:
    """The backend a family product of ``operands`` runs on, all its parts on one side: the one
    in effect, placed for them (`Backend.placement`), seen through the profile's recorder."""
    return _recorded(current_backend().placement(*operands)[0])


def run_product(
    name: str,
    numpy_func: Callable[..., Any] | None,
    compute: Callable[[], Any],
    operands: Sequence[Any],
    kwargs: dict[str, Any],
    *,
    args: tuple[Any, ...] | None = None,
    recorded: bool = True,
    scalar: bool = True,
) -> Any:
    """The full path of the public product ``name`` on ``operands`` (the user's call: ``args``,
    by default the operands, and ``kwargs``): ``compute()``, its result given the kind the
    operands decide.

    While a `gpudot.profile` is open the call is recorded (`gpudot._api.profile.record_call`)
    where ``recorded`` (``dot`` and ``matmul`` are recorded by the backend's recorder instead).
    A failure is NumPy's exception for ``numpy_func(*args, **kwargs)``
    (`gpudot._api.numpy_errors.raise_like_numpy`); the result is the kind the operands decide
    (`gpudot._dispatch.conversions.follow_operands`: NumPy for host operands, whichever backend
    computed it; a 0-d result a NumPy scalar where ``scalar``).

    Parameters
    ----------
    numpy_func : callable or None
        NumPy's function of the same name; None where this NumPy has none (an old NumPy):
        gpudot's errors stay as they are.
    compute : callable
        Computes the product on the backend in effect.
    """
    out = kwargs.get("out")
    try:
        if recorded and _record is not None:
            return _record(name, compute, operands, out, scalar)
        result = compute()
    except NUMPY_ERRORS as error:
        for_numpy = {key: value for key, value in kwargs.items() if key != "precision"}
        raise_like_numpy(error, numpy_func, *(operands if args is None else args), **for_numpy)
        raise
    return follow_operands(result, operands, out, scalar=scalar)


def bind_like_numpy(
    product: Callable[..., Any],
    ufunc: Callable[..., Any] | None,
    x1: Any,
    x2: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    """``product(x1, x2, *args, **kwargs)`` for a public function of open signature, whose
    operands are `MISSING` where not given: a call that does not bind to ``product``'s
    signature, NumPy's, gets the exception NumPy's ufunc raises for it, in NumPy's words."""
    given = (x1, x2) if x2 is not MISSING else () if x1 is MISSING else (x1,)
    try:
        return product(*given, *args, **kwargs)
    except TypeError as error:
        for_numpy = {key: value for key, value in kwargs.items() if key != "precision"}
        raise_like_numpy(error, ufunc, *given, *args, **for_numpy)
        raise


def _precise(compute: Callable[[], Any], precision: str | None) -> Callable[[], Any]:
    """``compute`` under ``precision`` (`gpudot.use_precision`), or as it is for None."""
    if precision is None:
        return compute

    def under_precision() -> Any:
        with use_precision(precision):
            return compute()

    return under_precision


def matmul(x1: Any = MISSING, x2: Any = MISSING, /, *args: Any, **kwargs: Any) -> Any:
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
        The kind the operands decide, whichever backend computed it: NumPy for host operands
        (a NumPy scalar for vector @ vector, as NumPy gives), an array of their library on their
        device for device operands or PyTorch tensors (see `gpudot.asarray`).

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
    if (
        not args
        and not kwargs
        and (_selected(_BACKEND.default) if _BACKEND.scoped else _BACKEND.default)
        is _inline_backend
        and numpy_takes(x1, x2)
    ):
        try:
            return _np_matmul(x1, x2)
        except NUMPY_ERRORS:
            pass  # the full path raises it again, explained
    return bind_like_numpy(_matmul, _np_matmul, x1, x2, args, kwargs)


def _matmul(
    x1: Any, x2: Any, /, out: Any = None, *, dtype: Any = None, precision: str | None = None
) -> Any:
    """`matmul` with its arguments bound: NumPy's signature, and ``precision``."""

    def compute() -> Any:
        return _in_effect().matmul(x1, x2, out, dtype)

    kwargs = {"out": out, "dtype": dtype, "precision": precision}
    computed = _precise(compute, precision)
    return run_product("matmul", _np_matmul, computed, (x1, x2), kwargs, recorded=False)


#: What `inspect.signature` and `help` show: NumPy's parameters, and ``precision``.
matmul.__signature__ = inspect.signature(_matmul, eval_str=True)  # type: ignore[attr-defined]


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
        As for `matmul`: the kind the operands decide; vector . vector of host operands is a
        NumPy scalar on every backend.

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
    if (
        out is None
        and precision is None
        and (_selected(_BACKEND.default) if _BACKEND.scoped else _BACKEND.default)
        is _inline_backend
        and numpy_takes(a, b)
    ):
        try:
            return _np_dot(a, b)
        except NUMPY_ERRORS:
            pass  # the full path raises it again, explained
    return _dot(a, b, out, precision)


def _dot(a: Any, b: Any, out: Any, precision: str | None) -> Any:
    """`dot`'s full path (apart, so that `dot` itself holds no closure: a faster call)."""

    def compute() -> Any:
        return _in_effect().dot(a, b, out)

    kwargs = {"out": out, "precision": precision}
    computed = _precise(compute, precision)
    return run_product("dot", _np_dot, computed, (a, b), kwargs, recorded=False)


def asarray(x: Any) -> Any:
    """Return ``x`` as an array of the backend in effect, copying it there if needed (under
    ``"auto"``: onto the GPU, where one is usable).

    Products of host data come back to the host; products of arrays a backend already holds stay
    there. So ``gpudot.asarray`` is how data is kept on a device explicitly: move it once, and a
    chain of products on it never touches the host until `gpudot.to_numpy`.
    """
    return current_backend().asarray(x)
