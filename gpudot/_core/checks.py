"""Shape, dtype and ``out=`` checks for products, with messages that name the operands.

These run before any library call on backends whose own errors differ from NumPy's (CuPy, Array
API namespaces), and after a failed NumPy call to explain it. Each raises the exception type
NumPy raises for the same mistake: `ValueError` for shapes, `TypeError` for dtypes and casting.
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
    "dot_shape",
    "explain",
    "matmul_dtype",
    "matmul_shape",
]

Shape = tuple[int, ...]


def _contracted(shape: Shape) -> tuple[int, str]:
    """Length and description of the axis that the second operand contracts."""
    if len(shape) >= 2:
        return shape[-2], "second-to-last axis"
    return shape[0], "only axis"


def _check_contraction(func: str, names: tuple[str, str], shape1: Shape, shape2: Shape) -> None:
    k2, where = _contracted(shape2)
    if shape1[-1] != k2:
        n1, n2 = names
        raise ValueError(
            f"{func}: {n1} has shape {shape1} and {n2} has shape {shape2}; "
            f"{n1}'s last axis ({shape1[-1]}) must equal {n2}'s {where} ({k2}). "
            "Check the operand order or transpose one operand."
        )


def matmul_shape(shape1: Shape, shape2: Shape) -> Shape:
    """Return the shape of ``matmul(x1, x2)``; raise `ValueError` as NumPy does if there is none."""
    for name, shape in (("x1", shape1), ("x2", shape2)):
        if not shape:
            raise ValueError(
                f"matmul: {name} is 0-d (a scalar); matmul needs operands with at least one "
                "dimension. Use multiply (*) for scalars, or dot, which accepts them."
            )
    _check_contraction("matmul", ("x1", "x2"), shape1, shape2)
    batch1, batch2 = shape1[:-2], shape2[:-2]
    try:
        batch = batch1 if batch1 == batch2 else np.broadcast_shapes(batch1, batch2)
    except ValueError:
        raise ValueError(
            f"matmul: x1 has shape {shape1} and x2 has shape {shape2}; their batch dimensions "
            f"{shape1[:-2]} and {shape2[:-2]} cannot be broadcast together."
        ) from None
    rows = shape1[-2:-1] if len(shape1) >= 2 else ()
    cols = shape2[-1:] if len(shape2) >= 2 else ()
    return batch + rows + cols


def dot_shape(shape1: Shape, shape2: Shape) -> Shape:
    """Return the shape of ``dot(a, b)``; raise `ValueError` as NumPy does if there is none.

    A 0-d operand multiplies elementwise; otherwise the last axis of ``a`` is contracted with the
    second-to-last axis of ``b`` (its only axis when ``b`` is 1-D).
    """
    if not shape1 or not shape2:
        return shape1 or shape2
    _check_contraction("dot", ("a", "b"), shape1, shape2)
    return shape1[:-1] + shape2[:-2] + shape2[-1:] if len(shape2) >= 2 else shape1[:-1]


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


def check_matmul_out(
    shape: Shape,
    dtype: np.dtype,
    out: object,
    func: str = "matmul",
    *,
    out_dtype: np.dtype | None = None,
) -> None:
    """Check ``out=`` for ``matmul`` (or the ufunc ``func``) under NumPy's ufunc rules: the result
    broadcasts to out's shape (usually equal; extra leading loop axes are allowed), same-kind
    cast. ``out_dtype`` is out's dtype in NumPy's terms where its library's dtypes are not
    NumPy's (Array API backends)."""
    out_shape = tuple(out.shape)  # type: ignore[attr-defined]
    if out_dtype is None:
        out_dtype = out.dtype  # type: ignore[attr-defined]
    if out_shape != shape and not _broadcasts_to(shape, out_shape):
        raise ValueError(
            f"{func}: out has shape {out_shape} but the result has shape {shape}, "
            "which does not broadcast to it"
        )
    if not np.can_cast(dtype, out_dtype, casting="same_kind"):
        raise TypeError(
            f"{func}: cannot cast the result from {dtype} to out's dtype {out_dtype} "
            "under the 'same_kind' rule"
        )


def _broadcasts_to(shape: Shape, target: Shape) -> bool:
    """Whether a result of ``shape`` broadcasts to ``target``, as a ufunc's ``out`` may demand."""
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False


def check_dot_out(
    shape: Shape, dtype: np.dtype, out: object, *, out_dtype: np.dtype | None = None
) -> None:
    """Check ``out=`` for ``dot`` under NumPy's stricter rules: exact dtype, C-contiguous."""
    out_shape = tuple(out.shape)  # type: ignore[attr-defined]
    if out_dtype is None:  # out's own dtype, unless its library's dtypes are not NumPy's
        out_dtype = out.dtype  # type: ignore[attr-defined]
    flags = getattr(out, "flags", None)
    c_contiguous = flags is None or flags.c_contiguous
    if out_dtype != dtype or len(out_shape) != len(shape) or not c_contiguous:
        raise ValueError(
            f"dot: out is not acceptable: it must have dtype {dtype} (has {out_dtype}), "
            f"{len(shape)} dimensions (has {len(out_shape)}) and be C-contiguous "
            f"(is{'' if c_contiguous else ' not'})"
        )
    if out_shape != shape:
        raise ValueError(f"dot: out has shape {out_shape} but the result has shape {shape}")


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
