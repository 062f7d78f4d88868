"""CuPy facts behind issue #11 (precision, memory, timing), on the stand-in and on real CuPy.

The stand-in's ``cupy._core`` compute types, ``runtime.deviceSynchronize``, ``cuda.Event`` /
``get_elapsed_time``, ``ndarray.set`` and the pool's limit in ``memGetInfo`` terms were added for
gpudot's precision setting, out-of-memory policy, profiler and self-test; each is pinned here.
"""

from __future__ import annotations

import numpy as np
import pytest

TF32_ONLY = 1 + 2.0**-20  # a float32 number that TF32's 10-bit mantissa rounds to 1


@pytest.fixture
def restore_compute_type(cp):
    saved = cp._core.get_compute_type(np.float32)
    yield cp._core._routines_linalg
    cp._core.set_compute_type(np.float32, saved)


def test_compute_type_constants(any_cp):
    constants = any_cp._core._routines_linalg
    assert (constants.COMPUTE_TYPE_DEFAULT, constants.COMPUTE_TYPE_TF32) == (1, 7)
    assert constants.COMPUTE_TYPE_PEDANTIC == 2


def test_float32_and_complex64_share_one_compute_type(cp, restore_compute_type):
    cp._core.set_compute_type(np.complex64, restore_compute_type.COMPUTE_TYPE_TF32)
    assert cp._core.get_compute_type(np.float32) == restore_compute_type.COMPUTE_TYPE_TF32
    cp._core.set_compute_type(np.float32, restore_compute_type.COMPUTE_TYPE_DEFAULT)
    assert cp._core.get_compute_type(np.complex64) == restore_compute_type.COMPUTE_TYPE_DEFAULT


def test_default_compute_type_keeps_all_float32_bits(cp, restore_compute_type):
    cp._core.set_compute_type(np.float32, restore_compute_type.COMPUTE_TYPE_DEFAULT)
    a = cp.asarray(np.full((8, 16), TF32_ONLY, np.float32))
    result = cp.asnumpy(cp.matmul(a, cp.asarray(np.ones((16, 8), np.float32))))
    assert np.all(result == np.float32(16 * TF32_ONLY))


def test_tf32_compute_type_rounds_2d_inputs_but_not_batches(cp, restore_compute_type):
    if int(cp.cuda.Device().compute_capability) < 80:
        pytest.skip("TF32 needs compute capability 8.0 or newer")
    cp._core.set_compute_type(np.float32, restore_compute_type.COMPUTE_TYPE_TF32)
    a2 = cp.asarray(np.full((8, 16), TF32_ONLY, np.float32))
    b2 = cp.asarray(np.ones((16, 8), np.float32))
    assert np.all(cp.asnumpy(cp.matmul(a2, b2)) == 16)
    a3 = cp.asarray(np.full((2, 8, 16), TF32_ONLY, np.float32))
    b3 = cp.asarray(np.ones((2, 16, 8), np.float32))
    assert np.all(cp.asnumpy(cp.matmul(a3, b3)) == np.float32(16 * TF32_ONLY))


def test_events_time_work_in_milliseconds(cp):
    start, end = cp.cuda.Event(), cp.cuda.Event()
    start.record()
    cp.matmul(cp.zeros((64, 64)), cp.zeros((64, 64)))
    end.record()
    end.synchronize()
    cp.cuda.runtime.deviceSynchronize()
    assert 0 <= cp.cuda.get_elapsed_time(start, end) < 10_000


def test_set_copies_host_data_in_place(cp):
    x = cp.zeros((2, 3))
    x.set(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(cp.asnumpy(x), np.arange(6.0).reshape(2, 3))


def test_pool_limit_raises_out_of_memory_and_is_a_memory_error(cp):
    pool = cp.get_default_memory_pool()
    saved = pool.get_limit()
    pool.set_limit(size=pool.used_bytes() + 1024)
    try:
        oom = cp.cuda.memory.OutOfMemoryError
        with pytest.raises(oom, match="Out of memory allocating") as info:
            cp.zeros((1024, 1024))
        assert isinstance(info.value, MemoryError)
    finally:
        pool.set_limit(size=saved)
