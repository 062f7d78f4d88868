"""The public entries: `dot`, `matmul`, `asarray`, and `public_product`, which writes them.

A 4x4 float64 product takes NumPy about a microsecond, and each Python call frame in front of it
adds a tenth of that. So the commonest call, plain ndarrays on the NumPy backend, of a BLAS dtype
(float32, float64, complex64, complex128), too small for an exact route (``x1.size * x2.size <
MIN_WORK``, the cheaper test, or ``(x1.size / K) * x2.size < LEAST_WORK``, which bounds the
multiply-adds) or of two vectors (no route takes them), goes straight to NumPy's own function from
the public function itself, with no call frame between: its result is the oracle's by
definition. A failure there is raised again, explained, by the full path.

`public_product` writes that public function from the product's own signature, as `dataclasses`
writes its methods: CPython calls a function without ``*args``/``**kwargs`` faster, and Python's
own argument errors are then NumPy's. Where NumPy's function is a ufunc, which words those errors
its own way, the public function takes any arguments and a call that does not bind reaches NumPy.
The backend is read without a call while no override was ever made
(`gpudot._config.scoped.ScopedSetting.scoped`) and from the ContextVar after that, so the choice
stays per thread and per asyncio task.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

from gpudot._api.numpy_errors import raise_like_numpy
from gpudot._config.precision import use_precision
from gpudot._dispatch.backend_setting import BACKEND_SETTING, current_backend
from gpudot._dispatch.conversions import follow_operands
from gpudot._dispatch.registry import lookup
from gpudot._dtypes import BLAS_DTYPES  # noqa: F401 - read by the written entries
from gpudot.backends._base import Backend
from gpudot.backends.numpy._exact import BOOL_MIN_WORK, LEAST_WORK, MIN_WORK  # noqa: F401 - read by the entries

__all__ = [
    "asarray",
    "backend_for",
    "dot",
    "matmul",
    "public_product",
    "wrap_backends_with",
]

_ndarray = np.ndarray
_BOOL = np.dtype(bool)
_BACKEND = BACKEND_SETTING
#: ``_selected(_BACKEND.default)`` is the backend in effect, or None before it is built.
_selected: Callable[[Any], Any] = BACKEND_SETTING.override.get
_NUMPY = lookup("numpy")
#: Marks an operand not given (`_open_parameters`).
_MISSING: Any = object()
#: A backend no call has: `_inline_backend` while a profile is open.
_NOWHERE: Any = object()
#: The backend whose plain products are computed inline.
_inline_backend: Any = _NUMPY
#: What products run on instead of the backend itself (`gpudot.profile`'s recorder), or None.
_wrap: Callable[[Backend], Any] | None = None
#: What runs a family call while a profile is open (`gpudot._api.profile.record_call`), or None.
_record: Callable[..., Any] | None = None
#: gpudot's own keywords, left out when NumPy's function is asked for its error.
_OWN_KEYWORDS = frozenset({"precision"})


def wrap_backends_with(
    wrap: Callable[[Backend], Any] | None, record: Callable[..., Any] | None = None
) -> None:
    """Make the products run on ``wrap(backend in effect)``, and each family call through
    ``record(product, operands, args, kwargs, place)``, from now on (None: on the backend
    itself); ``place(result, operands, out)`` gives the result the kind its operands decide.

    `gpudot.profile` installs its recorder here; while it is installed no product takes the
    inline route, so every call is seen.
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


Product = TypeVar("Product", bound=Callable[..., Any])

