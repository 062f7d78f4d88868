"""The NumPy backend's exact routes (integers, bool, float16, bfloat16): each route, threshold and
kernel, the routing rule, numba on and off; every result NumPy's bits.

Property tests run with the routing thresholds lowered (fixture ``eager``) so that small shapes
take the routes, with and without the numba kernels; threshold tests use the real constants. What
every backend must pass on these dtypes is the shipped ``gpudot/testing/test_exact_values.py``.
"""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gpudot
import gpudot.backends.numpy._exact
from gpudot.backends import lookup
from gpudot.backends.numpy._exact import _bool, _integer
from gpudot.backends.numpy._exact import _cost_rule as _routing
from gpudot.backends.numpy._exact import _entry as _dispatch
from gpudot.backends.numpy._exact import _half_precision as _ordered
from gpudot.backends.numpy._kernels import _load as _numba_kernels
from gpudot.testing._inputs import FLOAT_FAMILIES, INT_FAMILIES, INTS, hard_values
from gpudot.testing._oracle import check_bits
from gpudot.testing._strategies import dot_operands, draw_hard_operands, matmul_operands

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


# --- property tests, bit for bit ---------------------------------------------------------------


@SETTINGS
@given(data=st.data(), shapes=matmul_operands())
def test_integer_and_bool_matmul(backend, eager, data, shapes):
    a, b = draw_hard_operands(data, backend, shapes, (*INTS, "bool"), INT_FAMILIES, "biu")
    check_bits(backend, "matmul", a, b)


@SETTINGS
@given(data=st.data(), shapes=dot_operands())
def test_integer_and_bool_dot(backend, eager, data, shapes):
    a, b = draw_hard_operands(data, backend, shapes, (*INTS, "bool"), INT_FAMILIES, "biu")
    check_bits(backend, "dot", a, b)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@SETTINGS
@given(data=st.data(), shapes=matmul_operands(), func=st.sampled_from(["matmul", "dot"]))
def test_float16(backend, eager, numba_mode, data, shapes, func):
    if func == "dot" and (shapes[1][:-2] and len(shapes[1]) > 2):
        shapes = (shapes[0], shapes[1][-2:])
    a, b = draw_hard_operands(data, backend, shapes, ("float16",), FLOAT_FAMILIES)
    check_bits(backend, func, a, b)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@SETTINGS
@given(data=st.data(), shapes=dot_operands())
def test_bfloat16(backend, eager, numba_mode, data, shapes):
    """NumPy's bfloat16 dot returns bfloat16 (ordered float32 sums); matmul returns float32."""
    ml_dtypes = pytest.importorskip("ml_dtypes")
    if backend.name != "numpy":
        pytest.skip("bfloat16 arrays exist on the NumPy backend only")
    a, b = draw_hard_operands(data, backend, shapes, ("float32",), FLOAT_FAMILIES)
    a, b = a.astype(ml_dtypes.bfloat16), b.astype(ml_dtypes.bfloat16)
    check_bits(backend, "dot", a, b)
    if a.ndim + b.ndim >= 3 and (b.ndim == 1 or a.ndim <= 2):
        check_bits(backend, "matmul", a, b)


# --- every route on its own, on values that overflow -------------------------------------------


@pytest.mark.parametrize("dtype", INTS)
@pytest.mark.parametrize("k", [1, 31, 200])
def test_every_integer_route(dtype, k):
    for family in INT_FAMILIES:
        a, b = hard_values((17, k), dtype, family, 3), hard_values((k, 19), dtype, family, 4)
        expected = np.matmul(a, b)
        sa, sb = _integer.signed_view(a), _integer.signed_view(b)
        einsum = _integer.einsum_matmul(np, sa, sb)
        assert np.array_equal(einsum.view(a.dtype), expected), family
        limbs = _integer.limb_gemm(np, sa, sb, 8 * a.dtype.itemsize, sa.dtype)
        assert np.array_equal(limbs.view(a.dtype), expected), family
        ftype = _integer.exact_float(k * _integer.magnitude(sa) * _integer.magnitude(sb))
        if ftype is not None:
            gemm = _integer.float_gemm(np, sa, sb, ftype, sa.dtype)
            assert np.array_equal(gemm.view(a.dtype), expected), family


