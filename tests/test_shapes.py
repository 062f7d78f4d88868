"""The shape rules of dot and matmul (gpudot._core.shapes) against NumPy: result shape, whether
a product exists, and its (m, n, k, batch) sizes, on every small pair of shapes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gpudot._core import shapes

SHAPES = st.lists(st.integers(0, 3), max_size=4).map(tuple)
SETTINGS = settings(max_examples=300, deadline=None)


def _numpy_shape(func: str, shape1: tuple[int, ...], shape2: tuple[int, ...]) -> tuple | None:
    """NumPy's result shape for operands of these shapes, or None where it raises ValueError."""
    a, b = np.broadcast_to(np.ones(()), shape1), np.broadcast_to(np.ones(()), shape2)
    try:
        return np.shape(getattr(np, func)(a, b))
    except ValueError:
        return None


@SETTINGS
@given(shape1=SHAPES, shape2=SHAPES)
def test_matmul_shape_and_sizes_are_numpys(shape1, shape2):
    expected = _numpy_shape("matmul", shape1, shape2)
    sizes = shapes.matmul_sizes(shape1, shape2)
    if expected is None:
        with pytest.raises(ValueError, match="^matmul: x"):
            shapes.matmul_shape(shape1, shape2)
        assert sizes is None
        return
    assert shapes.matmul_shape(shape1, shape2) == expected
    assert sizes is not None
    m, n, k, batch = sizes
    assert m * n * batch == math.prod(expected) and k == shape1[-1]


@SETTINGS
@given(shape1=SHAPES, shape2=SHAPES)
def test_dot_shape_and_sizes_are_numpys(shape1, shape2):
    expected = _numpy_shape("dot", shape1, shape2)
    if expected is None:
        with pytest.raises(ValueError, match="^dot: a has shape"):
            shapes.dot_shape(shape1, shape2)
        assert shapes.dot_sizes(shape1, shape2) is None
        return
    assert shapes.dot_shape(shape1, shape2) == expected
    sizes = shapes.dot_sizes(shape1, shape2)
    if not shape1 or not shape2:  # elementwise: not a matrix product
        assert sizes is None
    else:
        m, n, k, batch = sizes
        assert (m * n, k, batch) == (math.prod(expected), shape1[-1], 1)


@pytest.mark.parametrize(
    ("shape", "length"), [((5,), 5), ((5, 2), 5), ((4, 5, 2), 5)], ids=["1-D", "2-D", "3-D"]
)
def test_the_second_operand_contracts_its_second_to_last_or_only_axis(shape, length):
    assert shapes.contracted(shape) == length


@pytest.mark.parametrize(
    ("func", "shape1", "shape2"),
    [("matmul", (2, 3, 2), (4, 2, 2)), ("vecdot", (2, 3), (4, 3))],
    ids=["matmul", "vecdot"],
)
def test_stacks_that_do_not_broadcast_are_named_with_both_shapes(func, shape1, shape2):
    stacks = shape1[: -2 if func == "matmul" else -1], shape2[: -2 if func == "matmul" else -1]
    message = (
        f"{func}: x1 has shape {shape1} and x2 has shape {shape2}; their batch dimensions "
        f"{stacks[0]} and {stacks[1]} cannot be broadcast together."
    )
    with pytest.raises(ValueError) as error:
        shapes.broadcast_stacks(func, (shape1, shape2), stacks)
    assert str(error.value) == message
