"""Dtype and ``out=`` checks for products, with messages that name the operands.

These run before any library call on backends whose own errors differ from NumPy's (CuPy, Array
API namespaces), and after a failed NumPy call to explain it. Each raises the exception type
NumPy raises for the same mistake: `ValueError` for shapes, `TypeError` for dtypes and casting.
The shape rules live in `gpudot._core.shapes`. NumPy's ``out=`` rules live here once each:
`matmul_out_error` and `dot_out_error` return the error an ``out=`` gets (None where it takes
the result), which the ``check_*_out`` functions raise and callers that leave refusals to NumPy
(the NumPy backend's exact routes) test quietly.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, NoReturn

import numpy as np

from gpudot._core.explained_errors import explained
from gpudot._dtypes import refused_kinds
from gpudot._errors import UnsupportedDtypeError

__all__ = [
    "check_dtypes",
    "check_dot_out",
    "check_matmul_out",
    "dot_out_error",
    "explain",
    "matmul_dtype",
    "matmul_out_error",
]

Shape = tuple[int, ...]


def check_dtypes(
    func: str,
    dtypes: tuple[np.dtype, np.dtype],
    supported: Collection[np.dtype] | None,
    backend: str,
    names: tuple[str, str] = ("a", "b"),
) -> None:
    """Raise `TypeError` for a dtype NumPy's ``func`` has no loop for (`refused_kinds`: strings,
    bytes, records, dates; timedeltas in the ufuncs), and `UnsupportedDtypeError` naming the
    operand (of those ``names``) whose dtype ``backend`` cannot multiply. Every backend refuses
    through here, so each refuses the same dtypes with the same words."""
    refused = refused_kinds(func)
    for name, dtype in zip(names, dtypes, strict=True):
        if dtype.kind in refused:
            raise TypeError(
                f"{func}: {name} has dtype {dtype}, which {func} does not multiply; convert it "
                "to a number first, e.g. with .astype(float)"
            )
    if supported is None:
        return
    for name, dtype in zip(names, dtypes, strict=True):
        if dtype not in supported:
            listed = ", ".join(sorted(str(d) for d in supported))
            raise UnsupportedDtypeError(
                f"{func}: {name} has dtype {dtype}, which the {backend!r} backend does not "
                f"support; supported dtypes: {listed}. Use the 'numpy' backend for it."
            )


def matmul_dtype(dtype1: np.dtype, dtype2: np.dtype, dtype: object = None) -> np.dtype:
    """Return the dtype ``matmul`` computes in: NumPy's promotion, or ``dtype`` if given.

    Inputs are cast to ``dtype`` under the ``'same_kind'`` rule, as NumPy's ufunc does; a cast
    that rule forbids raises `TypeError`.
    """
    if dtype is None:
        return np.dtype(np.result_type(dtype1, dtype2))
    loop: np.dtype = np.dtype(dtype)  # type: ignore[call-overload]
    for name, given in (("x1", dtype1), ("x2", dtype2)):
        if not np.can_cast(given, loop, casting="same_kind"):
            raise TypeError(
                f"matmul: cannot cast {name} from {given} to the requested dtype {loop} "
                "under the 'same_kind' rule"
            )
    return loop


def matmul_out_error(
    shape: Shape, dtype: np.dtype, out_shape: Shape, out_dtype: np.dtype, func: str = "matmul"
) -> ValueError | TypeError | None:
    """The error ``out=`` of ``out_shape`` and ``out_dtype`` gets for a result of ``shape`` and
    ``dtype`` under the ufunc ``func``'s rules, or None where it takes the result: the result
    broadcasts to out's shape (usually equal; extra leading loop axes are allowed), same-kind
    cast."""
    if out_shape != shape and not _broadcasts_to(shape, out_shape):
        return ValueError(
            f"{func}: out has shape {out_shape} but the result has shape {shape}, "
            "which does not broadcast to it"
        )
    if not np.can_cast(dtype, out_dtype, casting="same_kind"):
        return TypeError(
            f"{func}: cannot cast the result from {dtype} to out's dtype {out_dtype} "
            "under the 'same_kind' rule"
        )
    return None


def _broadcasts_to(shape: Shape, target: Shape) -> bool:
    """Whether a result of ``shape`` broadcasts to ``target``, as a ufunc's ``out`` may demand."""
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False


def dot_out_error(
    shape: Shape, dtype: np.dtype, out_shape: Shape, out_dtype: np.dtype, c_contiguous: bool
) -> ValueError | None:
    """The error ``out=`` of ``out_shape`` and ``out_dtype`` gets for ``dot``'s result of
    ``shape`` and ``dtype``, or None where it takes it: NumPy's stricter rules, exact dtype and
    shape, C-contiguous."""
    if out_dtype != dtype or len(out_shape) != len(shape) or not c_contiguous:
        return ValueError(
            f"dot: out is not acceptable: it must have dtype {dtype} (has {out_dtype}), "
            f"{len(shape)} dimensions (has {len(out_shape)}) and be C-contiguous "
            f"(is{'' if c_contiguous else ' not'})"
        )
    if out_shape != shape:
        return ValueError(f"dot: out has shape {out_shape} but the result has shape {shape}")
    return None


def check_matmul_out(
    shape: Shape,
    dtype: np.dtype,
    out: object,
    func: str = "matmul",
    *,
    out_dtype: np.dtype | None = None,
) -> None:
    """Raise `matmul_out_error` for ``out=``, if any. ``out_dtype`` is out's dtype in NumPy's
    terms where its library's dtypes are not NumPy's (Array API backends)."""
    out_shape = tuple(out.shape)  # type: ignore[attr-defined]
    if out_dtype is None:
        out_dtype = out.dtype  # type: ignore[attr-defined]
    error = matmul_out_error(shape, dtype, out_shape, out_dtype, func)
    if error is not None:
        raise error


def check_dot_out(
    shape: Shape, dtype: np.dtype, out: object, *, out_dtype: np.dtype | None = None
) -> None:
    """Raise `dot_out_error` for ``out=``, if any (an array without ``flags`` has no layout to
    refuse)."""
    out_shape = tuple(out.shape)  # type: ignore[attr-defined]
    if out_dtype is None:  # out's own dtype, unless its library's dtypes are not NumPy's
        out_dtype = out.dtype  # type: ignore[attr-defined]
    flags = getattr(out, "flags", None)
    error = dot_out_error(shape, dtype, out_shape, out_dtype, flags is None or flags.c_contiguous)
    if error is not None:
        raise error


def explain(check: Callable[..., object], args: tuple[Any, ...], error: Exception) -> NoReturn:
    """Raise ``error``, NumPy's own failure, with gpudot's explanation after NumPy's message:
    the message of ``check(*args)`` where that finds the fault, else none. NumPy's class stays,
    whichever class gpudot's check would have raised.

    The check and its arguments travel separately, not as a closure: a closure in a product
    would make its arguments cell variables, allocated on every call, failing or not.
    """
    try:
        check(*args)
    except (ValueError, TypeError) as better:
        raise explained(error, str(better)) from None
    raise explained(error, "")
