"""Hypothesis strategies of the conformance suite: shapes, layouts and operands drawn for a backend.

Shapes stay small (sides up to `MAX_SIDE`) so that every example is cheap on every backend; the
dtypes drawn are the ones the backend declares (`gpudot.testing._inputs.supported_among`), so no
example passes without asserting.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from gpudot.testing._inputs import ALL_DTYPES, hard_values, make, supported_among

__all__ = [
    "MAX_SIDE",
    "broadcastable",
    "dot_operands",
    "draw_hard_operands",
    "draw_operands",
    "layout",
    "matmul_operands",
    "tensordot_operands",
    "vector_operands",
]

#: Longest axis drawn.
MAX_SIDE = 5
sides = st.integers(0, MAX_SIDE)


def layout(data: st.DataObject, x: np.ndarray) -> np.ndarray:
    """``x`` with the same values in a random memory layout: C, Fortran, strided or reversed."""
    kind = data.draw(st.sampled_from(["c", "fortran", "strided", "reversed"]))
    if kind == "fortran":
        return np.asfortranarray(x)
    if kind == "strided":
        return np.repeat(x, 2, axis=-1)[..., ::2]
    if kind == "reversed":
        return np.flip(np.flip(x).copy())
    return x


def broadcastable(draw: st.DrawFn, batch: tuple[int, ...]) -> tuple[int, ...]:
    """A batch shape that broadcasts to ``batch``: leading axes dropped, some axes set to 1."""
    kept = batch[draw(st.integers(0, len(batch))) :]
    return tuple(1 if draw(st.booleans()) else side for side in kept)


@st.composite
def matmul_operands(draw: st.DrawFn) -> tuple[tuple[int, ...], tuple[int, ...]]:
    n, k, m = draw(sides), draw(sides), draw(sides)
    batch = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    batch1, batch2 = broadcastable(draw, batch), broadcastable(draw, batch)
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
    batch1, batch2 = broadcastable(draw, batch), broadcastable(draw, batch)
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


def draw_operands(
    data: st.DataObject, backend: object, shapes: tuple[tuple[int, ...], tuple[int, ...]]
) -> tuple[np.ndarray, np.ndarray]:
    """Two operands of ``shapes`` in dtypes ``backend`` declares, each in a random layout."""
    dtypes = supported_among(backend, ALL_DTYPES)
    dtype1 = data.draw(st.sampled_from(dtypes), label="dtype1")
    dtype2 = data.draw(st.sampled_from([dtype1, *dtypes]), label="dtype2")
    seed = data.draw(st.integers(0, 2**16), label="seed")
    a, b = make(shapes[0], dtype1, seed), make(shapes[1], dtype2, seed + 1)
    return (layout(data, a) if a.ndim else a), (layout(data, b) if b.ndim else b)


def draw_hard_operands(
    data: st.DataObject,
    backend: object,
    shapes: tuple[tuple[int, ...], tuple[int, ...]],
    dtypes: tuple[str, ...],
    families: tuple[str, ...],
    result_kinds: str = "biufc",
) -> tuple[np.ndarray, np.ndarray]:
    """`hard_values` operands of ``families``, in dtypes ``backend`` declares among ``dtypes``
    whose result dtype is of ``result_kinds``, each in a random layout."""
    declared = supported_among(backend, dtypes)
    dtype1 = data.draw(st.sampled_from(declared), label="dtype1")
    pairs = [d for d in declared if np.result_type(dtype1, d).kind in result_kinds]
    dtype2 = data.draw(st.sampled_from(pairs), label="dtype2")
    family = data.draw(st.sampled_from(families), label="family")
    seed = data.draw(st.integers(0, 2**16), label="seed")
    a = layout(data, hard_values(shapes[0], dtype1, family, seed))
    b = layout(data, hard_values(shapes[1], dtype2, family, seed + 1))
    return a, b
