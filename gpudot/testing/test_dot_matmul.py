"""Conformance of ``dot`` and ``matmul`` with NumPy, on every backend."""

from __future__ import annotations

import numpy as np
import pytest

import gpudot
from gpudot.testing import assert_matches_numpy, assert_raises_like_numpy
from gpudot.testing._inputs import ALL_DTYPES, CASES, make, shape_id, supported
from gpudot.testing._oracle import check, error_bound

FUNCS = {"dot": (np.dot, gpudot.dot), "matmul": (np.matmul, gpudot.matmul)}

# --- textbook examples -------------------------------------------------------------------------


def test_vector_dot_vector_is_44(backend):
    result = gpudot.dot([1, 3, 5], [2, 4, 6])
    assert gpudot.to_numpy(result) == 44
    check(backend, "dot", np.array([1, 3, 5]), np.array([2, 4, 6]))


@pytest.mark.parametrize("func", FUNCS)
def test_two_by_two_textbook(backend, func):
    a, b = np.array([[1, 2], [3, 4]]), np.array([[5, 6], [7, 8]])
    result = check(backend, func, a, b)
    np.testing.assert_array_equal(gpudot.to_numpy(result), [[19, 22], [43, 50]])


# --- values, dtypes and shapes -----------------------------------------------------------------


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("case", CASES, ids=shape_id)
def test_shapes_and_dtypes(backend, case, dtype):
    if not supported(backend, dtype):
        pytest.skip(f"{backend.name} does not support {dtype}")
    func, s1, s2 = case
    check(backend, func, make(s1, dtype, seed=1), make(s2, dtype, seed=2))


@pytest.mark.parametrize("dtype2", ALL_DTYPES)
@pytest.mark.parametrize("dtype1", ALL_DTYPES)
@pytest.mark.parametrize("func", FUNCS)
def test_mixed_dtypes_promote_like_numpy(backend, func, dtype1, dtype2):
    if not supported(backend, dtype1, dtype2):
        pytest.skip(f"{backend.name} does not support {dtype1} or {dtype2}")
    check(backend, func, make((3, 4), dtype1, seed=3), make((4, 2), dtype2, seed=4))


LAYOUTS = {
    "fortran": lambda x: np.asfortranarray(x),
    "transposed": lambda x: x.T.copy().T,
    "strided": lambda x: np.repeat(np.repeat(x, 2, axis=0), 2, axis=1)[::2, ::2],
    "reversed": lambda x: x[::-1, ::-1].copy()[::-1, ::-1],
    "broadcast": lambda x: np.broadcast_to(x[:1], x.shape),
}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", ["int32", "float32", "float64", "complex128", "bool"])
@pytest.mark.parametrize("func", FUNCS)
def test_non_contiguous_inputs(backend, func, dtype, layout):
    if not supported(backend, dtype):
        pytest.skip(f"{backend.name} does not support {dtype}")
    a = LAYOUTS[layout](make((5, 6), dtype, seed=5))
    b = LAYOUTS[layout](make((6, 4), dtype, seed=6))
    check(backend, func, a, b)


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "int64", "uint8", "uint64"])
@pytest.mark.parametrize("func", FUNCS)
def test_integer_overflow_wraps_like_numpy(backend, func, dtype):
    if not supported(backend, dtype):
        pytest.skip(f"{backend.name} does not support {dtype}")
    info = np.iinfo(dtype)
    a = np.full((3, 7), info.max, dtype=dtype)
    b = np.full((7, 2), info.max, dtype=dtype)
    b[0] = info.min
    check(backend, func, a, b)


@pytest.mark.parametrize("func", FUNCS)
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_nan_and_inf_propagate(backend, func):
    a = np.array([[np.nan, 1.0], [np.inf, 0.0], [np.inf, -np.inf], [0.0, 1.0]])
    b = np.array([[1.0, 0.0], [1.0, 2.0]])
    check(backend, func, a, b)


def test_matmul_dtype_argument_casts_inputs(backend):
    a, b = make((4, 5), "int8", seed=7), make((5, 3), "int8", seed=8)
    check(backend, "matmul", a, b, dtype=np.int16)
    check(backend, "matmul", a, b, dtype=np.float64)


def test_python_scalars_and_lists(backend):
    check(backend, "dot", np.asarray(3), np.arange(4, dtype=np.int8))
    result = gpudot.dot(2.5, [1.0, 2.0])
    assert_matches_numpy(result, np.dot(2.5, [1.0, 2.0]), backend)


def test_results_are_arrays_of_the_backend(backend):
    a, b = backend.asarray(make((3, 4), "float64")), backend.asarray(make((4, 2), "float64"))
    assert backend.owns(gpudot.matmul(a, b))
    assert backend.owns(gpudot.dot(a, b))


# --- out= --------------------------------------------------------------------------------------


@pytest.mark.parametrize("out_dtype", ["float64", "float32", "complex128"])
def test_matmul_out_casts_same_kind(backend, out_dtype):
    a, b = make((3, 4), "float64"), make((4, 2), "float64")
    out = backend.asarray(np.zeros((3, 2), dtype=out_dtype))
    result = gpudot.matmul(a, b, out=out)
    assert result is out
    expected = np.matmul(a, b, out=np.zeros((3, 2), dtype=out_dtype))
    assert_matches_numpy(
        out, expected, backend, bound=error_bound(np.matmul, a, b, np.dtype(out_dtype))
    )


