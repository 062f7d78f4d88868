"""Entry points for `NumpyBackend`: resolve NumPy's loop dtype, pick the family, honour out=.

`matmul` and `dot` return None whenever NumPy should compute (a dtype with BLAS, a dtype no route
covers, small products, any unusual argument: NumPy then raises its own errors). A routed result
is computed into fresh arrays and only then written into ``out`` with NumPy's casting rule, so an
error never leaves ``out`` half written and inputs are never modified.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from gpudot._core.checks import dot_out_error, matmul_out_error
from gpudot._core.descriptions import DOT, MATMUL, Description
from gpudot._core.shapes import dot_shape, multiplies
from gpudot.backends.numpy._exact._cost_rule import (
    bool_matmul,
    half_matmul,
    integer_matmul,
    may_route,
    vector_matmul,
    vector_route,
)

__all__ = ["dot", "matmul"]

Route = Callable[[ModuleType, Any, Any, np.dtype], "Any | None"]

_ROUTES: dict[str, Route] = {"i": integer_matmul, "u": integer_matmul, "b": bool_matmul}


def _route(loop: np.dtype, product: Description) -> Route | None:
    """The route family for NumPy's loop dtype in ``product``: the ordered float32 sums for its
    `Description.half_loops` (float16; bfloat16 in ``dot``), else by kind (other floats: none)."""
    if not loop.isnative:
        return None
    return half_matmul if loop.name in product.half_loops else _ROUTES.get(loop.kind)


def _loop_dtype(a: np.ndarray, b: np.ndarray) -> np.dtype:
    """NumPy's promoted dtype of the operands (skipping promotion when they agree)."""
    return a.dtype if a.dtype == b.dtype else np.result_type(a.dtype, b.dtype)


def _cast(x: np.ndarray, loop: np.dtype) -> np.ndarray | None:
    """``x`` in ``loop`` as matmul casts it ('same_kind'), or None if NumPy would refuse."""
    if x.dtype == loop:
        return x
    return x.astype(loop) if np.can_cast(x.dtype, loop, "same_kind") else None


def _operand(x: np.ndarray, loop: np.dtype, route: Route) -> np.ndarray | None:
    """``x`` as the route takes it: cast to ``loop`` (`_cast`), except 8- and 16-bit integers
    whose values an integer ``loop`` holds, which the integer route keeps as they are (the
    dot-product kernels multiply them without widening; the other routes cast them)."""
    if route is integer_matmul and x.dtype.kind in "iu" and x.dtype.itemsize <= 2:
        if x.dtype.isnative and np.can_cast(x.dtype, loop, "safe"):
            return x
    return _cast(x, loop)


def _matmul_shape(a: np.ndarray, b: np.ndarray) -> tuple[int, ...] | None:
    """The shape of a matrix product NumPy would compute, or None (no route takes vectors)."""
    if a.ndim + b.ndim < 3 or MATMUL.sizes(a.shape, b.shape) is None:
        return None
    return MATMUL.result_shape(a.shape, b.shape)


def matmul(x1: np.ndarray, x2: np.ndarray, out: np.ndarray | None, dtype: Any) -> np.ndarray | None:
    """NumPy's ``matmul(x1, x2, out=out, dtype=dtype)`` through an exact route, or None."""
    try:
        loop = _loop_dtype(x1, x2) if dtype is None else np.dtype(dtype)
    except TypeError:
        return None
    if not may_route(x1, x2, loop):
        return None
    route = vector_matmul if vector_route(x1, x2, loop) else _route(loop, MATMUL)
    shape = _matmul_shape(x1, x2) if route is not None else None
    if route is None or shape is None:
        return None
    if out is not None and matmul_out_error(shape, loop, out.shape, out.dtype) is not None:
        return None  # NumPy raises it, in its own words
    a, b = _operand(x1, loop, route), _operand(x2, loop, route)
    if a is None or b is None:
        return None
    result = route(np, a, b, loop)
    if result is None or out is None:
        return result
    np.copyto(out, result, casting="same_kind")
    return out


def dot(a: np.ndarray, b: np.ndarray, out: np.ndarray | None) -> np.ndarray | None:
    """NumPy's ``dot(a, b, out=out)`` through an exact route, or None.

    With ``b`` of more than two dimensions, ``dot`` contracts ``a``'s last axis with ``b``'s
    second-to-last: the same sums as one 2-D product ``a(M, K) @ b(K, rest)``, reshaped.
    """
    try:
        loop = _loop_dtype(a, b)
    except TypeError:
        return None
    if not may_route(a, b, loop):
        return None
    if b.ndim <= 2 and vector_route(a, b, loop):  # (dot's N-D b is reshaped below)
        route: Route | None = vector_matmul
    else:
        route = _route(loop, DOT)
    if route is None or not multiplies(a.shape, b.shape):
        return None
    shape, k = dot_shape(a.shape, b.shape), a.shape[-1]
    if out is not None:
        error = dot_out_error(shape, loop, out.shape, out.dtype, out.flags.c_contiguous)
        if error is not None:
            return None  # NumPy raises it, in its own words
    left, right = _operand(a, loop, route), _operand(b, loop, route)
    assert left is not None and right is not None
    if right.ndim > 2:
        left = left.reshape(math.prod(a.shape[:-1]), k)
        right = np.moveaxis(right, -2, 0).reshape(k, math.prod(b.shape[:-2]) * b.shape[-1])
    result = route(np, left, right, loop)
    if result is None:
        return None
    product: np.ndarray = result.reshape(shape)
    if out is None:
        return product
    np.copyto(out, product)
    return out
