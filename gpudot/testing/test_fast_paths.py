"""Exact fast routes (integers, bool, float16, bfloat16): the same bits as NumPy, on every backend.

The routes act on the NumPy backend; on other backends these tests check the same NumPy results.
Route functions are also checked one by one against NumPy, so every route is exercised whatever
the cost rule picks on this machine.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import gpudot
from gpudot._exact import _integer, _routing
from gpudot.testing import assert_matches_numpy
from gpudot.testing._inputs import make, supported

INTS = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")


def extremes(shape: tuple[int, ...], dtype: str, seed: int) -> dict[str, np.ndarray]:
    """Value families that break inexact routes: full range, min/max, all-ones, alternating."""
    info = np.iinfo(dtype)
    alternating = np.where(np.indices(shape).sum(axis=0) % 2 == 0, info.max, info.min)
    return {
        "random": make(shape, dtype, seed),
        "min": np.full(shape, info.min, dtype),
        "max": np.full(shape, info.max, dtype),
        "ones": np.full(shape, -1 if info.min < 0 else 1, dtype),
        "alternating": alternating.astype(dtype),
        "small": (make(shape, dtype, seed) % 7).astype(dtype),
    }


def both(backend, func, a, b, **kwargs):
    expected = getattr(np, func)(a, b, **kwargs)
    copies = a.copy(), b.copy()
    result = getattr(gpudot, func)(a, b, **kwargs)
    assert_matches_numpy(result, expected, backend)
    assert np.array_equal(a, copies[0]) and np.array_equal(b, copies[1])


@pytest.mark.parametrize("left, right", list(itertools.product(INTS, INTS)))
def test_every_integer_pair(backend, left, right):
    if not supported(backend, left, right):
        pytest.skip(f"{backend.name} does not support {left} x {right}")
    a, b = make((40, 33), left, 1), make((33, 30), right, 2)
    both(backend, "matmul", a, b)
    both(backend, "dot", a, b)


@pytest.mark.parametrize("dtype", INTS)
@pytest.mark.parametrize("k", [1, 31, 200])
def test_integer_extremes_every_route(dtype, k):
    """Each integer route alone, against np.matmul, on values that overflow."""
    for name, a in extremes((17, k), dtype, 3).items():
        b = extremes((k, 19), dtype, 4)[name]
        expected = np.matmul(a, b)
        sa, sb = _integer.signed_view(a), _integer.signed_view(b)
        assert np.array_equal(_integer.einsum_matmul(np, sa, sb).view(a.dtype), expected), name
        if dtype not in ("int8", "uint8"):
            limbs = _integer.limb_gemm(np, sa, sb, _routing.LIMB_BITS, 8 * a.dtype.itemsize, sa.dtype)
            assert np.array_equal(limbs.view(a.dtype), expected), name
        ftype = _integer.exact_float(k * _integer.magnitude(np, sa) * _integer.magnitude(np, sb))
        if ftype is not None:
            result = _integer.float_gemm(np, sa, sb, ftype, sa.dtype)
            assert np.array_equal(result.view(a.dtype), expected), name
