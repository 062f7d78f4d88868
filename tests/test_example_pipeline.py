"""examples/two_layer_network.py runs unchanged on the NumPy backend and on the CuPy stand-in, and
every product it hands to NumPy code is a NumPy array with NumPy's values.

Every product the example calls is recorded (its module's ``gpudot`` is replaced by a recorder
that passes each call on to gpudot) and checked against ``np.matmul`` on the same operands:
the exact type ``numpy.ndarray``, NumPy's dtype and shape, integers bit for bit, floats as the
backend declares (`gpudot.backends.Backend.exactness`, read by the shipped suite's
`declared_bound`): NumPy's bits on the NumPy backend, the summation-order bound on the CUDA one.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import gpudot
from gpudot._core.comparison import mismatch
from gpudot.backends import lookup
from gpudot.testing._oracle import declared_bound

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "two_layer_network.py"
SMALL = ["--samples", "256", "--features", "16", "--hidden", "32", "--classes", "4"]
SMALL += ["--epochs", "5", "--bench", "48", "--repeats", "1"]


class Recorder:
    """gpudot, with each ``matmul`` call recorded: copies of its operands (the pipeline updates
    its weights in place afterwards), in their memory layout (BLAS may sum a transposed view in
    another order than a C-ordered copy), and its result."""

    def __init__(self) -> None:
        self.calls: list[tuple[np.ndarray, np.ndarray, dict[str, Any], Any]] = []

    def matmul(self, a: Any, b: Any, **kwargs: Any) -> Any:
        assert type(a) is np.ndarray and type(b) is np.ndarray  # the pipeline's own data
        result = gpudot.matmul(a, b, **kwargs)
        self.calls.append((a.copy(order="K"), b.copy(order="K"), kwargs, result))
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(gpudot, name)


def load_example() -> Any:
    spec = importlib.util.spec_from_file_location("two_layer_network", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def restore_backend():
    previous = gpudot.get_backend()
    yield
    gpudot.set_backend(previous)


@pytest.mark.parametrize("name", ["numpy", "cupy-standin"])
def test_pipeline_hands_numpy_arrays_with_numpys_values(name, monkeypatch, restore_backend):
    example = load_example()
    recorder = Recorder()
    monkeypatch.setattr(example, "gpudot", recorder)
    summary = example.main(["--backend", name, *SMALL])
    assert gpudot.get_backend().name == name
    assert 0 <= summary["int8_accuracy"] <= 1 and np.isfinite(summary["loss"])
    kinds = {(a.dtype.name, str(kwargs.get("dtype"))) for a, _, kwargs, _ in recorder.calls}
    assert ("float32", "None") in kinds and ("int8", "<class 'numpy.int32'>") in kinds
    for a, b, kwargs, result in recorder.calls:
        assert type(result) is np.ndarray, f"{name} gave a {type(result)} to NumPy code"
        expected = np.matmul(a, b, **kwargs)
        assert result.dtype == expected.dtype and result.shape == expected.shape
        bound = declared_bound(lookup(name), "matmul", a, b, expected.dtype, kwargs)
        problem = mismatch(result, expected, bound)
        assert problem is None, problem


def test_backend_comes_from_the_environment(monkeypatch, restore_backend):
    monkeypatch.setenv("GPUDOT_BACKEND", "cupy-standin")
    example = load_example()
    example.main(SMALL)
    assert gpudot.get_backend().name == "cupy-standin"