# --- both sides of every threshold -------------------------------------------------------------


def _fail(*args):
    pytest.fail("the routing rule was asked, or read the operands' values")


@pytest.mark.parametrize("dtype", [*INTS, "bool", "float16"])
@pytest.mark.parametrize("below", [True, False])
def test_min_work_thresholds(backend, dtype, below):
    """32 x 32 @ 32 x n on both sides of MIN_WORK (2-D) and MATRIX_MIN_WORK (stacks)."""
    n = _routing.MIN_WORK // 1024 - below
    a, b = hard_values((32, 32), dtype, "random", 5), hard_values((32, n), dtype, "random", 6)
    check_bits(backend, "matmul", a, b)
    check_bits(backend, "dot", a, b)
    n = _routing.MATRIX_MIN_WORK // 1024 - below
    stack, b = (
        hard_values((3, 32, 32), dtype, "random", 7),
        hard_values((32, n), dtype, "random", 8),
    )
    check_bits(backend, "matmul", stack, b)
    check_bits(backend, "dot", stack, b)


def test_bool_route_is_considered_above_bool_min_work_only():
    """Sparse bool products route to a gemm from BOOL_MIN_WORK on; below it NumPy keeps them."""
    n = round(_routing.BOOL_MIN_WORK ** (1 / 3))
    rng = np.random.default_rng(0)
    large, small = rng.random((2, n + 1, n + 1)) < 0.01, rng.random((2, n - 1, n - 1)) < 0.01
    assert (n + 1) ** 3 >= _routing.BOOL_MIN_WORK > (n - 1) ** 3
    assert _routing.bool_matmul(np, large[0], large[1], np.dtype(bool)) is not None
    assert _routing.bool_matmul(np, small[0], small[1], np.dtype(bool)) is None
    np.testing.assert_array_equal(gpudot.matmul(large[0], large[1]), large[0] @ large[1])


@pytest.mark.parametrize("func", ["matmul", "dot"])
def test_bool_products_below_bool_min_work_skip_the_route(monkeypatch, func):
    """Their route would decline: it is not asked, and dot's operands are not reshaped for it."""
    monkeypatch.setitem(_dispatch._ROUTES, "b", _fail)
    a, b = hard_values((4, 16, 64), "bool", "random", 1), hard_values((64, 64), "bool", "random", 2)
    assert a.size * b.size >= _routing.MIN_WORK and a.size * 64 < _routing.BOOL_MIN_WORK
    np.testing.assert_array_equal(getattr(gpudot, func)(a, b), getattr(np, func)(a, b))


def test_routes_act_above_min_work_only():
    a, b = hard_values((64, 64), "int32", "small", 1), hard_values((64, 64), "int32", "small", 2)
    assert _routing.integer_matmul(np, a, b, a.dtype) is not None
    assert _routing.integer_matmul(np, a[:8, :8], b[:8, :8], a.dtype) is None


@pytest.mark.parametrize("k, ftype", [(1024, np.float32), (1025, np.float64)])
def test_float_bound_is_tight(backend, k, ftype):
    """K * 2^7 * 2^7 = 2^24 exactly at K = 1024: the largest float32-exact case."""
    assert _integer.exact_float(k * 2**14) == ftype
    a, b = np.full((40, k), 2**7, np.int32), np.full((k, 40), 2**7, np.int32)
    check_bits(backend, "matmul", a, b)
    big = np.full((2, 2), 2**26, np.int64)  # K * 2^26 * 2^26 = 2^53: float64 at the limit
    assert _integer.exact_float(2 * 2**52) == np.float64
    assert _integer.exact_float(2 * 2**52 + 1) is None
    check_bits(backend, "matmul", np.tile(big, (1, 20)).reshape(2, 40)[:, :2], big)


@pytest.mark.parametrize("width", [8, 16, 32, 64])
@pytest.mark.parametrize("k", [1, 2, 512, 4096, 4097, 2**20, 2**40])
def test_limb_plan_keeps_every_sum_exact(width, k):
    """Each planned gemm of balanced limbs stays below 2^53; the limbs cover every bit."""
    plan = _integer.limb_plan(width, k)
    assert sum(a_bits for _, a_bits, _ in plan) == width
    for _, a_bits, b_bits in plan:
        assert k * 2 ** (a_bits - 1) * 2 ** (b_bits - 1) <= 2**53
    if k <= 512:
        assert _routing.limb_gemms(width, k) <= {8: 1, 16: 1, 32: 2, 64: 6}[width]


