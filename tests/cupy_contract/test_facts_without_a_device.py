"""CuPy facts that hold without a GPU: checked against the installed wheel in CI too.

``any_cp`` runs on the real wheel (GPU or not) and the stand-in; ``nodriver_cp`` on the real
wheel where no driver is usable and on the stand-in simulating that machine.
"""

from __future__ import annotations

import inspect
from importlib import metadata

import numpy as np
import pytest

SIGNATURES = {
    "asarray": {"dtype": None, "order": None, "blocking": False},
    "asnumpy": {"stream": None, "order": "C", "out": None, "blocking": True},
}


def _defaults(func: object) -> dict[str, object]:
    """Parameter defaults, from the embedded signature line of a Cython method if need be."""
    try:
        parameters = inspect.signature(func).parameters  # type: ignore[arg-type]
    except ValueError:  # Cython: "_ndarray_base.get(self, stream=None, ...)" opens the docstring
        line = func.__doc__.strip().splitlines()[0]  # type: ignore[union-attr]
        namespace: dict[str, object] = {}
        exec(f"def f{line[line.index('(') :]}: pass", namespace)
        parameters = inspect.signature(namespace["f"]).parameters  # type: ignore[arg-type]
    return {name: p.default for name, p in parameters.items()}


@pytest.mark.parametrize("func", SIGNATURES)
def test_transfer_signatures_and_defaults(any_cp, func):
    defaults = _defaults(getattr(any_cp, func))
    assert {name: defaults[name] for name in SIGNATURES[func]} == SIGNATURES[func]


def test_get_signature_and_defaults(any_cp):
    defaults = _defaults(any_cp.ndarray.get)
    expected = {"stream": None, "order": "C", "out": None, "blocking": True}
    assert {name: defaults[name] for name in expected} == expected


def test_error_classes_and_their_bases(any_cp):
    assert issubclass(any_cp.cuda.memory.OutOfMemoryError, MemoryError)
    assert issubclass(any_cp.cuda.runtime.CUDARuntimeError, RuntimeError)
    compile_error = any_cp.cuda.compiler.CompileException
    assert compile_error.__bases__ == (Exception,)
    assert not issubclass(compile_error, RuntimeError)


@pytest.mark.parametrize("limit", [0, 2048])
def test_out_of_memory_message(any_cp, limit):
    cupy = pytest.importorskip("cupy")
    real = cupy.cuda.memory.OutOfMemoryError(1024, 512, limit)
    assert str(any_cp.cuda.memory.OutOfMemoryError(1024, 512, limit)) == str(real)


def test_runtime_error_status_and_message(any_cp):
    error = any_cp.cuda.runtime.CUDARuntimeError(35)
    assert error.status == 35
    assert str(error).startswith("cudaErrorInsufficientDriver: ")


def test_matmul_type_check_runs_before_any_device_call(any_cp):
    with pytest.raises(TypeError, match="Argument 'a' has incorrect type"):
        any_cp.matmul(np.ones((2, 2)), np.ones((2, 2)))


def test_device_objects_are_not_validated_until_used(any_cp):
    assert any_cp.cuda.Device(5).id == 5


def test_null_stream_exists_without_a_driver(any_cp):
    assert any_cp.cuda.Stream.null is not None


def test_is_available_is_false_and_never_raises(nodriver_cp):
    assert nodriver_cp.is_available() is False
    assert nodriver_cp.cuda.is_available() is False


@pytest.mark.parametrize(
    "call",
    [
        lambda cp: cp.zeros(1),
        lambda cp: cp.empty((0,)),
        lambda cp: cp.asarray(np.ones(2)),
        lambda cp: cp.cuda.runtime.getDeviceCount(),
        lambda cp: cp.cuda.Device(0).use(),
    ],
    ids=["zeros", "empty-0", "asarray", "getDeviceCount", "Device.use"],
)
def test_first_runtime_call_raises_insufficient_driver(nodriver_cp, call):
    error = nodriver_cp.cuda.runtime.CUDARuntimeError
    with pytest.raises(error, match="cudaErrorInsufficientDriver"):
        call(nodriver_cp)


def test_runtime_version_needs_no_driver(any_cp):
    assert any_cp.cuda.runtime.runtimeGetVersion() // 1000 in (12, 13)


def test_runtime_version_is_the_wheels_cuda_major():
    cupy = pytest.importorskip("cupy")
    major = cupy.cuda.runtime.runtimeGetVersion() // 1000
    assert f"cupy-cuda{major}x" in metadata.packages_distributions()["cupy"]


def test_driver_version_is_zero_without_a_driver(nodriver_cp):
    assert nodriver_cp.cuda.runtime.driverGetVersion() == 0