#: The public function of a product; ``{test}`` is `_INLINE` or nothing.
_ENTRY = """\
def make(numpy_func, full{defaults}):
    def {name}{parameters}:
{test}        return full({arguments})
    return {name}
"""
#: NumPy's own call for a plain call of ndarrays (see the module's docstring); ``{no_route}`` is
#: `_NO_ROUTE` or nothing.
_INLINE = """\
        if (
            (
                (_selected(_BACKEND.default) if _BACKEND.scoped else _BACKEND.default)
                or current_backend()
            )
            is _inline_backend{plain}
            and type({a}) is _ndarray
            and type({b}) is _ndarray{no_route}
        ):
            try:
                return numpy_func({a}, {b})
            except (ValueError, TypeError, IndexError):
                pass  # the full path raises it again, explained
"""
#: The test that no exact route would take the product: ``(a.size / K) * b.size`` bounds its
#: multiply-adds (every product's, the family's reduced to dot/matmul included).
_NO_ROUTE = """
            and (
                {a}.dtype in BLAS_DTYPES
                or {a}.size * {b}.size < MIN_WORK
                or {a}.ndim + {b}.ndim < 3
                or (
                    0 < {a}.ndim
                    and (
                        (work := {a}.size // ({a}.shape[-1] or 1) * {b}.size) < LEAST_WORK
                        or (work < BOOL_MIN_WORK and {a}.dtype is _BOOL and {b}.dtype is _BOOL)
                    )
                )
            )"""


class _Name(str):
    """A default shown by its name in a written signature."""

    def __repr__(self) -> str:
        return str(self)


#: What `_entry` writes a product's public function from: its parameter list, the test that a
#: call is plain, the arguments passed on to the full path, and the defaults the text names.
_Parts = tuple[str, str, str, list[Any]]


def _own_parameters(signature: inspect.Signature) -> _Parts:
    """``signature`` itself, without annotations; keyword-only arguments passed on by name, the
    others by position."""
    shown, plain, arguments = [], [], []
    defaults: list[Any] = []
    for parameter in signature.parameters.values():
        default: Any = parameter.empty
        passed = parameter.name
        if parameter.default is not parameter.empty:
            default = _Name(f"default{len(defaults)}")
            defaults.append(parameter.default)
            plain.append(f"\n            and {passed} is {default}")
        if parameter.kind is parameter.KEYWORD_ONLY:
            passed = f"{passed}={passed}"
        shown.append(parameter.replace(annotation=parameter.empty, default=default))
        arguments.append(passed)
    text = str(signature.replace(parameters=shown, return_annotation=signature.empty))
    return text, "".join(plain), ", ".join(arguments), defaults


def _open_parameters(a: str, b: str) -> _Parts:
    """Two optional operands and anything else: every call binds, so a call that NumPy's ufunc
    would refuse reaches it, for its own words (a ufunc parses its arguments itself)."""
    return (
        f"({a}=_MISSING, {b}=_MISSING, /, *args, **kwargs)",
        "\n            and not args\n            and not kwargs",
        f"*[x for x in ({a}, {b}) if x is not _MISSING], *args, **kwargs",
        [],
    )


def _entry(
    product: Callable[..., Any],
    numpy_func: Callable[..., Any] | None,
    full: Callable[..., Any],
    inline: bool,
    routed: bool,
) -> Callable[..., Any]:
    """A function that passes its arguments on to ``full``, after `_INLINE` where ``inline``
    (operands: ``product``'s first two parameters), with `_NO_ROUTE` where ``routed``. It has
    ``product``'s signature, or `_open_parameters` where ``numpy_func`` is a ufunc."""
    signature = inspect.signature(product)
    a, b = list(signature.parameters)[:2]
    if isinstance(numpy_func, np.ufunc):
        parameters, plain, arguments, defaults = _open_parameters(a, b)
    else:
        parameters, plain, arguments, defaults = _own_parameters(signature)
    no_route = _NO_ROUTE.format(a=a, b=b) if routed else ""
    source = _ENTRY.format(
        defaults="".join(f", default{i}" for i in range(len(defaults))),
        name=product.__name__,
        parameters=parameters,
        test=_INLINE.format(plain=plain, a=a, b=b, no_route=no_route) if inline else "",
        arguments=arguments,
    )
    namespace: dict[str, Any] = {}
    exec(source, globals(), namespace)  # noqa: S102 - the source is written above, from a signature
    return namespace["make"](numpy_func, full, *defaults)  # type: ignore[no-any-return]


