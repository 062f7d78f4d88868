"""The numba wrapping integer kernels and their "simd" route: NumPy's bits, wraparound included.

NumPy is the oracle. Shapes straddle the register tile (`INTEGER_TILE` rows, 4 vectors of
columns), the panel width, the k block and the serial/parallel threshold; values include the
extremes, where every partial sum wraps.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from integer_operands import LAYOUTS, laid_out, operand

from gpudot._tuning import INTEGER_PARALLEL_MIN_WORK
from gpudot.backends.numpy._exact import _cost_rule as _routing
from gpudot.backends.numpy._exact import _integer
from gpudot.backends.numpy._kernels import _load as _numba_kernels
from gpudot.testing._oracle import check_bits

DTYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]
SHAPES = [
    (6, 64, 64),  # one full int8/int16 tile column block, one tile of rows
    (5, 7, 3),  # below a tile: the plain loop only
    (7, 257, 65),  # k block + 1, tile rows + 1, int32 tile columns + 1
    (13, 1, 200),
    (1, 300, 1),
    (97, 513, 131),
    (200, 40, 300),  # more than one panel
]


@pytest.fixture
def kernels():
    numba_kernels = pytest.importorskip("numba") and _numba_kernels.kernels("integer")
    if numba_kernels is None:
        pytest.skip("numba kernels switched off")
    return numba_kernels


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("family", ["random", "min", "max", "mixed"])
def test_kernel_bits(kernels, dtype, shape, family):
    m, k, n = shape
    a, b = operand((m, k), dtype, family, 1), operand((k, n), dtype, family, 2)
    result = _integer.compiled_matmul(a, b, a.dtype)
    expected = np.matmul(a, b)
    assert result.dtype == expected.dtype and result.shape == expected.shape
    assert np.array_equal(result, expected)


@pytest.mark.parametrize("dtype", ["int32", "int64"])
def test_wraparound_large_k(kernels, dtype):
    """k = 3000 products of INT_MIN * INT_MIN and INT_MAX * INT_MIN: the sums wrap many times."""
    info = np.iinfo(dtype)
    a = np.full((8, 3000), info.min, dtype)
    a[1::2] = info.max
    b = np.full((3000, 70), info.min, dtype)
    b[:, ::3] = info.max
    assert np.array_equal(_integer.compiled_matmul(a, b, a.dtype), np.matmul(a, b))


@pytest.mark.parametrize("dtype", ["int32", "uint64"])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_layouts_and_batches(kernels, dtype, layout):
    a, b = laid_out(layout, dtype, dtype)
    expected = np.matmul(a, b)
    assert np.array_equal(_integer.compiled_matmul(a, b, np.dtype(dtype)), expected)


@pytest.mark.parametrize("shape", [(0, 5, 4), (4, 0, 5), (4, 5, 0), (0, 0, 0)])
def test_zero_size(kernels, shape):
    m, k, n = shape
    a, b = np.ones((m, k), np.int64), np.ones((k, n), np.int64)
    result = _integer.compiled_matmul(a, b, a.dtype)
    assert result.shape == (m, n) and np.array_equal(result, np.matmul(a, b))


@pytest.mark.parametrize("k", [1, 2])  # 2000 * 1000 * k straddles INTEGER_PARALLEL_MIN_WORK
def test_parallel_threshold(kernels, k):
    assert 2000 * 1000 < INTEGER_PARALLEL_MIN_WORK <= 2000 * 1000 * 2
    a, b = operand((2000, k), "int32", "random", 5), operand((k, 1000), "int32", "random", 6)
    assert np.array_equal(_integer.compiled_matmul(a, b, a.dtype), np.matmul(a, b))


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("m", [1, 95, 97, 300])
def test_threaded_kernel_takes_every_task_once(kernels, m, threads):
    """The threaded build, its loops taking tasks from one counter, computes every (row block,
    panel) task exactly once at any number of loops (more loops than threads included)."""
    a, b = operand((m, 40), "int32", "random", m), operand((40, 300), "int32", "mixed", m)
    width = kernels.panel_width(4)
    panels = np.zeros((1, -(-300 // width), 40, width), np.uint32)
    for p in range(panels.shape[1]):
        block = b.view(np.uint32)[:, p * width : (p + 1) * width]
        panels[0, p, :, : block.shape[1]] = block
    c = np.zeros((1, m, 300), np.uint32)
    kernels.wrapping_matmul(a.view(np.uint32)[None], panels, c, threads)
    np.testing.assert_array_equal(c[0].view(np.int32), np.matmul(a, b))


@settings(max_examples=60, deadline=None)
@given(
    m=st.integers(0, 40),
    k=st.integers(0, 300),
    n=st.integers(0, 150),
    batch=st.sampled_from([(), (1,), (3,)]),
    dtype=st.sampled_from(DTYPES),
    seed=st.integers(0, 2**16),
)
def test_kernel_hypothesis(m, k, n, batch, dtype, seed):
    pytest.importorskip("numba")
    if _numba_kernels.kernels("integer") is None:
        pytest.skip("numba kernels switched off")
    a = operand(batch + (m, k), dtype, "random", seed)
    b = operand((k, n), dtype, "random", seed + 1)
    assert np.array_equal(_integer.compiled_matmul(a, b, a.dtype), np.matmul(a, b))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("func", ["matmul", "dot"])
def test_route_end_to_end(backend, numba_mode, dtype, func):
    """512 x 256 x 384 full range through the NumPy backend; stacks and N-D dot too."""
    a, b = operand((200, 256), dtype, "random", 7), operand((256, 384), dtype, "random", 8)
    check_bits(backend, func, a, b)
    check_bits(backend, func, operand((3, 64, 256), dtype, "mixed", 9), b[None, :, :130])
    if func == "dot":
        check_bits(backend, "dot", a, operand((2, 256, 130), dtype, "random", 10))


def test_route_choice(numba_mode):
    """The rule picks "simd" for square int32/int64 only with numba, and never off NumPy."""
    for dtype in ("int32", "int64"):
        cost = _routing.product_cost(np.dtype(dtype), 512, 512, 512)
        assert (cost.route == "simd") == (numba_mode == "numba")
        costs, _ = _routing.integer_costs(np.dtype(dtype), 1, 512, 512, 512, 512**2, 512**2)
        assert "simd" not in costs  # compiled=False: what a non-NumPy namespace gets
