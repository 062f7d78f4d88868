"""The compiled matrix·vector kernels give NumPy's bits for every dtype, with and without numba.

NumPy is the oracle. Products go through gpudot (which picks the kernel from `MATVEC_MIN_WORK`
multiply-adds when numba is there) and, with numba, through the kernel module directly.
"""

from __future__ import annotations

import numpy as np
import pytest

import gpudot
from gpudot.backends.numpy._exact import _cost_rule as _routing
from gpudot.backends.numpy._kernels import _load as _numba_kernels
from gpudot.testing._inputs import make

INTS = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]
DTYPES = [*INTS, "float16", "bool"]

#: (shape of a, shape of b): around MATVEC_MIN_WORK (16384), the 4-row blocks, stacks, k = 0, 1.
SHAPES = [
    ((256, 63), (63,)),
    ((260, 64), (64,)),
    ((257, 64), (64,)),
    ((67, 61), (61,)),
    ((61,), (61, 67)),
    ((64,), (64, 256)),
    ((3, 5, 40, 31), (31,)),
    ((31,), (2, 3, 31, 45)),
    ((4096, 0), (0,)),
    ((0,), (0, 4096)),
    ((0, 5000), (5000,)),
    ((5000, 1), (1,)),
    ((1,), (1, 5000)),
]


def assert_bits(got, expected):
    assert got.dtype == expected.dtype and got.shape == expected.shape
    assert np.array_equal(np.asarray(got).view(np.uint8), np.asarray(expected).view(np.uint8))


def layouts(a, b):
    """The operands as given, Fortran-ordered, reversed (negative strides) and strided."""

    def flip(x):
        return x[::-1] if x.ndim == 1 else x[..., ::-1, ::-1]

    def strided(x):
        return np.repeat(x, 2, axis=-1)[..., ::2]

    return {
        "C": (a, b),
        "F": (np.asfortranarray(a), np.asfortranarray(b)),
        "reversed": (flip(a), flip(b)),
        "strided": (strided(a), strided(b)),
    }


@pytest.mark.parametrize("layout", ["C", "F", "reversed", "strided"])
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
def test_vector_products_match_numpy(numba_mode, dtype, shapes, layout):
    a, b = layouts(make(shapes[0], dtype, 1), make(shapes[1], dtype, 2))[layout]
    with gpudot.use_backend("numpy"):
        assert_bits(gpudot.matmul(a, b), np.matmul(a, b))
        if a.ndim <= 2 or b.ndim == 1:
            assert_bits(gpudot.dot(a, b), np.dot(a, b))


@pytest.mark.parametrize("dtype", INTS)
@pytest.mark.parametrize("value", ["min", "max", "mixed"])
def test_integer_extremes_wrap(numba_mode, dtype, value):
    info = np.iinfo(dtype)
    fill = {"min": info.min, "max": info.max}.get(value)
    if fill is None:
        a = np.resize(np.array([info.min, info.max, -1 if info.min else 1], dtype), (90, 70))
    else:
        a = np.full((90, 70), fill, dtype)
    x = np.full(70, info.max, dtype)
    with gpudot.use_backend("numpy"):
        assert_bits(gpudot.matmul(a, x), np.matmul(a, x))
        assert_bits(gpudot.matmul(x, a.T), np.matmul(x, a.T))


