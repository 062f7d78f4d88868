"""Integer and bool products past CuPy's 32-bit index limit, over the stand-in with the limit
lowered: gpudot splits them (`gpudot._core.algorithms`, sized by `gpudot._core.tiling.index_blocks`)
so that each call of CuPy's integer kernel stays under it, with NumPy's bits."""

from __future__ import annotations

import fakecupy
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gpudot
from gpudot._core import tiling as _tiling
from gpudot.backends.cupy import _backend as _cupy

LIMIT = 64


@pytest.fixture
def lowered(standin, monkeypatch):
    """The stand-in's kernel and gpudot's split both at `LIMIT` elements per matrix."""
    monkeypatch.setattr(fakecupy._launch, "INTEGER_KERNEL_INDEX_LIMIT", LIMIT)
    monkeypatch.setattr(_cupy, "INTEGER_KERNEL_INDEX_LIMIT", LIMIT)
    return standin


def _operand(rng, shape, dtype):
    if dtype == "bool":
        return rng.random(shape) < 0.3
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)


CASES = [
    ("matmul", (20, 30), (30, 10)),  # 2-D: rows·k and rows·columns over the limit
    ("matmul", (3, 12, 9), (9, 14)),  # batched: per matrix
    ("matmul", (1, 12, 9), (4, 9, 14)),  # broadcast batch
    ("matmul", (100,), (100, 5)),  # k alone over the limit: the contracted axis is split
    ("matmul", (10, 100), (100,)),
    ("matmul", (200,), (200,)),
    ("matmul", (2, 3, 70), (2, 70, 2)),
    ("dot", (20, 30), (30, 10)),
    ("dot", (6, 10), (3, 10, 7)),  # tensordot: one (rows, k) @ (k, columns) call in CuPy
    ("dot", (4, 5, 10), (2, 10, 3)),
    ("dot", (100,), (2, 100, 3)),
    ("matmul", (0, 30), (30, 10)),
    ("dot", (5, 0), (3, 0, 70)),
]


@pytest.mark.parametrize("func, shape1, shape2", CASES)
@pytest.mark.parametrize("dtype", ["int8", "uint16", "int64", "bool"])
def test_products_past_the_limit_give_numpys_bits(lowered, func, shape1, shape2, dtype):
    rng = np.random.default_rng(sum(shape1) + sum(shape2))
    a, b = _operand(rng, shape1, dtype), _operand(rng, shape2, dtype)
    with gpudot.use_backend(lowered.backend):
        result = getattr(gpudot, func)(a, b)
    expected = getattr(np, func)(a, b)
    host = lowered.xp.asnumpy(result)
    assert host.dtype == expected.dtype and host.shape == expected.shape
    np.testing.assert_array_equal(host, expected)


def test_mixed_integer_dtypes_and_dtype_argument(lowered):
    rng = np.random.default_rng(1)
    a, b = _operand(rng, (20, 30), "int8"), _operand(rng, (30, 10), "uint8")
    with gpudot.use_backend(lowered.backend):
        mixed = lowered.xp.asnumpy(gpudot.matmul(a, b))
        wide = lowered.xp.asnumpy(gpudot.matmul(a, a.T, dtype=np.int32))
    np.testing.assert_array_equal(mixed, a @ b)
    np.testing.assert_array_equal(wide, np.matmul(a, a.T, dtype=np.int32))


def test_the_stand_in_kernel_faults_past_its_limit(lowered):
    """The test above can fail: CuPy's kernel itself, called past the limit, gives an illegal
    access (the stand-in's model of 32-bit indices overflowing)."""
    a = lowered.xp.asarray(np.ones((20, 30), np.int8))
    b = lowered.xp.asarray(np.ones((30, 2), np.int8))
    with pytest.raises(lowered.xp.cuda.runtime.CUDARuntimeError, match="IllegalAddress"):
        lowered.xp.matmul(a, b)
    small = lowered.xp.asarray(np.ones((2, 30), np.int8))
    np.testing.assert_array_equal(lowered.xp.asnumpy(lowered.xp.matmul(small, b)), 30)


def test_without_the_split_gpudot_would_reach_the_fault(standin, monkeypatch):
    monkeypatch.setattr(fakecupy._launch, "INTEGER_KERNEL_INDEX_LIMIT", LIMIT)
    with gpudot.use_backend(standin.backend):
        with pytest.raises(standin.xp.cuda.runtime.CUDARuntimeError, match="IllegalAddress"):
            gpudot.matmul(np.ones((20, 30), np.int8), np.ones((30, 2), np.int8))


def test_floats_are_not_split(lowered, monkeypatch):
    calls = []
    real = lowered.xp.matmul
    monkeypatch.setattr(lowered.xp, "matmul", lambda a, b: calls.append(1) or real(a, b))
    with gpudot.use_backend(lowered.backend):
        gpudot.matmul(np.ones((20, 30)), np.ones((30, 10)))
        assert len(calls) == 1
        gpudot.matmul(np.ones((20, 30), np.int8), np.ones((30, 10), np.int8))
    assert len(calls) > 2


sizes = st.integers(1, 2**33)


@given(m=sizes, n=sizes, k=sizes, limit=st.sampled_from([2, 3, 64, 1000, 2**31]))
def test_index_blocks_keep_every_matrix_under_the_limit(m, n, k, limit):
    rows, cols, depth = _tiling.index_blocks(m, n, k, limit)
    assert 1 <= rows <= m and 1 <= cols <= n and 1 <= depth <= k
    assert max(rows * depth, depth * cols, rows * cols) < limit
    assert depth == min(k, limit - 1)  # k is split only when it alone reaches the limit
    if max(m * k, k * n, m * n) < limit:
        assert (rows, cols, depth) == (m, n, k)
