"""Conformance of vdot, inner, outer, tensordot, vecdot, matvec, vecmat with NumPy, per backend."""

from __future__ import annotations

import numpy as np
import pytest

import gpudot
from gpudot.testing import assert_matches_numpy, assert_raises_like_numpy
from gpudot.testing._inputs import ALL_DTYPES, make, supported
from gpudot.testing._oracle import (
    NUMPY_PRODUCTS,
    check,
    family_bound,
    ref_matvec,
    ref_vecdot,
    ref_vecmat,
)

CASES = [
    ("vdot", (3,), (3,), {}),
    ("vdot", (2, 3), (3, 2), {}),
    ("vdot", (), (), {}),
    ("vdot", (0,), (0,), {}),
    ("inner", (3,), (3,), {}),
    ("inner", (2, 3), (4, 3), {}),
    ("inner", (2, 2, 3), (3,), {}),
    ("inner", (), (2, 3), {}),
    ("inner", (2, 0), (3, 0), {}),
    ("outer", (3,), (4,), {}),
    ("outer", (2, 3), (2,), {}),
    ("outer", (0,), (3,), {}),
    ("tensordot", (3, 4, 5), (4, 3, 2), {"axes": ([1, 0], [0, 1])}),
    ("tensordot", (2, 3), (3, 4), {"axes": 1}),
    ("tensordot", (2, 3), (2, 3), {}),
    ("tensordot", (2, 3), (4,), {"axes": 0}),
    ("tensordot", (3, 4, 5), (5, 4), {"axes": ([-1, -2], [0, 1])}),
    ("tensordot", (2, 3, 4), (4, 3), {"axes": (2, 0)}),
    ("tensordot", (0, 3), (3, 2), {"axes": 1}),
    ("tensordot", (2, 0), (0, 3), {"axes": 1}),
    ("vecdot", (3,), (3,), {}),
    ("vecdot", (2, 3), (3,), {}),
    ("vecdot", (4, 1, 3), (5, 3), {}),
    ("vecdot", (3, 2), (3, 2), {"axis": 0}),
    ("vecdot", (2, 0), (2, 0), {}),
    ("matvec", (2, 3), (3,), {}),
    ("matvec", (4, 2, 3), (3,), {}),
    ("matvec", (1, 2, 3), (4, 3), {}),
    ("matvec", (2, 0), (0,), {}),
    ("vecmat", (3,), (3, 2), {}),
    ("vecmat", (5, 3), (3, 2), {}),
    ("vecmat", (3,), (4, 3, 2), {}),
    ("vecmat", (0,), (0, 2), {}),
]


def case_id(case):
    name, s1, s2, kwargs = case
    shapes = f"{'x'.join(map(str, s1)) or 'scalar'}-{'x'.join(map(str, s2)) or 'scalar'}"
    return f"{name}-{shapes}" + "".join(f"-{k}={v}" for k, v in kwargs.items())


@pytest.mark.parametrize("dtype", ["int32", "float64", "complex128", "bool"])
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_shapes(backend, case, dtype):
    name, s1, s2, kwargs = case
    check(backend, name, make(s1, dtype, seed=1), make(s2, dtype, seed=2), **kwargs)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("case", [CASES[i] for i in (1, 5, 10, 12, 22, 27, 31)], ids=case_id)
def test_all_dtypes(backend, case, dtype):
    if not supported(backend, dtype):
        pytest.skip(f"{backend.name} does not support {dtype}")
    name, s1, s2, kwargs = case
    check(backend, name, make(s1, dtype, seed=3), make(s2, dtype, seed=4), **kwargs)


@pytest.mark.parametrize("name", ["vdot", "inner", "tensordot", "vecdot", "vecmat"])
def test_mixed_dtypes_promote_like_numpy(backend, name):
    kwargs = {"axes": 1} if name == "tensordot" else {}
    second = {"vecmat": (3, 2), "vdot": (6,)}.get(name, (3,))
    check(backend, name, make((2, 3), "int8", 5), make(second, "complex64", 6), **kwargs)


# --- NumPy's documentation examples --------------------------------------------------------------


def test_tensordot_documentation_example(backend):
    a, b = np.arange(60.0).reshape(3, 4, 5), np.arange(24.0).reshape(4, 3, 2)
    result = check(backend, "tensordot", a, b, axes=([1, 0], [0, 1]))
    assert gpudot.to_numpy(result).tolist()[0] == [4400.0, 4730.0]


