"""Each backend's declared exactness (`Backend.exactness`) and the shipped suite reading it.

The NumPy backend declares NumPy's bits for every dtype; the CUDA backend bits for integers and
bool and the summation-order bound for every float; a third-party backend that declares nothing
gets the conservative default (floats within the bound). The oracle asserts bits where a backend
declares bits, so a wrong declaration fails: over the stand-in, which sums floats in an order
other than NumPy's as cuBLAS does, a demand for NumPy's float bits fails in CI.
"""

from __future__ import annotations

import fakecupy
import numpy as np
import pytest

import gpudot
from gpudot._dtypes import NUMERIC_DTYPES
from gpudot.backends import Backend, Exactness, lookup
from gpudot.backends.cupy._backend import CupyBackend
from gpudot.testing import assert_matches_numpy
from gpudot.testing._oracle import check, check_bits

FLOATS = [np.dtype(n) for n in ("float16", "float32", "float64", "complex64", "complex128")]
EXACT = sorted((d for d in NUMERIC_DTYPES if d.kind in "biu"), key=str)


class _Minimal(Backend):
    """A third-party backend that declares nothing about exactness."""

    name = "minimal"
    device = "cpu"
    xp = np

    def unavailable_reason(self) -> None:
        return None

    def locate(self, x: object) -> str | None:
        return "cpu" if isinstance(x, np.ndarray) else None

    def from_host(self, x: np.ndarray) -> np.ndarray:
        return x

    def to_numpy(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x)


def _standin(bit_exact_floats: frozenset[np.dtype] | None = frozenset()) -> CupyBackend:
    backend = CupyBackend(module=fakecupy, name="cupy-standin")
    backend.bit_exact_floats = bit_exact_floats
    return backend


@pytest.mark.parametrize("dtype", [*EXACT, *FLOATS], ids=str)
def test_numpy_backend_declares_bits_for_every_dtype(dtype):
    assert lookup("numpy").exactness(dtype) is Exactness.BITS


def test_numpy_backend_declares_bits_for_bfloat16():
    ml_dtypes = pytest.importorskip("ml_dtypes")
    assert lookup("numpy").exactness(ml_dtypes.bfloat16) is Exactness.BITS
    assert _Minimal().exactness(ml_dtypes.bfloat16) is Exactness.BOUND


@pytest.mark.parametrize("declarer", [CupyBackend(), _Minimal()], ids=["cuda", "third-party"])
def test_cuda_and_the_default_declare_bits_for_integers_and_bool_the_bound_for_floats(declarer):
    assert [declarer.exactness(d) for d in EXACT] == [Exactness.BITS] * len(EXACT)
    assert [declarer.exactness(d) for d in FLOATS] == [Exactness.BOUND] * len(FLOATS)


def test_a_backend_declares_bits_for_the_floats_it_lists():
    backend = _Minimal()
    backend.bit_exact_floats = frozenset({np.dtype("float16")})
    assert backend.exactness("float16") is Exactness.BITS
    assert backend.exactness(np.float32) is Exactness.BOUND
    backend.bit_exact_floats = None
    assert backend.exactness(np.complex64) is Exactness.BITS


def test_the_bound_names_its_formula():
    assert "(2K + 1) * eps * (|a| @ |b|) + tiny" in Exactness.BOUND.value


def _one_ulp_off(expected: np.ndarray) -> np.ndarray:
    return np.nextafter(expected, np.inf).astype(expected.dtype)


def test_declared_bits_are_demanded_even_with_a_bound():
    expected = np.array([1.0, 2.0], np.float32)
    off = _one_ulp_off(expected)
    loose = np.full(2, 1.0)
    assert_matches_numpy(off, expected, _Minimal(), bound=loose)
    bits = _Minimal()
    bits.bit_exact_floats = frozenset({np.dtype("float32")})
    with pytest.raises(AssertionError, match="differ from NumPy's bits"):
        assert_matches_numpy(off, expected, bits, bound=loose)


def test_the_standin_sums_float32_in_another_order_so_demanding_bits_fails():
    """A test demanding NumPy's float bits from the CUDA backend fails in CI, as on a GPU."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((64, 512), np.float32), rng.standard_normal((512, 64), np.float32)
    with fakecupy.simulate(), gpudot.use_backend(_standin()) as backend:
        result = gpudot.matmul(a, b)
        with pytest.raises(AssertionError, match="differ from NumPy's bits"):
            assert_matches_numpy(result, np.matmul(a, b), backend)
        check(backend, "matmul", a, b)  # within the declared bound


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "complex128"])
def test_a_standin_backend_wrongly_declaring_float_bits_fails_the_suite(dtype):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((3, 40, 300)).astype(dtype)
    b = rng.standard_normal((300, 40)).astype(dtype)
    with fakecupy.simulate():
        with gpudot.use_backend(_standin(frozenset({np.dtype(dtype)}))) as backend:
            with pytest.raises(AssertionError, match="differ from NumPy's bits"):
                check_bits(backend, "matmul", a, b)
        with gpudot.use_backend(_standin()) as backend:
            check_bits(backend, "matmul", a, b)
            check_bits(backend, "dot", a, b)


def test_integer_results_stay_bits_on_the_cuda_backend():
    a = np.full((4, 300), 127, np.int8)
    with fakecupy.simulate(), gpudot.use_backend(_standin()) as backend:
        check_bits(backend, "matmul", a, a.T)  # 300 * 127 * 127 wraps in int8
        check_bits(backend, "dot", a[0], a[1])
