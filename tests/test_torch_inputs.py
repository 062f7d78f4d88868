"""PyTorch tensors as operands: tensors back with NumPy's results, a clear refusal of autograd,
bfloat16 zero-copy.

NumPy is the oracle: every input is built in NumPy first, the tensor shares its memory
(``torch.from_numpy``), and the expected result is NumPy's function on the NumPy array. Only CPU
tensors are tested; no GPU is assumed.
"""

from __future__ import annotations

import subprocess
import sys

import fakecupy
import numpy as np
import pytest

import gpudot
from gpudot.backends import lookup
from gpudot.backends.cupy._backend import CupyBackend

torch = pytest.importorskip("torch")

#: NumPy 2 warns that torch's ``__array__`` takes no ``copy`` keyword whenever one of NumPy's own
#: functions (the oracle here) reads a tensor.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

#: name -> (gpudot's function, NumPy's, the operands' shapes); each function takes two operands.
FAMILY = {
    "dot": (gpudot.dot, np.dot, (5, 7), (7, 3)),
    "matmul": (gpudot.matmul, np.matmul, (2, 5, 7), (7, 3)),
    "vdot": (gpudot.vdot, np.vdot, (4, 6), (4, 6)),
    "inner": (gpudot.inner, np.inner, (5, 7), (3, 7)),
    "outer": (gpudot.outer, np.outer, (5,), (3,)),
    "tensordot": (gpudot.tensordot, np.tensordot, (3, 4, 5), (4, 5, 2)),
    "vecdot": (gpudot.vecdot, np.vecdot, (3, 7), (7,)),
    "matvec": (gpudot.matvec, np.matvec, (5, 7), (7,)),
    "vecmat": (gpudot.vecmat, np.vecmat, (7,), (7, 5)),
    "multi_dot": (
        lambda a, b: gpudot.linalg.multi_dot([a, b]),
        lambda a, b: np.linalg.multi_dot([a, b]),
        (5, 7),
        (7, 3),
    ),
}
#: The operands' names, as gpudot's messages name them.
ARGNAMES = {
    **dict.fromkeys(["dot", "vdot", "inner", "outer", "tensordot"], ("a", "b")),
    **dict.fromkeys(["matmul", "vecdot", "matvec", "vecmat"], ("x1", "x2")),
    "multi_dot": ("arrays[0]", "arrays[1]"),
}


def operands(shapes, dtype=np.float32):
    rng = np.random.default_rng(17)
    return [rng.standard_normal(shape).astype(dtype) for shape in shapes]


def assert_same(result, expected):
    assert type(result) is type(expected)
    assert result.dtype == expected.dtype and result.shape == expected.shape
    assert np.asarray(result).tobytes() == np.asarray(expected).tobytes()


def assert_same_tensor(result, expected):
    """``result`` is a CPU tensor holding NumPy's ``expected``: dtype, shape and bits."""
    expected = np.asarray(expected)
    assert isinstance(result, torch.Tensor) and result.device.type == "cpu"
    if expected.dtype.name == "bfloat16":
        assert result.dtype is torch.bfloat16
        result, expected = result.view(torch.int16), expected.view(np.int16)
    assert result.numpy().dtype == expected.dtype and tuple(result.shape) == expected.shape
    assert result.numpy().tobytes() == expected.tobytes()


@pytest.mark.parametrize("backend_name", ["numpy", "dask", "cupy-standin"])
@pytest.mark.parametrize("name", FAMILY)
def test_tensors_give_tensors_with_numpys_result(name, backend_name):
    func, numpy_func, *shapes = FAMILY[name]
    a, b = operands(shapes, np.int32)  # integers: the same bits on every backend
    with gpudot.use_backend(backend_name):
        assert_same_tensor(func(torch.from_numpy(a), torch.from_numpy(b)), numpy_func(a, b))


@pytest.mark.parametrize("name", FAMILY)
def test_float_tensors_give_numpys_bits_on_the_numpy_backend(name):
    func, numpy_func, *shapes = FAMILY[name]
    a, b = operands(shapes)
    assert_same_tensor(func(torch.from_numpy(a), torch.from_numpy(b)), numpy_func(a, b))


def test_a_tensor_beside_a_numpy_array_gives_a_tensor():
    a, b = operands([(3, 4), (4, 2)])
    assert_same_tensor(gpudot.matmul(a, torch.from_numpy(b)), a @ b)
    assert_same_tensor(gpudot.matmul(torch.from_numpy(a), b), a @ b)


def test_a_dtype_torch_cannot_hold_is_a_type_error_naming_it():
    wide = np.ones(3, np.longdouble)
    with pytest.raises(TypeError, match=f"dtype {wide.dtype}, which torch cannot hold"):
        gpudot.dot(torch.ones(3, dtype=torch.float64), wide)


