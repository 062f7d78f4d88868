"""Property tests of the product family: random shapes, axes, broadcasting and dtypes, on every
backend, against NumPy (or the NumPy 2.2 reference where NumPy lacks a function)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gpudot.testing._oracle import check
from gpudot.testing._strategies import draw_operands, tensordot_operands, vector_operands

SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(data=st.data(), operands=tensordot_operands())
def test_tensordot_matches_numpy(backend, data, operands):
    shape_a, shape_b, axes = operands
    check(backend, "tensordot", *draw_operands(data, backend, (shape_a, shape_b)), axes=axes)


@SETTINGS
@given(data=st.data(), func=st.sampled_from(["vecdot", "matvec", "vecmat"]))
def test_vector_products_match_numpy(backend, data, func):
    shape_a, shape_b, kwargs = data.draw(vector_operands(func), label="operands")
    check(backend, func, *draw_operands(data, backend, (shape_a, shape_b)), **kwargs)
