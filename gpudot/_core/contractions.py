"""Which axes the product family contracts, validated with NumPy's exception types.

Each function takes operand shapes (never arrays), so every backend validates before computing
and messages name the function, the argument and the shapes. The exception types are NumPy's:
`ValueError` for mismatched lengths or missing dimensions, `numpy.exceptions.AxisError` for an
``axis`` out of range, `IndexError` for a ``tensordot`` axis out of range, `TypeError` for a
non-integer axis.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from gpudot._core.shapes import broadcast_stacks

__all__ = ["gufunc_batch", "inner_shape", "tensordot_axes", "vdot_size", "vector_axis"]

Shape = tuple[int, ...]

#: Core dimensions of the vector gufuncs: (x1, x2) minimum ndim and the axes they contract.
GUFUNC_CORES = {"vecdot": (1, 1), "matvec": (2, 1), "vecmat": (1, 2)}


def _axis_list(axes: Any, argname: str) -> list[int]:
    """One side of ``tensordot``'s axes: an int or a sequence of ints."""
    try:
        return [operator.index(a) for a in axes]
    except TypeError:
        pass
    try:
        return [operator.index(axes)]
    except TypeError:
        raise TypeError(
            f"tensordot: axes for {argname} must be an int or a sequence of ints, got {axes!r}"
        ) from None


def tensordot_axes(axes: Any, shape_a: Shape, shape_b: Shape) -> tuple[list[int], list[int]]:
    """Return the contracted axes of ``a`` and ``b`` (non-negative), as `numpy.tensordot` reads
    ``axes``: an int N (last N of ``a`` with first N of ``b``) or a pair of axis sequences."""
    try:
        iter(axes)
    except TypeError:
        count = operator.index(axes)
        axes_a, axes_b = list(range(-count, 0)), list(range(count))
    else:
        pair = list(axes)
        if len(pair) != 2:
            raise ValueError(
                f"tensordot: axes must be an int or a pair (axes of a, axes of b), got {axes!r}"
            )
        axes_a, axes_b = _axis_list(pair[0], "a"), _axis_list(pair[1], "b")
    if len(axes_a) != len(axes_b):
        raise ValueError(
            f"tensordot: shape-mismatch for sum: {len(axes_a)} axes of a {axes_a} but "
            f"{len(axes_b)} axes of b {axes_b}; give as many axes for each operand"
        )
    for name, given, shape in (("a", axes_a, shape_a), ("b", axes_b, shape_b)):
        for axis in given:
            if not -len(shape) <= axis < len(shape):
                raise IndexError(
                    f"tensordot: axis {axis} of {name} is out of range: {name} has shape {shape}"
                )
    axes_a = [axis % len(shape_a) for axis in axes_a]
    axes_b = [axis % len(shape_b) for axis in axes_b]
    for name, given in (("a", axes_a), ("b", axes_b)):
        if len(set(given)) != len(given):
            raise ValueError(f"tensordot: duplicate axes are not allowed: axes of {name} {given}")
    for i, j in zip(axes_a, axes_b, strict=True):
        if shape_a[i] != shape_b[j]:
            raise ValueError(
                f"tensordot: shape-mismatch for sum: a has shape {shape_a} and b has shape "
                f"{shape_b}; axis {i} of a ({shape_a[i]}) must equal axis {j} of b ({shape_b[j]})"
            )
    return axes_a, axes_b


def vdot_size(shape_a: Shape, shape_b: Shape) -> int:
    """Return the common size of ``vdot``'s flattened operands; `ValueError` if they differ."""
    size_a, size_b = int(np.prod(shape_a)), int(np.prod(shape_b))
    if size_a != size_b:
        raise ValueError(
            f"vdot: a has shape {shape_a} ({size_a} elements) and b has shape {shape_b} "
            f"({size_b} elements); vdot flattens both, so they need the same number of elements"
        )
    return size_a


def inner_shape(shape_a: Shape, shape_b: Shape) -> Shape:
    """Return the shape of ``inner(a, b)``; `ValueError` if the last axes differ in length."""
    if not shape_a or not shape_b:
        return shape_a or shape_b
    if shape_a[-1] != shape_b[-1]:
        raise ValueError(
            f"inner: a has shape {shape_a} and b has shape {shape_b}; their last axes "
            f"({shape_a[-1]} and {shape_b[-1]}) must have the same length"
        )
    return shape_a[:-1] + shape_b[:-1]


def vector_axis(func: str, axis: Any, argname: str, ndim: int) -> int:
    """``axis`` of operand ``argname`` made non-negative; `AxisError` if out of range."""
    index = operator.index(axis)
    if not -ndim <= index < ndim:
        raise np.exceptions.AxisError(
            f"{func}: axis {index} is out of bounds for {argname}, which has {ndim} dimensions"
        )
    return index % ndim


def gufunc_batch(func: str, shape1: Shape, shape2: Shape) -> Shape:
    """Return the result shape of ``vecdot``, ``matvec`` or ``vecmat`` (core axes last), checking
    the operands' dimensions, core lengths and batch broadcasting like NumPy's gufuncs."""
    needs = GUFUNC_CORES[func]
    for name, shape, need in (("x1", shape1, needs[0]), ("x2", shape2, needs[1])):
        if len(shape) < need:
            raise ValueError(
                f"{func}: {name} has shape {shape} but needs at least {need} dimension"
                f"{'s' if need > 1 else ''} ({'a matrix' if need == 2 else 'a vector'}); "
                "scalars are not allowed"
            )
    k1, k2 = shape1[-1], shape2[-1] if needs[1] == 1 else shape2[-2]
    if k1 != k2:
        where = "last axis" if needs[1] == 1 else "second-to-last axis"
        raise ValueError(
            f"{func}: x1 has shape {shape1} and x2 has shape {shape2}; x1's last axis ({k1}) "
            f"must equal x2's {where} ({k2})"
        )
    stacks = shape1[: len(shape1) - needs[0]], shape2[: len(shape2) - needs[1]]
    batch = broadcast_stacks(func, (shape1, shape2), stacks)
    rows = shape1[-2:-1] if needs[0] == 2 else ()  # a matrix keeps its other core axis
    return batch + rows + (shape2[-1:] if needs[1] == 2 else ())
