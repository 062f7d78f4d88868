"""Exact products of the dtypes BLAS does not multiply (integers, bool, float16, bfloat16): NumPy's
type, dtype, shape and bits on every backend, on values that break inexact methods (overflow,
cancellation, +-0, inf, NaN, subnormals), with ``out=``, ``dtype=`` and their errors.

The NumPy backend computes these through exact routes; the tests of the routes themselves, their
thresholds and kernels, are the repository's (``tests/test_exact_routes.py``).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gpudot
from gpudot.testing import assert_matches_numpy, assert_raises_like_numpy
from gpudot.testing._inputs import FLOAT_FAMILIES, INT_FAMILIES, INTS, hard_values, make, supported
from gpudot.testing._oracle import check_bits
from gpudot.testing._strategies import dot_operands, draw_hard_operands, matmul_operands

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


# --- property tests, bit for bit ---------------------------------------------------------------


@SETTINGS
@given(data=st.data(), shapes=matmul_operands())
def test_integer_and_bool_matmul(backend, data, shapes):
    a, b = draw_hard_operands(data, backend, shapes, (*INTS, "bool"), INT_FAMILIES, "biu")
    check_bits(backend, "matmul", a, b)


@SETTINGS
@given(data=st.data(), shapes=dot_operands())
def test_integer_and_bool_dot(backend, data, shapes):
    a, b = draw_hard_operands(data, backend, shapes, (*INTS, "bool"), INT_FAMILIES, "biu")
    check_bits(backend, "dot", a, b)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@SETTINGS
@given(data=st.data(), shapes=matmul_operands(), func=st.sampled_from(["matmul", "dot"]))
def test_float16(backend, data, shapes, func):
    if func == "dot" and (shapes[1][:-2] and len(shapes[1]) > 2):
        shapes = (shapes[0], shapes[1][-2:])
    a, b = draw_hard_operands(data, backend, shapes, ("float16",), FLOAT_FAMILIES)
    check_bits(backend, func, a, b)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@SETTINGS
@given(data=st.data(), shapes=dot_operands())
def test_bfloat16(backend, data, shapes):
    """NumPy's bfloat16 dot returns bfloat16 (ordered float32 sums); matmul returns float32."""
    ml_dtypes = pytest.importorskip("ml_dtypes")
    if backend.name != "numpy":
        pytest.skip("bfloat16 arrays exist on the NumPy backend only")
    a, b = draw_hard_operands(data, backend, shapes, ("float32",), FLOAT_FAMILIES)
    a, b = a.astype(ml_dtypes.bfloat16), b.astype(ml_dtypes.bfloat16)
    check_bits(backend, "dot", a, b)
    if a.ndim + b.ndim >= 3 and (b.ndim == 1 or a.ndim <= 2):
        check_bits(backend, "matmul", a, b)


@pytest.mark.parametrize("left, right", list(itertools.product(INTS, INTS)))
def test_every_integer_pair(backend, left, right):
    if not supported(backend, left, right):
        pytest.skip(f"{backend.name} does not support {left} x {right}")
    a, b = make((40, 33), left, 1), make((33, 30), right, 2)
    check_bits(backend, "matmul", a, b)
    check_bits(backend, "dot", a, b)


@pytest.mark.parametrize("out_dtype", ["int8", "int64", "float64"])
def test_out_is_cast_like_numpy(backend, out_dtype):
    a, b = hard_values((48, 48), "int8", "random", 1), hard_values((48, 48), "int8", "random", 2)
    expected = np.matmul(a, b, out=np.zeros((48, 48), out_dtype))
    out = backend.asarray(np.zeros((48, 48), out_dtype))
    result = gpudot.matmul(a, b, out=out)
    assert result is out
    assert_matches_numpy(out, expected, backend)


def test_dtype_argument_selects_the_loop(backend):
    a, b = hard_values((48, 48), "int8", "random", 1), hard_values((48, 48), "int8", "random", 2)
    check_bits(backend, "matmul", a, b, dtype=np.int64)
    check_bits(backend, "matmul", a.astype(np.int64), b, dtype=np.int8)
    f = hard_values((48, 48), "float16", "normal", 3).astype(np.float32)
    check_bits(backend, "matmul", f, f, dtype=np.float16)


def test_out_overlapping_an_input(backend):
    if not backend.memory_layout:
        pytest.skip(f"{backend.name} arrays are not written in place")
    a, b = hard_values((48, 48), "int32", "random", 1), hard_values((48, 48), "int32", "random", 2)
    expected = np.matmul(a, b)
    a, b = backend.asarray(a), backend.asarray(b)
    gpudot.matmul(a, b, out=a)
    assert np.array_equal(backend.to_numpy(a), expected)


@pytest.mark.parametrize("func", ["matmul", "dot"])
def test_bad_out_is_never_written(backend, func):
    a, b = hard_values((48, 48), "int16", "random", 1), hard_values((48, 48), "int16", "random", 2)
    for out in (np.full((48, 47), 7, np.int16), np.full((48, 48), 7, np.int8)):
        host = out.copy()
        device_out = backend.asarray(out)
        if func == "matmul" and out.dtype == np.int8:
            continue  # matmul casts to int8 ('same_kind'); dot demands the exact dtype
        assert_raises_like_numpy(
            lambda: getattr(np, func)(a, b, out=host.copy()),  # noqa: B023
            lambda: getattr(gpudot, func)(a, b, out=device_out),  # noqa: B023
        )
        assert np.array_equal(backend.to_numpy(device_out), host)


def test_dot_out_must_be_c_contiguous(backend):
    a, b = hard_values((48, 48), "int16", "random", 1), hard_values((48, 48), "int16", "random", 2)
    out = np.zeros((48, 48), np.int16, order="F")
    assert_raises_like_numpy(
        lambda: np.dot(a, b, out=out.copy(order="F")), lambda: gpudot.dot(a, b, out=out)
    )
    assert not out.any()