def test_vdot_documentation_example_conjugates(backend):
    a, b = np.array([1 + 2j, 3 + 4j]), np.array([5 + 6j, 7 + 8j])
    assert gpudot.to_numpy(check(backend, "vdot", a, b)) == 70 - 8j
    assert gpudot.to_numpy(check(backend, "vdot", b, a)) == 70 + 8j


def test_inner_documentation_examples(backend):
    assert gpudot.to_numpy(check(backend, "inner", np.array([1, 2, 3]), np.array([0, 1, 0]))) == 2
    check(backend, "inner", np.arange(24).reshape(2, 3, 4), np.arange(4))
    check(backend, "inner", np.eye(2), np.array(7.0))


def test_outer_documentation_example(backend):
    rl = check(backend, "outer", np.ones(5), np.linspace(-2, 2, 5))
    im = check(backend, "outer", 1j * np.linspace(2, -2, 5), np.ones(5))
    grid = gpudot.to_numpy(rl) + gpudot.to_numpy(im)
    assert grid[0].tolist() == [-2 + 2j, -1 + 2j, 2j, 1 + 2j, 2 + 2j]


def test_vecdot_documentation_example(backend):
    v = np.array([[0.0, 5.0, 0.0], [0.0, 0.0, 10.0], [0.0, 6.0, 8.0]])
    result = check(backend, "vecdot", v, np.array([0.0, 0.6, 0.8]))
    np.testing.assert_allclose(gpudot.to_numpy(result), [3.0, 8.0, 10.0])