@pytest.mark.parametrize("k", [4096, 4097])  # the int32 plan changes from 2 to 3 gemms here
def test_limb_plan_change(backend, eager, k):
    assert _routing.limb_gemms(32, 4096) == 2 and _routing.limb_gemms(32, 4097) == 3
    check_bits(
        backend,
        "matmul",
        hard_values((3, k), "int32", "random", 1),
        hard_values((k, 3), "int32", "random", 2),
    )
    check_bits(
        backend,
        "matmul",
        hard_values((3, k), "uint64", "random", 1),
        hard_values((k, 2), "uint64", "random", 2),
    )


@pytest.mark.parametrize("rows", [31, 32])  # 32 * 32 outputs = ORDERED_MIN_OUTPUTS
def test_ordered_outputs_threshold(backend, monkeypatch, rows):
    monkeypatch.setattr(_numba_kernels, "ENABLED", False)
    assert _routing.ORDERED_MIN_OUTPUTS == 32 * 32
    a, b = (
        hard_values((rows, 64), "float16", "cancel", 1),
        hard_values((64, 32 + (rows == 31)), "float16", "cancel", 2),
    )
    check_bits(backend, "matmul", a, b)


@pytest.mark.parametrize("k", [122, 123])  # 128 * 128 * 123 > PARALLEL_MIN_WORK > 128 * 128 * 122
def test_parallel_threshold(backend, k):
    pytest.importorskip("numba")
    assert 128 * 128 * 122 < _ordered.PARALLEL_MIN_WORK < 128 * 128 * 123
    a, b = (
        hard_values((128, k), "float16", "cancel", 1),
        hard_values((k, 128), "float16", "normal", 2),
    )
    check_bits(backend, "matmul", a, b)


@pytest.mark.parametrize("density", [0.0, 0.01, 0.5, 1.0])
def test_bool_density_rule(backend, density):
    rng = np.random.default_rng(0)
    a, b = rng.random((192, 192)) < density, rng.random((192, 192)) < density
    check_bits(backend, "matmul", a, b)
    routed = _routing.bool_matmul(np, a, b, a.dtype)
    assert (routed is None) == (density >= 0.5)


def test_bool_gemm_that_cannot_win_reads_no_density(monkeypatch):
    """Matrix-vector: the gemm loses even to NumPy's loop without an early exit, all-False."""
    monkeypatch.setattr(_bool, "density", _fail)
    n = 2048
    assert n * n >= _routing.BOOL_MIN_WORK
    for a in (np.zeros((n, n), bool), np.random.default_rng(1).random((n, n)) < 0.5):
        b = np.ones(n, bool)
        assert _routing.bool_matmul(np, a, b, a.dtype) is None
        np.testing.assert_array_equal(gpudot.matmul(a, b), np.matmul(a, b))


@pytest.mark.parametrize("shape", [(10,), (2, 2000), (64, 64), (3, 5, 7)])
def test_bool_density_is_exact_up_to_the_sample_size(shape):
    x = np.random.default_rng(2).random(shape) < 0.3
    assert x.size <= _bool.DENSITY_SAMPLE
    assert _bool.density(np, x) == np.count_nonzero(x) / x.size