def _pair(args: tuple[Any, ...]) -> Sequence[Any]:
    return args[:2]


def public_product(
    numpy_func: Callable[..., Any] | None,
    operands: Callable[[tuple[Any, ...]], Sequence[Any]] = _pair,
    *,
    inline: bool = True,
    routed: bool = True,
    component: bool = False,
    scalar: bool = True,
) -> Callable[[Product], Product]:
    """Make ``product`` the public function that NumPy's ``numpy_func`` stands for.

    The public function has ``product``'s signature (for a ufunc, an open one: see `_entry`). A
    plain call (two ndarray operands, every other argument at its default) that no exact route
    would take calls ``numpy_func`` from the public function itself; while a `gpudot.profile`
    is open, the call is recorded (`gpudot._api.profile.record_call`); a failure is NumPy's
    exception for the same arguments (`gpudot._api.numpy_errors.raise_like_numpy`). The result is
    the kind the operands decide (`gpudot._dispatch.conversions.follow_operands`: NumPy for host
    operands, whichever backend computed it).

    Parameters
    ----------
    numpy_func : callable or None
        NumPy's function of the same name; ``None`` where this NumPy has none (an old NumPy):
        no inline call, and gpudot's errors stay as they are.
    operands : callable
        The operands among a call's positional arguments (default: the first two).
    inline : bool
        Whether a plain call may go straight to ``numpy_func``.
    routed : bool
        Whether an exact route may take the product. If not (``vdot``: always one vector .
        vector product), every plain call of two ndarrays goes straight to ``numpy_func``.
    component : bool
        Whether the product is one the others are reduced to (``dot``, ``matmul``): a profile
        records it from the backend's recorder, not here.
    scalar : bool
        Whether NumPy gives a scalar, not a 0-d array, where the result has no dimensions (all
        but ``tensordot``).
    """

    def decorate(product: Product) -> Product:
        names = list(inspect.signature(product).parameters)
        out_at = names.index("out") if "out" in names else -1
        place = functools.partial(follow_operands, scalar=scalar)

        def full(*args: Any, **kwargs: Any) -> Any:
            if 0 <= out_at == len(args) - 1:  # out= by name: the recorder and NumPy's error see it
                args, kwargs = args[:-1], {**kwargs, "out": args[-1]}
            try:
                if _record is not None and not component:
                    return _record(product, operands(args), args, kwargs, place)
                result = product(*args, **kwargs)
            except (ValueError, TypeError, IndexError) as error:
                for_numpy = {k: v for k, v in kwargs.items() if k not in _OWN_KEYWORDS}
                raise_like_numpy(error, numpy_func, *args, **for_numpy)
                raise
            return place(result, operands(args), kwargs.get("out"))

        entry = _entry(product, numpy_func, full, inline and numpy_func is not None, routed)
        return functools.wraps(product)(entry)  # type: ignore[return-value]

    return decorate


@public_product(np.matmul, component=True)
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
    if precision is None:
        return _in_effect().matmul(x1, x2, out, dtype)
    with use_precision(precision):
        return _in_effect().matmul(x1, x2, out, dtype)


@public_product(np.dot, component=True)
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
    if precision is None:
        return _in_effect().dot(a, b, out)
    with use_precision(precision):
        return _in_effect().dot(a, b, out)


def asarray(x: Any) -> Any:
    """Return ``x`` as an array of the backend in effect, copying it there if needed (under
    ``"auto"``: onto the GPU, where one is usable).

    Products of host data come back to the host; products of arrays a backend already holds stay
    there. So ``gpudot.asarray`` is how data is kept on a device explicitly: move it once, and a
    chain of products on it never touches the host until `gpudot.to_numpy`.
    """
    return current_backend().asarray(x)
