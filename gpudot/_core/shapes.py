"""The shape rules of ``dot`` and ``matmul``, written once.

``matmul`` is NumPy's gufunc ``(n?,k),(k,m?)->(n?,m?)``: a 1-D operand lacks its ``n`` or ``m``
axis, and the stacks of matrices in front broadcast. ``dot`` is ``tensordot`` over the last axis
of ``a`` and the second-to-last of ``b`` (its only axis when 1-D); a 0-d operand multiplies
elementwise. From these follow the contracted length, whether two shapes multiply, the broadcast
of their stacks, the result's shape and the (m, n, k, batch) sizes a cost model reads.

`matmul_shape` and `dot_shape` raise NumPy's exception type, `ValueError`, with a message naming
the operands and the fix; the others answer quietly (``False``, ``None``) for callers that leave
a refusal to NumPy.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "Shape",
    "Sizes",
    "broadcast_batch",
    "broadcast_stacks",
    "contracted",
    "dot_shape",
    "dot_sizes",
    "matmul_shape",
    "matmul_sizes",
    "multiplies",
]

Shape = tuple[int, ...]
#: (m, n, k, batch) of a (batch of) (m, k) @ (k, n) product.
Sizes = tuple[int, int, int, int]


def contracted(shape: Shape) -> int:
    """Length of the axis the second operand contracts: its second-to-last, or its only one."""
    return shape[-2] if len(shape) >= 2 else shape[-1]


def multiplies(shape1: Shape, shape2: Shape) -> bool:
    """Whether neither operand is 0-d and ``shape1``'s last axis meets ``shape2``'s contracted
    one (``matmul``'s stacks must also broadcast: `broadcast_batch`)."""
    return bool(shape1) and bool(shape2) and shape1[-1] == contracted(shape2)


def broadcast_batch(left: Shape, right: Shape) -> Shape:
    """The broadcast of two stack shapes (cheap when one is empty or both agree, the common
    cases); NumPy's `ValueError` where they do not broadcast."""
    if not left or left == right:
        return right
    return left if not right else np.broadcast_shapes(left, right)


def broadcast_stacks(func: str, shapes: tuple[Shape, Shape], stacks: tuple[Shape, Shape]) -> Shape:
    """`broadcast_batch` of the stacks of ``func``'s operands (of ``shapes``; the family's
    gufuncs share the rule); `ValueError` naming both shapes where the stacks do not broadcast."""
    try:
        return broadcast_batch(*stacks)
    except ValueError:
        raise ValueError(
            f"{func}: x1 has shape {shapes[0]} and x2 has shape {shapes[1]}; their batch "
            f"dimensions {stacks[0]} and {stacks[1]} cannot be broadcast together."
        ) from None


def _contraction_error(func: str, names: tuple[str, str], shape1: Shape, shape2: Shape) -> str:
    """Why ``shape1``'s last axis does not meet ``shape2``'s contracted one, with the fix."""
    n1, n2 = names
    where = "second-to-last axis" if len(shape2) >= 2 else "only axis"
    return (
        f"{func}: {n1} has shape {shape1} and {n2} has shape {shape2}; "
        f"{n1}'s last axis ({shape1[-1]}) must equal {n2}'s {where} ({contracted(shape2)}). "
        "Check the operand order or transpose one operand."
    )


def matmul_shape(shape1: Shape, shape2: Shape) -> Shape:
    """Return the shape of ``matmul(x1, x2)``; raise `ValueError` as NumPy does if there is none."""
    if not multiplies(shape1, shape2):
        for name, shape in (("x1", shape1), ("x2", shape2)):
            if not shape:
                raise ValueError(
                    f"matmul: {name} is 0-d (a scalar); matmul needs operands with at least one "
                    "dimension. Use multiply (*) for scalars, or dot, which accepts them."
                )
        raise ValueError(_contraction_error("matmul", ("x1", "x2"), shape1, shape2))
    batch = broadcast_stacks("matmul", (shape1, shape2), (shape1[:-2], shape2[:-2]))
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
    if not multiplies(shape1, shape2):
        raise ValueError(_contraction_error("dot", ("a", "b"), shape1, shape2))
    return shape1[:-1] + shape2[:-2] + shape2[-1:] if len(shape2) >= 2 else shape1[:-1]


def matmul_sizes(shape1: Shape, shape2: Shape) -> Sizes | None:
    """(m, n, k, batch) of ``matmul``, or None where it has no result (`matmul_shape` says why)."""
    if not multiplies(shape1, shape2):
        return None
    try:
        batch = math.prod(broadcast_batch(shape1[:-2], shape2[:-2]))
    except ValueError:
        return None
    m = shape1[-2] if len(shape1) >= 2 else 1
    n = shape2[-1] if len(shape2) >= 2 else 1
    return m, n, shape1[-1], batch


def dot_sizes(shape1: Shape, shape2: Shape) -> Sizes | None:
    """(m, n, k, 1) of ``dot`` as one matrix product (``a``'s free axes are its rows, ``b``'s its
    columns), or None for a 0-d operand or mismatched shapes."""
    if not multiplies(shape1, shape2):
        return None
    n = math.prod(shape2[:-2]) * shape2[-1] if len(shape2) >= 2 else 1
    return math.prod(shape1[:-1]), n, shape1[-1], 1