def test_matvec_and_vecmat_documentation_examples(backend):
    a = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 2.0]])
    check(backend, "matvec", a, np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
    v = np.array([0.0, 0.6, 0.8])
    result = check(backend, "vecmat", v, np.array([[0.0, 1.0], [5.0, 0.0], [10.0, 5.0]]))
    np.testing.assert_allclose(gpudot.to_numpy(result), [11.0, 4.0])


@pytest.mark.parametrize("name", ["vecdot", "vecmat", "vdot"])
def test_first_operand_is_conjugated(backend, name):
    x1, x2 = (
        np.array([1j, 2.0]),
        np.array([1j, 1.0]) if name != "vecmat" else np.array([[1j], [1.0]]),
    )
    result = gpudot.to_numpy(check(backend, name, x1, x2))
    assert np.ravel(result)[0] == 3.0  # conj(1j) * 1j + 2 * 1 = 1 + 2


def test_matvec_does_not_conjugate(backend):
    result = gpudot.to_numpy(check(backend, "matvec", np.array([[1j, 2.0]]), np.array([1j, 1.0])))
    assert result[0] == 1.0  # 1j * 1j + 2 = -1 + 2


# --- layouts and out= ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["tensordot", "vecdot", "matvec", "inner", "vdot", "outer"])
def test_non_contiguous_inputs(backend, name):
    a = make((8, 5), "float64", 7)[::2, ::-1]
    b = np.asfortranarray(make((4, 5), "float64", 8)).T.T
    if name == "matvec":
        b = b[0]
    kwargs = {"axes": ([1], [1])} if name == "tensordot" else {}
    check(backend, name, a, b, **kwargs)


OUT_CASES = [
    ("outer", (3,), (4,), (3, 4)),
    ("vecdot", (2, 3), (2, 3), (2,)),
    ("matvec", (2, 3), (3,), (2,)),
    ("vecmat", (3,), (3, 2), (2,)),
]


@pytest.mark.parametrize("case", OUT_CASES, ids=lambda c: c[0])
def test_out_receives_the_result(backend, case):
    name, s1, s2, shape = case
    a, b = make(s1, "float64", 9), make(s2, "float64", 10)
    expected = NUMPY_PRODUCTS[name](a, b)
    out = backend.from_host(np.zeros(shape))
    result = getattr(gpudot, name)(a, b, out=out)
    assert result is out
    assert_matches_numpy(
        out, expected, backend, bound=family_bound(NUMPY_PRODUCTS[name], a, b, np.dtype("float64"))
    )


@pytest.mark.parametrize("dtype", ["int64", "float64"])
@pytest.mark.parametrize("case", OUT_CASES, ids=lambda c: c[0])
def test_out_may_have_extra_broadcast_axes_like_numpy(backend, case, dtype):
    if not backend.memory_layout:
        pytest.skip(f"{backend.name} arrays are not written in place")
    name, s1, s2, shape = case
    a, b = make(s1, dtype, 9), make(s2, dtype, 10)
    expected = NUMPY_PRODUCTS[name](a, b, out=np.zeros((2, *shape), dtype))
    out = backend.from_host(np.zeros((2, *shape), dtype))
    assert getattr(gpudot, name)(a, b, out=out) is out
    exact = dtype == "int64"
    bound = None if exact else family_bound(NUMPY_PRODUCTS[name], a, b, np.dtype(dtype))
    assert_matches_numpy(out, expected, backend, bound=bound)


@pytest.mark.parametrize("case", OUT_CASES, ids=lambda c: c[0])
def test_bad_out_raises_like_numpy_and_stays_untouched(backend, case):
    if not backend.memory_layout:
        pytest.skip(f"{backend.name} arrays cannot be written in place")
    name, s1, s2, shape = case
    a, b = make(s1, "float64", 9), make(s2, "float64", 10)
    for bad in (np.full(shape + (3,), 7.0), np.full(shape, 7, dtype=np.int64)):
        out = backend.from_host(bad)
        assert_raises_like_numpy(
            lambda bad=bad: NUMPY_PRODUCTS[name](a, b, out=bad.copy()),
            lambda out=out: getattr(gpudot, name)(a, b, out=out),
        )
        assert (backend.to_numpy(out) == 7).all()


# --- bad arguments -------------------------------------------------------------------------------

BAD = [
    ("vdot", (3,), (4,), {}),
    ("inner", (2, 3), (4,), {}),
    ("tensordot", (2, 3), (2, 3), {"axes": ([0, 1], [1, 0])}),
    ("tensordot", (2, 3), (3, 4), {"axes": ([0, 1], [0])}),
    ("tensordot", (2, 3), (3, 4), {"axes": ([5], [0])}),
    ("tensordot", (2, 3), (3, 4), {"axes": 3}),
    ("vecdot", (3,), (4,), {}),
    ("vecdot", (3,), (), {}),
    ("vecdot", (3, 2), (3, 2), {"axis": 2}),
    ("vecdot", (2, 3), (4, 3), {}),
    ("matvec", (2, 3), (4,), {}),
    ("matvec", (3,), (3,), {}),
    ("vecmat", (3,), (4, 2), {}),
    ("vecmat", (3,), (3,), {}),
]


@pytest.mark.parametrize("case", BAD, ids=case_id)
def test_bad_arguments_raise_like_numpy(backend, case):
    """Same exception type as NumPy, with gpudot's own message (naming the function), on every
    backend, including the NumPy backend where NumPy's own function computes."""
    name, s1, s2, kwargs = case
    a, b = np.ones(s1), np.ones(s2)
    message = assert_raises_like_numpy(
        lambda: NUMPY_PRODUCTS[name](a, b, **kwargs), lambda: getattr(gpudot, name)(a, b, **kwargs)
    )
    with pytest.raises(Exception) as numpy_error:
        NUMPY_PRODUCTS[name](a, b, **kwargs)
    assert message.startswith(f"{name}: ") and message != str(numpy_error.value)


# --- routes --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["vecdot", "matvec", "vecmat"])
@pytest.mark.parametrize("dtype", ["int64", "float64", "complex128"])
def test_documented_reference_matches_numpy(name, dtype):
    if not hasattr(np, name):
        pytest.skip(f"NumPy {np.__version__} has no {name}")
    reference = {"vecdot": ref_vecdot, "matvec": ref_matvec, "vecmat": ref_vecmat}[name]
    a = make((4, 3) if name != "matvec" else (4, 2, 3), dtype, 1)
    b = make((4, 3) if name == "vecdot" else ((3,) if name == "matvec" else (3, 2)), dtype, 2)
    np.testing.assert_allclose(reference(a, b), getattr(np, name)(a, b), rtol=1e-12)


@pytest.mark.parametrize("name", ["vecdot", "matvec", "vecmat"])
@pytest.mark.parametrize("dtype", ["int64", "float64", "complex128", "bool"])
def test_without_numpys_function_gpudot_follows_the_reference(monkeypatch, name, dtype):
    reference = {"vecdot": ref_vecdot, "matvec": ref_matvec, "vecmat": ref_vecmat}[name]
    a = make((4, 3) if name != "matvec" else (4, 2, 3), dtype, 1)
    b = make((4, 3) if name == "vecdot" else ((3,) if name == "matvec" else (3, 2)), dtype, 2)
    expected = reference(a, b)
    if dtype == "bool":
        expected = expected.astype(bool)
    monkeypatch.delattr(np, name, raising=False)
    with gpudot.use_backend("numpy"):
        result = getattr(gpudot, name)(a, b)
    np.testing.assert_allclose(result, expected, rtol=1e-12)
    assert result.dtype == expected.dtype