def test_tensor_results_of_the_numpy_backend_share_its_memory(monkeypatch):
    """The host result becomes a tensor zero-copy (DLPack), not a copy."""
    made = []
    numpy_matmul = np.matmul

    def recording(*args, **kwargs):
        made.append(numpy_matmul(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr("gpudot.backends.numpy._backend._np_matmul", recording)
    a, b = operands([(3, 4), (4, 2)])
    result = gpudot.matmul(torch.from_numpy(a), torch.from_numpy(b))
    assert len(made) == 1 and result.data_ptr() == made[0].__array_interface__["data"][0]


@pytest.mark.parametrize("backend_name", ["numpy", "dask"])
@pytest.mark.parametrize("position", [0, 1])
@pytest.mark.parametrize("name", FAMILY)
def test_requires_grad_is_refused_naming_detach(name, position, backend_name):
    func, numpy_func, *shapes = FAMILY[name]
    tensors = [torch.from_numpy(x) for x in operands(shapes)]
    tensors[position].requires_grad_(True)
    with pytest.raises(RuntimeError) as numpys:  # what NumPy's own function raises, via torch
        numpy_func(*tensors)
    with gpudot.use_backend(backend_name), pytest.raises(gpudot.AutogradError) as info:
        func(*tensors)
    assert isinstance(info.value, TypeError) and isinstance(info.value, RuntimeError)
    message, argname = str(info.value), ARGNAMES[name][position]
    assert message.startswith(f"{numpys.value}\n{argname} is a torch.Tensor with requires_grad")
    assert "autograd does not flow through gpudot" in message
    assert f"{argname}.detach()" in message


def test_parameters_are_refused_and_detached_ones_are_taken():
    weight = torch.nn.Parameter(torch.from_numpy(operands([(4, 3)])[0]))
    x = operands([(2, 4)])[0]
    with pytest.raises(gpudot.AutogradError, match=r"x2\.detach\(\)"):
        gpudot.matmul(x, weight)
    assert_same_tensor(gpudot.matmul(x, weight.detach()), np.matmul(x, weight.detach().numpy()))


def test_requires_grad_is_refused_before_a_device_import():
    cuda = CupyBackend(module=fakecupy, name="cupy-standin")
    with pytest.raises(gpudot.AutogradError, match="requires_grad=True"):
        cuda.asarray(torch.ones(3, requires_grad=True), "a")


def bfloat16_pair(shapes):
    """Operands as ml_dtypes bfloat16 arrays, and tensors sharing their memory."""
    ml_dtypes = pytest.importorskip("ml_dtypes")
    arrays = operands(shapes, ml_dtypes.bfloat16)
    tensors = [torch.from_numpy(x.view(np.int16)).view(torch.bfloat16) for x in arrays]
    return arrays, tensors


@pytest.mark.parametrize("name", FAMILY)
def test_bfloat16_tensors_give_numpys_bits(name):
    func, numpy_func, *shapes = FAMILY[name]
    arrays, tensors = bfloat16_pair(shapes)
    assert_same_tensor(func(*tensors), numpy_func(*arrays))


@pytest.mark.parametrize("shape", [(256, 256), (64, 2048)], ids=str)
def test_large_bfloat16_tensors_take_the_exact_route_with_numpys_bits(shape):
    arrays, tensors = bfloat16_pair([shape, shape[::-1]])
    assert_same_tensor(gpudot.dot(*tensors), np.dot(*arrays))
    assert_same_tensor(gpudot.matmul(*tensors), np.matmul(*arrays))


@pytest.mark.parametrize("layout", ["contiguous", "transposed", "strided"])
def test_bfloat16_tensor_is_taken_zero_copy(layout):
    (array,), (tensor,) = bfloat16_pair([(6, 8)])
    view = {"contiguous": tensor, "transposed": tensor.T, "strided": tensor[::2, 1::3]}[layout]
    taken = gpudot.asarray(view)
    expected = {"contiguous": array, "transposed": array.T, "strided": array[::2, 1::3]}[layout]
    assert np.shares_memory(taken, array)
    assert taken.__array_interface__["data"][0] == view.data_ptr()
    assert taken.strides == expected.strides
    assert_same(taken, expected)
    numpy_backend = lookup("numpy")
    assert np.shares_memory(numpy_backend._operand(view, "a"), array)


def test_bfloat16_without_ml_dtypes_is_numpys_type_error_naming_the_extra(monkeypatch):
    tensor = torch.ones(2, 2, dtype=torch.bfloat16)
    with pytest.raises(TypeError) as numpy_error:
        np.dot(tensor, tensor)
    monkeypatch.setitem(sys.modules, "ml_dtypes", None)  # import ml_dtypes now fails
    with pytest.raises(TypeError) as info:
        gpudot.dot(tensor, tensor)
    message = str(info.value)
    assert message.startswith(str(numpy_error.value))
    assert "ml_dtypes" in message and 'pip install "gpudot[bfloat16]"' in message


def test_gpudot_never_imports_torch():
    code = "import sys, gpudot; gpudot.dot([1, 2], [3, 4]); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
