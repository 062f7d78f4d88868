"""The rule of every backend: the backend decides where the arithmetic runs; the operands decide
what comes back.

For every product and every backend (a third-party one included): host operands (NumPy arrays,
lists, Python and NumPy scalars) give NumPy's kind (a NumPy scalar exactly where NumPy gives
one); the backend's own arrays give its arrays; a mix of host data and the backend's arrays gives
the backend's array; PyTorch tensors give tensors on their device (where torch is installed);
``out=`` is returned. Values and dtypes are NumPy's: the operands are integers, exact on every
backend.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import gpudot
from gpudot.backends import Backend
from gpudot.testing._inputs import make, supported
from gpudot.testing._oracle import NUMPY_PRODUCTS, assert_host_kind, assert_matches_numpy


def _multi_dot(*arrays: Any) -> Any:
    return gpudot.linalg.multi_dot(list(arrays))


def _numpy_multi_dot(*arrays: Any) -> Any:
    return np.linalg.multi_dot(list(arrays))


#: name -> (gpudot's function, NumPy's, operand shapes of an array result, of a 0-d result).
PRODUCTS: dict[str, tuple[Callable[..., Any], Callable[..., Any], Any, Any]] = {
    **{
        name: (getattr(gpudot, name), NUMPY_PRODUCTS[name], shapes, scalar)
        for name, shapes, scalar in [
            ("dot", ((3, 4), (4, 2)), ((4,), (4,))),
            ("matmul", ((2, 3, 4), (4, 2)), ((4,), (4,))),
            ("vdot", ((3, 4), (3, 4)), ((4,), (4,))),
            ("inner", ((3, 4), (2, 4)), ((4,), (4,))),
            ("outer", ((3,), (4,)), None),
            ("tensordot", ((2, 3, 4), (3, 4, 5)), ((3, 4), (3, 4))),
            ("vecdot", ((3, 4), (4,)), ((4,), (4,))),
            ("matvec", ((3, 4), (4,)), None),
            ("vecmat", ((3,), (3, 4)), None),
        ]
    },
    "multi_dot": (_multi_dot, _numpy_multi_dot, ((3, 4), (4, 2), (2, 5)), ((4,), (4, 3), (3,))),
}

#: A dtype every product gives exactly (integers), and one more for a backend without it.
_DTYPES = ("int32", "int64", "float64")


def _dtype(backend: Backend) -> str:
    return next(d for d in _DTYPES if supported(backend, d))


def _operands(backend: Backend, shapes: Any) -> list[np.ndarray]:
    dtype = _dtype(backend)
    arrays = [make(shape, dtype, seed=i) for i, shape in enumerate(shapes)]
    if dtype.startswith("int"):  # small values: no wraparound, the same integers everywhere
        arrays = [(x % 7 - 3).astype(dtype) for x in arrays]
    return arrays


def _cases(with_scalar: bool = True) -> list[Any]:
    cases = [pytest.param(name, False, id=name) for name in PRODUCTS]
    if with_scalar:
        cases += [
            pytest.param(name, True, id=f"{name}-0d") for name in PRODUCTS if PRODUCTS[name][3]
        ]
    return cases


def _product(name: str, zero_d: bool) -> tuple[Callable[..., Any], Callable[..., Any], Any]:
    func, numpy_func, shapes, scalar_shapes = PRODUCTS[name]
    return func, numpy_func, scalar_shapes if zero_d else shapes


def _exact(
    backend: Backend, result: Any, expected: Any, arrays: list[np.ndarray], name: str
) -> None:
    """Values and dtype are NumPy's: bits, or (float64, only where a backend has no integers)
    within the summation-order bound where the backend declares one. ``result`` is on the host;
    the kinds are asserted by the callers."""
    result, expected = np.asarray(result), np.asarray(expected)
    bound = None
    if expected.dtype.kind == "f":  # `assert_matches_numpy` demands bits where declared
        magnitudes = [np.abs(x).astype(np.float64) for x in arrays]
        k = max(x.size for x in arrays)
        eps = np.finfo(np.float64).eps
        bound = (2 * k + 1) * eps * np.abs(PRODUCTS[name][1](*magnitudes)) + np.finfo(float).tiny
    assert_matches_numpy(result, expected, backend, bound=bound)


def _assert_backends_kind(backend: Backend, result: Any, expected: Any) -> None:
    """``result`` is the backend's kind: NumPy's own (scalar or array) where its arrays are
    NumPy's, else an array it owns."""
    if backend.owns(np.empty(0)):
        assert_host_kind(result, expected, backend)
    else:
        assert backend.owns(result), f"{type(result).__name__} is not an array of {backend.name}"


