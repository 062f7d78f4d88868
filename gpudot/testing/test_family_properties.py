"""Property tests of the product family: random shapes, axes, broadcasting and dtypes, on every
backend, against NumPy (or the NumPy 2.2 reference where NumPy lacks a function)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gpudot.testing._inputs import ALL_DTYPES, make, supported_among
from gpudot.testing.test_product_family import check
from gpudot.testing.test_properties import _broadcastable, _layout

SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
sides = st.integers(0, 4)


@st.composite
def tensordot_operands(draw: st.DrawFn) -> tuple[tuple[int, ...], tuple[int, ...], object]:
    """Shapes of ``a`` and ``b`` and an ``axes`` argument pairing some of their axes."""
    shape_a = tuple(draw(st.lists(sides, max_size=3)))
    free_b = draw(st.lists(sides, max_size=3))
    count = draw(st.integers(0, len(shape_a)))
    axes_a = draw(st.permutations(range(len(shape_a))))[:count]
    ndim_b = len(free_b) + count
    axes_b = draw(st.permutations(range(ndim_b)))[:count]
    shape_b = [0] * ndim_b
    for i, j in zip(axes_a, axes_b, strict=True):
        shape_b[j] = shape_a[i]
    rest = iter(free_b)
    shape_b = [shape_b[k] if k in axes_b else next(rest) for k in range(ndim_b)]
    if draw(st.booleans()):  # the same axes, counted from the end
        axes_a = [i - len(shape_a) for i in axes_a]
        axes_b = [j - ndim_b for j in axes_b]
    return shape_a, tuple(shape_b), (list(axes_a), list(axes_b))


@st.composite
def vector_operands(
    draw: st.DrawFn, func: str
) -> tuple[tuple[int, ...], tuple[int, ...], dict[str, int]]:
    """Shapes for ``vecdot`` (random ``axis``), ``matvec`` or ``vecmat``; batches broadcast."""
    n, m = draw(sides), draw(sides)
    batch = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    batch1, batch2 = _broadcastable(draw, batch), _broadcastable(draw, batch)
    if func == "matvec":
        return (*batch1, m, n), (*batch2, n), {}
    if func == "vecmat":
        return (*batch1, n), (*batch2, n, m), {}
    axis = draw(st.integers(-1 - min(len(batch1), len(batch2)), -1))
    shapes = []
    for b in (batch1, batch2):
        core = len(b) + 1 + axis
        shapes.append((*b[:core], n, *b[core:]))
    return shapes[0], shapes[1], {"axis": axis}


def _run(backend, data, func, shape_a, shape_b, kwargs) -> None:
    dtypes = supported_among(backend, ALL_DTYPES)
    dtype1 = data.draw(st.sampled_from(dtypes), label="dtype1")
    dtype2 = data.draw(st.sampled_from([dtype1, *dtypes]), label="dtype2")
    seed = data.draw(st.integers(0, 2**16), label="seed")
    a = _layout(data, make(shape_a, dtype1, seed)) if shape_a else make(shape_a, dtype1, seed)
    b = (
        _layout(data, make(shape_b, dtype2, seed + 1))
        if shape_b
        else make(shape_b, dtype2, seed + 1)
    )
    check(backend, func, a, b, **kwargs)


@SETTINGS
@given(data=st.data(), operands=tensordot_operands())
def test_tensordot_matches_numpy(backend, data, operands):
    shape_a, shape_b, axes = operands
    _run(backend, data, "tensordot", shape_a, shape_b, {"axes": axes})


@SETTINGS
@given(data=st.data(), func=st.sampled_from(["vecdot", "matvec", "vecmat"]))
def test_vector_products_match_numpy(backend, data, func):
    shape_a, shape_b, kwargs = data.draw(vector_operands(func), label="operands")
    _run(backend, data, func, shape_a, shape_b, kwargs)
