"""Property tests: random shapes, strides, layouts and dtypes against NumPy, on every backend."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gpudot
from gpudot.testing import assert_matches_numpy
from gpudot.testing._inputs import ALL_DTYPES, make, supported_among
from gpudot.testing._oracle import error_bound

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
sides = st.integers(0, 5)


def _layout(data: st.DataObject, x: np.ndarray) -> np.ndarray:
    """``x`` with the same values in a random memory layout: C, Fortran, strided or reversed."""
    kind = data.draw(st.sampled_from(["c", "fortran", "strided", "reversed"]))
    if kind == "fortran":
        return np.asfortranarray(x)
    if kind == "strided":
        return np.repeat(x, 2, axis=-1)[..., ::2]
    if kind == "reversed":
        return np.flip(np.flip(x).copy())
    return x


def _broadcastable(draw: st.DrawFn, batch: tuple[int, ...]) -> tuple[int, ...]:
    """A batch shape that broadcasts to ``batch``: leading axes dropped, some axes set to 1."""
    kept = batch[draw(st.integers(0, len(batch))) :]
    return tuple(1 if draw(st.booleans()) else side for side in kept)


@st.composite
def matmul_operands(draw: st.DrawFn) -> tuple[tuple[int, ...], tuple[int, ...]]:
    n, k, m = draw(sides), draw(sides), draw(sides)
    batch = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    batch1, batch2 = _broadcastable(draw, batch), _broadcastable(draw, batch)
    shape1 = (k,) if not batch1 and draw(st.booleans()) else (*batch1, n, k)
    shape2 = (k,) if not batch2 and draw(st.booleans()) else (*batch2, k, m)
    return shape1, shape2


@st.composite
def dot_operands(draw: st.DrawFn) -> tuple[tuple[int, ...], tuple[int, ...]]:
    k = draw(sides)
    lead1 = tuple(draw(st.lists(sides, max_size=2)))
    lead2 = tuple(draw(st.lists(sides, max_size=2)))
    shape1 = (*lead1, k)
    shape2 = (k,) if draw(st.booleans()) else (*lead2[:-1], k, draw(sides))
    return shape1, shape2


def _run(backend, data, numpy_func, gpudot_func, shapes) -> None:
    dtypes = supported_among(backend, ALL_DTYPES)
    dtype1 = data.draw(st.sampled_from(dtypes), label="dtype1")
    dtype2 = data.draw(st.sampled_from([dtype1, *dtypes]), label="dtype2")
    seed = data.draw(st.integers(0, 2**16), label="seed")
    a = _layout(data, make(shapes[0], dtype1, seed))
    b = _layout(data, make(shapes[1], dtype2, seed + 1))
    expected = numpy_func(a, b)
    dtype = np.asarray(expected).dtype
    bound = error_bound(numpy_func, a, b, dtype) if dtype.kind in "fc" else None
    assert_matches_numpy(gpudot_func(a, b), expected, backend, bound=bound)


@SETTINGS
@given(data=st.data(), shapes=matmul_operands())
def test_matmul_matches_numpy(backend, data, shapes):
    _run(backend, data, np.matmul, gpudot.matmul, shapes)


@SETTINGS
@given(data=st.data(), shapes=dot_operands())
def test_dot_matches_numpy(backend, data, shapes):
    _run(backend, data, np.dot, gpudot.dot, shapes)


@pytest.mark.parametrize("func", ["dot", "matmul"])
@SETTINGS
@given(data=st.data())
def test_mismatched_contraction_raises_value_error(backend, func, data):
    k1, k2 = data.draw(st.integers(1, 5)), data.draw(st.integers(1, 5))
    if k1 == k2:
        return
    a, b = make((2, k1), "float64"), make((k2, 3), "float64")
    with pytest.raises(ValueError, match=f"{k1}.*{k2}"):
        getattr(gpudot, func)(a, b)
