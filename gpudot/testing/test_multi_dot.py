"""Conformance of ``gpudot.linalg.multi_dot`` with ``numpy.linalg.multi_dot``, on every backend."""

from __future__ import annotations

import numpy as np
import pytest

import gpudot
from gpudot.linalg import chain_order
from gpudot.testing import assert_matches_numpy, assert_raises_like_numpy
from gpudot.testing._inputs import ALL_DTYPES, make, supported


def brute_force_cost(dims: tuple[int, ...], i: int, j: int) -> int:
    """Fewest multiply-adds for matrices ``i..j``, trying every parenthesization."""
    if i == j:
        return 0
    return min(
        brute_force_cost(dims, i, k)
        + brute_force_cost(dims, k + 1, j)
        + dims[i] * dims[k + 1] * dims[j + 1]
        for k in range(i, j)
    )


def order_cost(dims: tuple[int, ...], order) -> tuple[int, int, int]:
    """Multiply-adds of evaluating ``order``, counted independently: (cost, rows, columns)."""
    if isinstance(order, int):
        return 0, dims[order], dims[order + 1]
    left, rows, inner = order_cost(dims, order[0])
    right, inner2, cols = order_cost(dims, order[1])
    assert inner == inner2
    return left + right + rows * inner * cols, rows, cols


def leaves(order) -> list[int]:
    return [order] if isinstance(order, int) else leaves(order[0]) + leaves(order[1])


def chain_bound(arrays: list[np.ndarray], dtype: np.dtype) -> np.ndarray:
    """Allowed |difference| between two evaluation orders of a float chain in ``dtype``."""
    k = sum(x.shape[0] for x in arrays[1:]) * (2 if dtype.kind == "c" else 1)
    magnitude = np.abs(np.linalg.multi_dot([np.abs(x.astype(np.complex128)) for x in arrays]))
    return (2 * k + len(arrays)) * np.finfo(dtype).eps * magnitude + np.finfo(dtype).tiny


def check(backend, arrays, **kwargs):
    expected = np.linalg.multi_dot(arrays, **kwargs)
    copies = [x.copy() for x in arrays]
    result = gpudot.linalg.multi_dot(arrays, **kwargs)
    dtype = np.asarray(expected).dtype
    squared = [x[None, :] if i == 0 and x.ndim == 1 else x for i, x in enumerate(arrays)]
    squared[-1] = squared[-1][:, None] if squared[-1].ndim == 1 else squared[-1]
    bound = chain_bound(squared, dtype).reshape(np.shape(expected)) if dtype.kind in "fc" else None
    assert_matches_numpy(result, expected, backend, bound=bound)
    for x, copy in zip(arrays, copies, strict=True):
        np.testing.assert_array_equal(x, copy)
    return result


# --- the order -----------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(40))
def test_chosen_order_is_the_cheapest(seed):
    rng = np.random.default_rng(seed)
    dims = tuple(int(d) for d in rng.integers(1, 60, size=rng.integers(3, 9)))
    cost, order = chain_order(dims)
    assert cost == brute_force_cost(dims, 0, len(dims) - 2)
    assert order_cost(dims, order)[0] == cost
    assert leaves(order) == list(range(len(dims) - 1))


def test_textbook_chain_saves_a_factor_of_100():
    # A 10x1000, B 1000x10, C 10x1000: (A B) C = 200,000 multiply-adds, A (B C) = 20,000,000.
    assert chain_order((10, 1000, 10, 1000)) == (200_000, ((0, 1), 2))


def test_ties_pick_numpys_order():
    # NumPy keeps the first cheapest split, A (B C), for an all-square chain; so does gpudot.
    assert chain_order((2, 2, 2, 2)) == (16, (0, (1, 2)))


# --- values ------------------------------------------------------------------------------------

CHAINS = [
    [(3, 4), (4, 5)],
    [(10, 30), (30, 5), (5, 60)],
    [(4,), (4, 6), (6, 3), (3, 2)],
    [(5, 2), (2, 7), (7,)],
    [(6,), (6, 3), (3,)],
    [(2, 9), (9, 3), (3, 8), (8, 4), (4, 5)],
    [(0, 3), (3, 4), (4, 2)],
    [(3, 0), (0, 4), (4, 2)],
]


def chain_id(chain):
    return "-".join("x".join(map(str, shape)) for shape in chain)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("chain", CHAINS, ids=chain_id)
def test_matches_numpy(backend, chain, dtype):
    if not supported(backend, dtype):
        pytest.skip(f"{backend.name} does not support {dtype}")
    check(backend, [make(shape, dtype, seed=i) for i, shape in enumerate(chain)])


def test_mixed_dtypes_promote_like_numpy(backend):
    check(
        backend, [make((3, 4), "int8", 1), make((4, 5), "float32", 2), make((5, 2), "complex64", 3)]
    )


def test_non_contiguous_inputs(backend):
    if not backend.memory_layout:
        pytest.skip(f"{backend.name} arrays have no memory layout")
    a = np.asfortranarray(make((6, 4), "float64", 1))
    b = make((8, 6), "float64", 2)[::2, ::-1]
    c = make((3, 6), "int32", 3).T
    check(backend, [a, b, c])


def test_out_receives_the_last_product(backend):
    arrays = [make((4, 5), "float64", 1), make((5, 3), "float64", 2), make((3, 6), "float64", 3)]
    expected = np.linalg.multi_dot(arrays)
    out = backend.from_host(np.zeros((4, 6)))
    result = gpudot.linalg.multi_dot(arrays, out=out)
    assert result is out
    assert_matches_numpy(out, expected, backend, bound=chain_bound(arrays, np.dtype("float64")))


# --- bad arguments -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shapes",
    [
        [(3, 4)],
        [],
        [(3, 4), (5, 6), (6, 2)],
        [(3, 4), (4, 5), (4, 2)],
        [(3, 4), (4, 5, 2), (2, 3)],
        [(3, 4, 2), (2, 5), (5, 3)],
        [(3,), (4, 5), (5, 2)],
    ],
    ids=chain_id,
)
def test_bad_chains_raise_like_numpy(backend, shapes):
    arrays = [np.ones(shape) for shape in shapes]
    message = assert_raises_like_numpy(
        lambda: np.linalg.multi_dot(arrays), lambda: gpudot.linalg.multi_dot(arrays)
    )
    assert "multi_dot" in message or "dot" in message


def test_inner_non_2d_raises_linalg_error(backend):
    arrays = [np.ones((3, 4)), np.ones((4, 5, 2)), np.ones((2, 3))]
    with pytest.raises(np.linalg.LinAlgError, match=r"arrays\[1\] is 3-dimensional"):
        gpudot.linalg.multi_dot(arrays)


def test_bad_out_raises_like_numpy_and_is_untouched(backend):
    if backend.name != "numpy":
        pytest.skip("out= of another kind is covered by dot's own out= tests")
    arrays = [np.ones((4, 5)), np.ones((5, 3)), np.ones((3, 6))]
    out = np.full((4, 5), 7.0)
    assert_raises_like_numpy(
        lambda: np.linalg.multi_dot(arrays, out=out),
        lambda: gpudot.linalg.multi_dot(arrays, out=out),
    )
    assert (out == 7.0).all()