def test_matmul_out_non_contiguous(backend):
    if not backend.memory_layout:
        pytest.skip(f"{backend.name} arrays have no memory layout: a slice is a copy, not a view")
    a, b = make((3, 4), "int32"), make((4, 2), "int32")
    buffer = backend.asarray(np.zeros((3, 4), dtype=np.int32))
    out = buffer[:, ::2]
    assert gpudot.matmul(a, b, out=out) is out
    assert_matches_numpy(buffer[:, ::2], np.matmul(a, b), backend)


def test_dot_out(backend):
    a, b = make((3, 4), "int64"), make((4, 2), "int64")
    out = backend.asarray(np.zeros((3, 2), dtype=np.int64))
    assert gpudot.dot(a, b, out=out) is out
    assert_matches_numpy(out, np.dot(a, b), backend)


BAD_OUTS = {
    "matmul-wrong-shape": ("matmul", (2, 3), "float64"),
    "matmul-unsafe-cast": ("matmul", (3, 2), "int32"),
    "dot-wrong-dtype": ("dot", (3, 2), "float32"),
    "dot-wrong-shape": ("dot", (2, 3), "float64"),
    "dot-wrong-ndim": ("dot", (6,), "float64"),
    "dot-not-c-contiguous": ("dot", "fortran", "float64"),
}


@pytest.mark.parametrize("bad", BAD_OUTS)
def test_bad_out_raises_and_leaves_out_untouched(backend, bad):
    func, shape, dtype = BAD_OUTS[bad]
    if shape == "fortran" and not backend.memory_layout:
        pytest.skip(f"{backend.name} arrays have no memory layout: none is C- or F-ordered")
    numpy_func, gpudot_func = FUNCS[func]
    a, b = make((3, 4), "float64"), make((4, 2), "float64")

    def new_out():
        if shape == "fortran":
            return np.asfortranarray(np.full((3, 2), 7, dtype=dtype))
        return np.full(shape, 7, dtype=dtype)

    out = backend.asarray(new_out())
    message = assert_raises_like_numpy(
        lambda: numpy_func(a, b, out=new_out()), lambda: gpudot_func(a, b, out=out)
    )
    assert "out" in message
    np.testing.assert_array_equal(backend.to_numpy(out), new_out())


def test_matmul_out_may_have_extra_broadcast_axes_like_numpy(backend):
    a, b = make((3, 4), "float64"), make((4, 2), "float64")
    if not backend.memory_layout:
        pytest.skip(f"{backend.name} arrays are not written in place")
    out = backend.asarray(np.zeros((5, 3, 2)))
    assert gpudot.matmul(a, b, out=out) is out
    expected = np.matmul(a, b, out=np.zeros((5, 3, 2)))
    assert_matches_numpy(out, expected, backend, bound=error_bound(np.matmul, a, b, a.dtype))


@pytest.mark.parametrize("func", FUNCS)
def test_out_that_is_not_an_array_raises_type_error(backend, func):
    numpy_func, gpudot_func = FUNCS[func]
    a, b = make((2, 2), "float64"), make((2, 2), "float64")
    message = assert_raises_like_numpy(
        lambda: numpy_func(a, b, out=[[0.0, 0.0], [0.0, 0.0]]),
        lambda: gpudot_func(a, b, out=[[0.0, 0.0], [0.0, 0.0]]),
    )
    assert "out" in message


# --- errors ------------------------------------------------------------------------------------

BAD_SHAPES = {
    "matmul-mismatch": ("matmul", (3, 2), (3, 4), "(3, 2)"),
    "matmul-vector-mismatch": ("matmul", (3,), (4,), "(3,)"),
    "matmul-batch-mismatch": ("matmul", (2, 3, 2), (4, 2, 2), "broadcast"),
    "matmul-scalar": ("matmul", (), (3,), "0-d"),
    "dot-mismatch": ("dot", (3, 2), (3, 4), "(3, 4)"),
    "dot-nd-mismatch": ("dot", (2, 3, 2), (4, 3, 2), "(4, 3, 2)"),
}


@pytest.mark.parametrize("bad", BAD_SHAPES)
def test_shape_errors_name_the_shapes(backend, bad):
    func, s1, s2, named = BAD_SHAPES[bad]
    numpy_func, gpudot_func = FUNCS[func]
    a, b = make(s1, "float64"), make(s2, "float64")
    message = assert_raises_like_numpy(lambda: numpy_func(a, b), lambda: gpudot_func(a, b))
    assert named in message


def test_cast_to_requested_dtype_refused_like_numpy(backend):
    a, b = make((2, 2), "float64"), make((2, 2), "float64")
    assert_raises_like_numpy(
        lambda: np.matmul(a, b, dtype=np.int16), lambda: gpudot.matmul(a, b, dtype=np.int16)
    )


def test_string_arrays_are_refused_with_type_error(backend):
    a, b = np.array([["a", "b"]]), np.array([["c"], ["d"]])
    assert_raises_like_numpy(lambda: np.matmul(a, b), lambda: gpudot.matmul(a, b))


def test_object_arrays_follow_numpy_or_name_the_dtype(backend):
    a = np.array([[1, 2]], dtype=object)
    b = np.array([[3], [4]], dtype=object)
    if supported(backend, "object"):
        check(backend, "matmul", a, b)
    else:
        with pytest.raises(TypeError, match="object"):
            gpudot.matmul(a, b)
