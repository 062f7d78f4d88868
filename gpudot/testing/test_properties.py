"""Property tests: random shapes, strides, layouts and dtypes against NumPy, on every backend."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gpudot
from gpudot.testing._inputs import make
from gpudot.testing._oracle import check
from gpudot.testing._strategies import dot_operands, draw_operands, matmul_operands

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(data=st.data(), shapes=matmul_operands())
def test_matmul_matches_numpy(backend, data, shapes):
    check(backend, "matmul", *draw_operands(data, backend, shapes))


@SETTINGS
@given(data=st.data(), shapes=dot_operands())
def test_dot_matches_numpy(backend, data, shapes):
    check(backend, "dot", *draw_operands(data, backend, shapes))


@pytest.mark.parametrize("func", ["dot", "matmul"])
@SETTINGS
@given(data=st.data())
def test_mismatched_contraction_raises_value_error(backend, func, data):
    k1 = data.draw(st.integers(1, 5))
    k2 = data.draw(st.integers(1, 5).filter(lambda k: k != k1))
    a, b = make((2, k1), "float64"), make((k2, 3), "float64")
    with pytest.raises(ValueError, match=f"{k1}.*{k2}"):
        getattr(gpudot, func)(a, b)