@pytest.mark.parametrize(("name", "zero_d"), _cases())
def test_host_operands_give_numpys_kind(backend, name, zero_d):
    func, numpy_func, shapes = _product(name, zero_d)
    arrays = _operands(backend, shapes)
    expected = numpy_func(*arrays)
    result = func(*arrays)
    assert_host_kind(result, expected, backend)
    _exact(backend, result, expected, arrays, name)


@pytest.mark.parametrize("func", ["dot", "matmul"])
def test_lists_and_scalars_give_numpys_kind(backend, func):
    if not supported(backend, "int64", "float64"):
        pytest.skip(f"{backend.name} lacks int64 or float64, the dtypes of Python's numbers")
    numpy_func, gpudot_func = getattr(np, func), getattr(gpudot, func)
    calls = [([1, 3, 5], [2, 4, 6]), ([[1, 2], [3, 4]], [[5, 6], [7, 8]])]
    if func == "dot":
        calls += [(2, [1, 2]), (np.int64(3), np.float64(0.5)), (2.5, 4)]
    for a, b in calls:
        expected = numpy_func(a, b)
        result = gpudot_func(a, b)
        assert_host_kind(result, expected, backend)
        assert_matches_numpy(result, expected, backend)


@pytest.mark.parametrize(("name", "zero_d"), _cases())
def test_the_backends_own_arrays_give_its_arrays(backend, name, zero_d):
    func, numpy_func, shapes = _product(name, zero_d)
    arrays = _operands(backend, shapes)
    expected = numpy_func(*arrays)
    result = func(*(backend.asarray(x) for x in arrays))
    _assert_backends_kind(backend, result, expected)
    _exact(backend, backend.to_numpy(result), expected, arrays, name)


@pytest.mark.parametrize("position", [0, 1])
@pytest.mark.parametrize(("name", "zero_d"), _cases(with_scalar=False))
def test_host_and_backend_operands_give_its_arrays(backend, name, zero_d, position):
    func, numpy_func, shapes = _product(name, zero_d)
    arrays = _operands(backend, shapes)
    expected = numpy_func(*arrays)
    mixed: list[Any] = list(arrays)
    mixed[position] = backend.asarray(arrays[position])
    result = func(*mixed)
    _assert_backends_kind(backend, result, expected)
    _exact(backend, backend.to_numpy(result), expected, arrays, name)


@pytest.mark.parametrize(("name", "zero_d"), _cases())
def test_tensors_give_tensors_on_their_device(backend, name, zero_d):
    if "torch" not in sys.modules:
        pytest.importorskip("torch", reason="PyTorch is not installed: no tensors to check")
    torch = sys.modules["torch"]
    func, numpy_func, shapes = _product(name, zero_d)
    arrays = _operands(backend, shapes)
    expected = np.asarray(numpy_func(*arrays))
    tensors = [torch.from_numpy(x) for x in arrays]
    result = func(*tensors)
    assert isinstance(result, torch.Tensor), f"tensors gave a {type(result).__name__}"
    assert result.device == tensors[0].device
    host = result.numpy()
    assert host.dtype == expected.dtype and host.shape == expected.shape
    _exact(backend, host, expected, arrays, name)


@pytest.mark.parametrize("func", ["dot", "matmul"])
def test_out_is_returned(backend, func):
    arrays = _operands(backend, ((3, 4), (4, 2)))
    expected = getattr(np, func)(*arrays)
    for out in (backend.asarray(np.zeros_like(expected)), np.zeros_like(expected)):
        assert getattr(gpudot, func)(*arrays, out=out) is out
        assert_matches_numpy(out, expected, backend)
