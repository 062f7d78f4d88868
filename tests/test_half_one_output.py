"""float16 products with one output element: computed in float32 and rounded once.

CuPy 14.2 computes them as ``(a.ravel() * b.ravel()).sum()`` (``tensordot_core``'s
``m == 1 and n == 1``, cupy/_core/_routines_linalg.pyx): each product rounded to float16, so
``[300, 300] . [300, -300]`` is NaN there (inf - inf) and 0.0 in NumPy. The shared algorithms
(`gpudot._core.algorithms`) never hand CuPy such a product; the stand-in models CuPy's path, so
these tests fail over it if one slips through.
"""

from __future__ import annotations

import fakecupy
import numpy as np
import pytest

import gpudot
from gpudot._core import algorithms as _algorithms
from gpudot.backends.cupy._backend import CupyBackend
from gpudot.testing._inputs import hard_values
from gpudot.testing._oracle import check, check_bits

F16 = np.dtype(np.float16)
A, B = np.array([300, 300], F16), np.array([300, -300], F16)

#: (function, shape of a, shape of b): every shape whose product has one element, and the path
#: of `_algorithms` it takes (matmul with ndim <= 2, matmul batched, dot's tensordot).
ONE_OUTPUT = [
    ("matmul", (2,), (2,)),
    ("matmul", (1, 2), (2, 1)),
    ("matmul", (1, 2), (2,)),
    ("matmul", (2,), (2, 1)),
    ("matmul", (1, 1, 2), (2, 1)),
    ("dot", (2,), (2,)),
    ("dot", (1, 2), (2, 1)),
    ("dot", (1, 1, 2), (2,)),
    ("dot", (2,), (1, 2, 1)),
    ("dot", (1, 2), (1, 1, 2, 1)),
]


def _id(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape))


@pytest.fixture
def cuda():
    with fakecupy.simulate():
        backend = CupyBackend(module=fakecupy, name="cupy-standin")
        with gpudot.use_backend(backend):
            yield backend


@pytest.mark.parametrize("xp", [np, fakecupy], ids=["numpy", "cupy-standin"])
@pytest.mark.parametrize(
    ("func", "shape_a", "shape_b"),
    ONE_OUTPUT,
    ids=[f"{f}-{_id(a)}-{_id(b)}" for f, a, b in ONE_OUTPUT],
)
def test_shared_algorithms_cancel_300_squared(xp, func, shape_a, shape_b):
    a_host, b_host = A.reshape(shape_a), B.reshape(shape_b)
    with fakecupy.simulate():
        a, b = xp.asarray(a_host), xp.asarray(b_host)
        result = getattr(_algorithms, func)(xp, a, b, F16)
        host = fakecupy.asnumpy(result) if xp is fakecupy else np.asarray(result)
    expected = getattr(np, func)(a_host, b_host)
    assert host.dtype == F16 and host.shape == np.shape(expected)
    assert np.all(host == 0) and np.all(expected == 0)


def test_the_raw_standin_gives_cupys_nan():
    """Without gpudot the stand-in takes CuPy's float16 path, so the tests above can fail."""
    with fakecupy.simulate():
        a, b = fakecupy.asarray(A), fakecupy.asarray(B)
        assert np.isnan(fakecupy.asnumpy(fakecupy.dot(a, b)))
        assert np.isnan(fakecupy.asnumpy(fakecupy.matmul(a[None], b[:, None]))).all()


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("dot", (A, B)),
        ("matmul", (A, B)),
        ("matmul", (A[None], B[:, None])),
        ("vdot", (A, B)),
        ("inner", (A, B)),
        ("vecdot", (A, B)),
        ("tensordot", (A, B, 1)),
        ("matvec", (A[None], B)),
        ("vecmat", (A, B[:, None])),
    ],
    ids=lambda v: v if isinstance(v, str) else "-".join(_id(np.shape(x)) for x in v[:2]),
)
def test_every_family_product_cancels_300_squared(cuda, name, args):
    result = getattr(gpudot, name)(*args)
    host = cuda.to_numpy(result)
    assert host.dtype == F16 and np.all(host == 0)
    assert np.all(host == getattr(np, name)(*args))


@pytest.mark.parametrize("seed", range(3))
def test_long_random_dot_is_within_the_bound(cuda, seed):
    a = hard_values((4096,), F16, "normal", seed)
    b = hard_values((4096,), F16, "cancel", seed + 1)
    check(cuda, "dot", a, b)
    check(cuda, "vdot", a, b)
    check(cuda, "matmul", a[None], b[:, None])


def test_products_past_float16s_range_are_summed_in_float32(cuda):
    a = np.full(64, 1000, F16)  # 1000 * 1000 is inf in float16, 64e6 in float32
    b = np.where(np.arange(64) % 2, -1000, 1000).astype(F16)
    assert cuda.to_numpy(gpudot.dot(a, b)) == 0
    assert cuda.to_numpy(gpudot.dot(a, np.full(64, 1e-3, F16))) == np.dot(a, np.full(64, 1e-3, F16))


def test_dtype_argument_rounds_operands_to_float16_before_widening(cuda):
    """NumPy casts to float16 first: 1 + 2**-11 + 2**-20 becomes 1 + 2**-10, so the sum is 2**-10
    (float32 operands taken as they are would give about 2**-11)."""
    a = np.array([1 + 2.0**-11 + 2.0**-20, -1], np.float32)
    b = np.ones(2, np.float32)
    expected = np.matmul(a, b, dtype=F16)
    assert expected == 2.0**-10
    for x, y in [(a, b), (a[None], b[:, None])]:
        result = cuda.to_numpy(gpudot.matmul(x, y, dtype=F16))
        assert result.dtype == F16 and np.all(result == expected)


@pytest.mark.parametrize("dtype", ["int32", "uint64", "bool", "float16"])
def test_shared_algorithms_on_numpy_give_numpys_bits(dtype):
    """Over NumPy the shared algorithms are NumPy's own products (moved here from the tests of
    the removed on-device exact routes)."""
    a, b = hard_values((2, 9, 7), dtype, "random", 1), hard_values((7, 5), dtype, "random", 2)
    loop = np.result_type(a, b)
    assert _algorithms.matmul(np, a, b, loop).tobytes() == np.matmul(a, b).tobytes()
    assert _algorithms.dot(np, a, b, loop).tobytes() == np.dot(a, b).tobytes()


def test_other_float16_products_are_left_to_cupy(cuda, monkeypatch):
    """Products with several outputs are not widened: CuPy's GEMM accumulates in float32."""
    casts = []
    original = _algorithms._cast
    recorded = lambda xp, x, dtype: casts.append(dtype) or original(xp, x, dtype)  # noqa: E731
    monkeypatch.setattr(_algorithms, "_cast", recorded)
    a = hard_values((2, 8), F16, "normal", 1)
    check_bits(cuda, "matmul", a, a.T)
    assert np.dtype(np.float32) not in casts
    check_bits(cuda, "matmul", a[:1], a[1:].T)
    assert np.dtype(np.float32) in casts