def half_values(kind: str, shape: tuple[int, ...], seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "subnormal":
        return (rng.integers(-1023, 1024, shape) * 2.0**-24).astype(np.float16)
    if kind == "zeros":  # +0 and -0 products: a sum of -0 terms from +0.0 is +0
        return np.where(rng.random(shape) < 0.5, -0.0, 0.0).astype(np.float16)
    if kind == "cancel":  # large terms that cancel: the k order decides the low bits
        big = rng.choice([-1.0, 1.0], shape) * 200.0
        return (big + rng.standard_normal(shape)).astype(np.float16)
    return (rng.standard_normal(shape) * 4).astype(np.float16)


@pytest.mark.parametrize("kind", ["normal", "subnormal", "zeros", "cancel"])
def test_float16_values(numba_mode, kind):
    a, x = half_values(kind, (130, 97), 1), half_values(kind, (97,), 2)
    with np.errstate(over="ignore", invalid="ignore"), gpudot.use_backend("numpy"):
        assert_bits(gpudot.matmul(a, x), np.matmul(a, x))
        assert_bits(gpudot.matmul(a[:, 0], a), np.matmul(a[:, 0], a))


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize("special", [np.inf, -np.inf, np.nan])
@pytest.mark.parametrize("where", ["matrix", "vector"])
def test_float16_inf_and_nan_stay_with_numpy(numba_mode, special, where):
    a, x = half_values("normal", (100, 80), 1), half_values("normal", (80,), 2)
    (a if where == "matrix" else x)[7] = special
    with gpudot.use_backend("numpy"):
        assert_bits(gpudot.matmul(a, x), np.matmul(a, x))
        assert_bits(gpudot.matmul(x, a.T), np.matmul(x, a.T))


@pytest.mark.parametrize("density", [0.0, 0.01, 0.5, 1.0])
def test_bool_vector_products(numba_mode, density):
    rng = np.random.default_rng(3)
    a, x = rng.random((300, 200)) < density, rng.random(200) < density
    with gpudot.use_backend("numpy"):
        assert_bits(gpudot.matmul(a, x), np.matmul(a, x))
        assert_bits(gpudot.matmul(x, a.T), np.matmul(x, a.T))


def test_out_and_dtype_arguments(numba_mode):
    a, x = make((100, 80), "int8", 1), make((80,), "int8", 2)
    out = np.empty(100, np.int64)
    with gpudot.use_backend("numpy"):
        assert_bits(gpudot.matmul(a, x, dtype=np.int32), np.matmul(a, x, dtype=np.int32))
        gpudot.matmul(a, x, out=out)
    assert_bits(out, np.matmul(a, x, out=np.empty(100, np.int64)))


@pytest.mark.parametrize("dtype", [*INTS, "float16", "bool"])
def test_vector_route_is_taken_from_matvec_min_work(monkeypatch, dtype):
    """The kernel runs for NumPy arrays with numba from `MATVEC_MIN_WORK` on, never below."""
    pytest.importorskip("numba")
    monkeypatch.setattr(_numba_kernels, "ENABLED", True)
    n = _routing.MATVEC_MIN_WORK // 64
    small, large = make((n - 1, 64), dtype, 1), make((n, 64), dtype, 1)
    x = make((64,), dtype, 2)
    loop = np.dtype(dtype)
    assert not _routing.vector_route(small, x, loop)
    assert _routing.vector_route(large, x, loop) == (dtype != "bool")
    assert not _routing.vector_route(x[:8], x[:8], loop)  # vector . vector: NumPy's dot


def test_routes_never_pick_the_kernel_on_another_namespace(monkeypatch):
    pytest.importorskip("numba")
    monkeypatch.setattr(_numba_kernels, "ENABLED", True)
    a, x = make((300, 80), "int32", 1), make((80,), "int32", 2)

    class Stand_in:  # not NumPy: the kernel needs NumPy arrays
        pass

    assert _routing.vector_matmul(Stand_in, a, x, a.dtype) is None
    assert _routing.vector_matmul(np, a, x, a.dtype) is not None


@pytest.mark.parametrize("dtype", INTS)
@pytest.mark.parametrize("m, k", [(1, 1), (5, 3), (33, 130), (4, 4096)])
def test_integer_kernels_directly(dtype, m, k):
    kernels = pytest.importorskip("gpudot.backends.numpy._kernels._matvec")
    signed = np.dtype(f"i{np.dtype(dtype).itemsize}")
    a, x = make((m, k), dtype, 1).view(signed), make((k,), dtype, 2).view(signed)
    out = np.empty(m, signed)
    kernels.integer_matvec(a, x, out)
    assert_bits(out, np.matmul(a, x))
    stack = np.stack([a.T, a.T[::-1]])
    total = np.zeros((2, m), signed)
    kernels.integer_vecmat(x, stack, total)
    assert_bits(total, np.matmul(x, stack))


@pytest.mark.parametrize("m, k", [(1, 1), (5, 3), (33, 130), (4, 4096)])
def test_half_kernels_directly(m, k):
    kernels = pytest.importorskip("gpudot.backends.numpy._kernels._matvec")
    a, x = half_values("cancel", (m, k), 1), half_values("cancel", (k,), 2)
    out = np.empty(m, np.float32)
    assert kernels.half_matvec(a.view(np.uint16), x.astype(np.float32), kernels.HALF_TABLE, out)
    assert_bits(out.astype(np.float16), np.matmul(a, x))
    total = np.zeros((1, m), np.float32)
    bits = np.ascontiguousarray(a.T)[None].view(np.uint16)
    assert kernels.half_vecmat(x.astype(np.float32), bits, kernels.HALF_TABLE, total)
    assert_bits(total[0].astype(np.float16), np.matmul(x, a.T))
    a[-1, -1] = np.nan
    assert not kernels.half_matvec(a.view(np.uint16), x.astype(np.float32), kernels.HALF_TABLE, out)


def test_half_table_is_numpys_cast():
    kernels = pytest.importorskip("gpudot.backends.numpy._kernels._matvec")
    bits = np.arange(1 << 16, dtype=np.uint16)
    expected = bits.view(np.float16).astype(np.float32)
    assert_bits(kernels.HALF_TABLE, expected)
