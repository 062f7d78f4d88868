"""TF32 never leaks into a ``"highest"`` product (issue #27, item 8), over the CuPy stand-in.

CuPy 14.2 keeps one process-wide compute type for float32 and complex64 GEMMs, reads
``CUPY_TF32`` into it at the first read, and refuses TF32 below compute capability 8.0 with a
warning (``cupy/_core/_routines_linalg.pyx``). Every product gpudot runs on CuPy sets that slot for
its own precision and holds it under one lock; calibration's GEMMs too.
"""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest
from fakecupy._core import _routines_linalg as ct

import gpudot
from gpudot._dispatch import calibration as _calibration

TF32, DEFAULT = ct.COMPUTE_TYPE_TF32, ct.COMPUTE_TYPE_DEFAULT
NOT_TF32 = np.float32(1 + 2.0**-20)  # a float32 number that TF32's 10-bit mantissa rounds to 1


def _tf32_only(shape=(8, 16)):
    """Operands whose float32 product is exact and whose TF32 product is not."""
    return np.full(shape, NOT_TF32, np.float32), np.ones(shape[::-1], np.float32)


def test_cupy_tf32_in_the_environment_leaves_highest_exact(standin, monkeypatch):
    monkeypatch.setenv("CUPY_TF32", "1")
    ct.compute_types[2] = ct.COMPUTE_TYPE_TBD  # CuPy reads CUPY_TF32 at the first read
    a, b = _tf32_only()
    with gpudot.use_backend(standin.backend):
        result = standin.xp.asnumpy(gpudot.matmul(a, b))
    np.testing.assert_array_equal(result, np.matmul(a, b))
    assert standin.xp._core.get_compute_type(np.float32) == TF32  # CuPy's choice, restored


def _slot_seen_by_a_product(backend, dtype):
    """The float32/complex64 compute type a product with result ``dtype`` runs under."""
    seen = []

    def record(xp, a, b, loop, **index_limit):
        seen.append(ct.get_compute_type(np.float32))

    backend.compute(record, 0, 0, dtype)
    return seen[0]


@pytest.mark.parametrize("precision", ["highest", "tf32", "fast"])
def test_every_product_holds_the_compute_type_of_its_precision(standin, precision):
    """Products of other dtypes run float32 GEMMs too (the exact routes, float16 in float32)."""
    standin.xp._core.set_compute_type(np.float32, TF32)  # CUPY_TF32=1, or another thread's
    with gpudot.use_precision(precision):
        seen = {
            dtype: _slot_seen_by_a_product(standin.backend, np.dtype(dtype))
            for dtype in standin.backend.supported_dtypes
        }
    tf32 = {"float32", "complex64"} if precision != "highest" else set()
    assert {np.dtype(dtype).name for dtype, slot in seen.items() if slot == TF32} == tf32
    assert set(seen.values()) <= {TF32, DEFAULT}
    assert ct.get_compute_type(np.float32) == TF32  # restored


def test_a_tf32_product_in_one_thread_never_reaches_another_threads_products(standin):
    a, b = _tf32_only()
    wrong = []

    def work(precision, dtype):
        with gpudot.use_backend(standin.backend), gpudot.use_precision(precision):
            for _ in range(40):
                if dtype == "float32":
                    result = standin.xp.asnumpy(gpudot.matmul(a, b))
                    if np.array_equal(result, np.matmul(a, b)) == (precision == "tf32"):
                        wrong.append((precision, dtype))
                elif _slot_seen_by_a_product(standin.backend, np.dtype(dtype)) != DEFAULT:
                    wrong.append((precision, dtype))

    jobs = [("tf32", "float32"), ("highest", "float32"), ("tf32", "int16")] * 2
    threads = [threading.Thread(target=work, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []


def test_below_compute_capability_8_tf32_is_not_asked_for_and_the_report_says_so(standin):
    a, b = _tf32_only()
    with gpudot.use_backend(standin.backend), standin.xp.simulate(compute_capability=75):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # CuPy's warning would be an error here
            result = standin.xp.asnumpy(gpudot.matmul(a, b, precision="tf32"))
        assert standin.backend.tf32_available() is False
        assert standin.backend.compute_type(np.dtype("float32")) == DEFAULT
    np.testing.assert_array_equal(result, np.matmul(a, b))  # full float32, as CuPy would run it


def test_the_report_names_the_compute_capability_and_a_missing_tf32(standin, capsys):
    from gpudot.__main__ import main

    with standin.xp.simulate(compute_capability=75):
        main([])
    out = capsys.readouterr().out
    assert 'compute capability 7.5; no TF32: "tf32" and "fast" run in full float32' in out


def test_calibration_times_float32_in_full_float32(standin, monkeypatch):
    seen = []
    real = standin.xp.matmul

    def recording(a, b, out=None):
        if a.dtype == np.float32:
            seen.append(ct.get_compute_type(np.float32))
        return real(a, b, out)

    standin.xp._core.set_compute_type(np.float32, TF32)
    monkeypatch.setattr(standin.xp, "matmul", recording)
    monkeypatch.setattr(_calibration, "GPU_SIZE", 8)
    monkeypatch.setattr(_calibration, "TRANSFER_BYTES", 1024)
    _calibration.measure_gpu(standin.backend, repeats=1)
    assert seen and set(seen) == {DEFAULT}
    assert ct.get_compute_type(np.float32) == TF32