@pytest.mark.parametrize("layout", ["C", "transposed"])
@pytest.mark.parametrize("shape", [(1024, 2048), (64, 70_000), (300, 40, 50)])
def test_bool_density_reads_a_bounded_grid(shape, layout):
    """Contiguous runs of a C-contiguous operand, an even grid of any other."""
    x = np.random.default_rng(3).random(shape) < 0.3
    x = x if layout == "C" else x.T
    read = []

    def count_nonzero(grid):
        read.append(grid)
        return np.count_nonzero(grid)

    estimate = _bool.density(SimpleNamespace(count_nonzero=count_nonzero), x)
    assert _bool.DENSITY_SAMPLE / 8 <= read[0].size <= _bool.DENSITY_SAMPLE
    if layout == "C":  # memory-speed reads
        assert read[0].shape == (_bool.DENSITY_RUNS, _bool.DENSITY_SAMPLE // _bool.DENSITY_RUNS)
        assert read[0].strides[-1] == 1
    assert abs(estimate - np.count_nonzero(x) / x.size) < 0.05


@pytest.mark.parametrize(
    "dtype, shapes",
    [
        ("int64", ((1024, 1024), (1024,))),  # einsum beats any gemm after a read
        ("int32", ((2048, 512), (512,))),
        ("int64", ((32, 32), (32, 32))),  # at MIN_WORK the read would cost more than it saves
        ("uint16", ((64, 8), (8, 64))),
        ("int8", ((256, 256), (256, 256))),  # the dtype bound already allows float32
    ],
)
def test_integer_routes_that_need_no_data_read_none(monkeypatch, dtype, shapes):
    monkeypatch.setattr(_integer, "magnitude", _fail)
    a, b = hard_values(shapes[0], dtype, "random", 1), hard_values(shapes[1], dtype, "random", 2)
    routed = _routing.integer_matmul(np, a, b, a.dtype)
    assert routed is None or routed.tobytes() == np.matmul(a, b).tobytes()
    np.testing.assert_array_equal(gpudot.matmul(a, b), np.matmul(a, b))


@pytest.mark.parametrize("dtype", ["int32", "int64"])
def test_small_values_are_read_where_a_float32_gemm_pays(monkeypatch, dtype):
    monkeypatch.setattr(_numba_kernels, "ENABLED", False)  # with numba the "simd" kernel wins
    gemms = []
    float_gemm = _integer.float_gemm
    monkeypatch.setattr(
        _integer, "float_gemm", lambda *args: gemms.append(args[3]) or float_gemm(*args)
    )
    a, b = hard_values((256, 256), dtype, "small", 1), hard_values((256, 256), dtype, "small", 2)
    np.testing.assert_array_equal(_routing.integer_matmul(np, a, b, a.dtype), np.matmul(a, b))
    assert gemms == [np.dtype(np.float32)]


# --- out=, dtype= and errors -------------------------------------------------------------------


def _int8_operands() -> tuple[np.ndarray, np.ndarray]:
    return hard_values((32, 48), "int8", "max", 1), hard_values((48, 16), "int8", "random", 2)


@pytest.mark.parametrize(
    ("out_shape", "out_dtype"),
    [((32, 16), "int8"), ((32, 16), "int64"), ((3, 32, 16), "int8"), ((1, 32, 16), "int16")],
    ids=["same", "wider-dtype", "extra-loop-axis", "length-1-loop-axis"],
)
def test_matmul_route_takes_every_out_numpys_ufunc_rule_takes(eager, out_shape, out_dtype):
    """The route decides with `checks.matmul_out_error`, NumPy's rule: a wider same-kind dtype
    and extra leading loop axes (the product broadcast into each) are taken."""
    a, b = _int8_operands()
    expected = np.matmul(a, b, out=np.zeros(out_shape, out_dtype))
    out = np.zeros(out_shape, out_dtype)
    assert _dispatch.matmul(a, b, out, None) is out
    np.testing.assert_array_equal(out, expected)


def test_dot_route_takes_the_out_numpys_dot_rule_takes(eager):
    a, b = _int8_operands()
    out = np.zeros((32, 16), "int8")
    assert _dispatch.dot(a, b, out) is out
    np.testing.assert_array_equal(out, np.dot(a, b))


#: ``out=`` arrays NumPy refuses for the int8 (32, 48) @ (48, 16) product, by product.
REFUSED_OUTS = {
    "matmul-wrong-shape": ("matmul", lambda: np.zeros((16, 32), "int8")),
    "matmul-mismatched-loop-axis": ("matmul", lambda: np.zeros((32, 1, 16), "int8")),
    "matmul-unsafe-cast": ("matmul", lambda: np.zeros((32, 16), "uint8")),
    "dot-wider-dtype": ("dot", lambda: np.zeros((32, 16), "int64")),
    "dot-fortran": ("dot", lambda: np.zeros((32, 16), "int8", order="F")),
    "dot-extra-axis": ("dot", lambda: np.zeros((1, 32, 16), "int8")),
}


@pytest.mark.parametrize("case", REFUSED_OUTS)
def test_routes_leave_an_out_numpy_refuses_to_numpy(eager, case):
    """The route declines (None) and the NumPy backend raises NumPy's error; out is untouched."""
    func, make_out = REFUSED_OUTS[case]
    a, b = _int8_operands()
    out = make_out()
    route = _dispatch.matmul(a, b, out, None) if func == "matmul" else _dispatch.dot(a, b, out)
    assert route is None
    with pytest.raises((ValueError, TypeError)) as numpy_error:
        getattr(np, func)(a, b, out=make_out())
    with gpudot.use_backend("numpy"), pytest.raises(type(numpy_error.value)):
        getattr(gpudot, func)(a, b, out=out)
    assert not out.any()


# --- float16 "fast" precision, numba on and off ---------------------------------------------------


@pytest.mark.parametrize("n", [64, 300])
def test_fast_float16_is_opt_in_on_the_numpy_backend(monkeypatch, n):
    a, b = hard_values((n, n), "float16", "cancel", 1), hard_values((n, n), "float16", "normal", 2)
    calls = []
    original = _ordered.blas_rounded
    monkeypatch.setattr(_ordered, "blas_rounded", lambda *args: calls.append(1) or original(*args))
    with gpudot.use_backend("numpy"):
        assert gpudot.get_precision() == "highest"
        check_bits(lookup("numpy"), "matmul", a, b)
        assert calls == []
        gpudot.matmul(a, b, precision="fast")
    assert calls == [1]


def fast_float16_bound(k, scale):
    """Precision "fast"'s stated bound per element (docs/fast-paths.md): float32 BLAS reorders a
    sum of ``k`` terms; ``scale`` is ``|a| @ |b|``."""
    return (2.0**-10 + k * 2.0**-23) * scale + 2.0**-24


@pytest.mark.parametrize("n", [64, 300])
def test_fast_float16_is_within_its_bound(backend, n):
    a, b = hard_values((n, n), "float16", "cancel", 1), hard_values((n, n), "float16", "normal", 2)
    expected = np.matmul(a, b)
    check_bits(backend, "matmul", a, b)
    fast = gpudot.to_numpy(gpudot.matmul(a, b, precision="fast"))
    scale = np.abs(a.astype(np.float64)) @ np.abs(b.astype(np.float64))
    bound = fast_float16_bound(n, scale)
    error = np.abs(fast.astype(np.float64) - expected.astype(np.float64))
    assert fast.dtype == np.float16 and (error <= bound).all()


def test_without_numba_installed(backend, monkeypatch):
    monkeypatch.setitem(sys.modules, "numba", None)  # import numba now raises ImportError
    monkeypatch.delitem(sys.modules, "gpudot.backends.numpy._kernels._half", raising=False)
    monkeypatch.delattr(gpudot.backends.numpy._kernels, "_half", raising=False)
    monkeypatch.setattr(_numba_kernels, "_loaded", {})
    monkeypatch.setattr(_numba_kernels, "ENABLED", True)
    monkeypatch.setattr(_numba_kernels, "_installed", True)  # found, but its import fails
    assert _numba_kernels.kernels() is None
    assert not _numba_kernels.available()  # the cost rule stops counting on the kernels
    a, b = (
        hard_values((64, 64), "float16", "cancel", 1),
        hard_values((64, 64), "float16", "normal", 2),
    )
    check_bits(backend, "matmul", a, b)


def test_env_switch_and_lazy_imports():
    code = (
        "import sys, numpy as np, gpudot\n"
        "from gpudot.backends.numpy._kernels import _load as _numba_kernels\n"
        "gpudot.matmul(np.ones((64, 64), np.float16), np.ones((64, 64), np.float16))\n"
        "print(_numba_kernels.ENABLED, 'numba' in sys.modules, 'cupy' in sys.modules)\n"
    )
    env = {"GPUDOT_DISABLE_NUMBA": "1", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.split() == ["False", "False", "False"], out.stderr


def test_dispatch_leaves_blas_dtypes_to_numpy():
    a = np.ones((64, 64))
    assert _dispatch.matmul(a, a, None, None) is None
    assert _dispatch.dot(a.astype(np.float32), a.astype(np.float32), None) is None
