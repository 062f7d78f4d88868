"""The precision setting: default, process and scoped choices, the per-call keyword."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import gpudot
from gpudot._config import precision as _precision
from gpudot.backends import lookup
from gpudot.backends.numpy._backend import NumpyBackend


@pytest.fixture(autouse=True)
def restore_default_precision():
    saved = _precision._PRECISION.default
    yield
    _precision._PRECISION.default = saved


class PrecisionRecorder(NumpyBackend):
    """The NumPy backend, noting the precision in effect while it computes."""

    name = "precision-recorder"

    def __init__(self) -> None:
        self.seen: list[str] = []

    def matmul(self, x1, x2, out=None, dtype=None):
        self.seen.append(_precision.current_precision())
        return super().matmul(x1, x2, out, dtype)

    def dot(self, a, b, out=None):
        self.seen.append(_precision.current_precision())
        return super().dot(a, b, out)


@pytest.fixture
def recorder():
    backend = PrecisionRecorder()
    with gpudot.use_backend(backend):
        yield backend


def test_default_is_highest():
    assert gpudot.get_precision() == "highest"


def test_set_and_use(recorder):
    assert gpudot.set_precision("tf32") == "tf32"
    with gpudot.use_precision("fast"):
        gpudot.matmul(np.eye(2), np.eye(2))
    gpudot.dot(np.eye(2), np.eye(2))
    assert recorder.seen == ["fast", "tf32"]
    assert gpudot.get_precision() == "tf32"


@pytest.mark.parametrize("func", [gpudot.matmul, gpudot.dot])
def test_per_call_keyword_applies_to_that_call_only(recorder, func):
    a = np.arange(6.0).reshape(2, 3)
    result = func(a, a.T, precision="tf32")
    func(a, a.T)
    assert recorder.seen == ["tf32", "highest"]
    np.testing.assert_array_equal(result, np.matmul(a, a.T))


@pytest.mark.parametrize("bad", ["TF32", "low", None, 3])
def test_unknown_precision_names_the_valid_ones(bad):
    with pytest.raises(ValueError, match="'highest', 'tf32', 'fast'"):
        gpudot.set_precision(bad)
    assert gpudot.get_precision() == "highest"


def test_bad_per_call_keyword_raises_before_computing(recorder):
    with pytest.raises(ValueError, match="unknown precision 'exact'"):
        gpudot.matmul(np.eye(2), np.eye(2), precision="exact")
    assert recorder.seen == []


def test_use_precision_does_not_leak_across_threads():
    seen = {}
    inside, release = threading.Event(), threading.Event()

    def worker():
        with gpudot.use_precision("fast"):
            inside.set()
            release.wait(5)
            seen["worker"] = gpudot.get_precision()

    thread = threading.Thread(target=worker)
    thread.start()
    inside.wait(5)
    seen["main"] = gpudot.get_precision()
    release.set()
    thread.join()
    assert seen == {"worker": "fast", "main": "highest"}


@pytest.mark.parametrize("precision", _precision.PRECISIONS)
def test_numpy_backend_float32_bits_are_numpys_in_every_mode(precision):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 33, 17), np.float32), rng.standard_normal((17, 9), np.float32)
    with gpudot.use_backend(lookup("numpy")):
        result = gpudot.matmul(a, b, precision=precision)
    assert result.tobytes() == np.matmul(a, b).tobytes()
