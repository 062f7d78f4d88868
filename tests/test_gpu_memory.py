"""Out-of-memory handling on the CUDA backend, over the CuPy stand-in's device memory: its pool's
limit, a new thread's cuBLAS handle, raw ``cudaMalloc`` and another library's allocator."""

from __future__ import annotations

import sys
import threading
import warnings

import numpy as np
import pytest

import gpudot
from gpudot._config import out_of_memory as _memory

MiB = 1 << 20


@pytest.fixture(autouse=True)
def restore_policy():
    saved = _memory._OOM_POLICY.default
    yield
    _memory._OOM_POLICY.default = saved


def test_policy_setting_is_scoped_and_validated():
    assert gpudot.get_oom_policy() == "raise"
    with gpudot.use_oom_policy("tile"):
        assert gpudot.get_oom_policy() == "tile"
    assert gpudot.set_oom_policy("cpu") == "cpu"
    with pytest.raises(ValueError, match="'raise', 'tile', 'cpu'"):
        gpudot.set_oom_policy("spill")


def test_cached_blocks_are_freed_and_the_product_retried_once(standin, monkeypatch):
    calls, frees = [], []
    real_matmul = standin.xp.matmul

    def flaky(a, b):  # memory another thread held for a moment
        calls.append(1)
        if len(calls) == 1:
            raise standin.xp.cuda.memory.OutOfMemoryError(1 << 30, 0)
        return real_matmul(a, b)

    monkeypatch.setattr(standin.xp, "matmul", flaky)
    monkeypatch.setattr(type(standin.pool), "free_all_blocks", lambda pool: frees.append(1))
    a = np.arange(12.0).reshape(3, 4)
    with gpudot.use_backend(standin.backend):
        result = gpudot.matmul(a, a.T)
    np.testing.assert_array_equal(standin.xp.asnumpy(result), a @ a.T)
    assert (len(calls), len(frees)) == (2, 1)


def test_raise_policy_names_operation_shapes_dtypes_bytes_and_device_memory(standin):
    standin.pool.set_limit(size=MiB)
    a = np.ones((300, 400), np.float32)
    b = np.ones((400, 500), np.float32)
    with gpudot.use_backend(standin.backend), pytest.raises(gpudot.DeviceMemoryError) as info:
        gpudot.matmul(a, b)
    message = str(info.value)
    assert isinstance(info.value, MemoryError)
    for part in (
        "matmul on cuda:0",
        "float32 (300, 400)",
        "float32 (400, 500)",
        "-> float32 (300, 500)",
        f"{(300 * 400 + 400 * 500 + 300 * 500) * 4:,} bytes",
        "Out of memory allocating",
        "bytes free",
        "set_oom_policy('tile')",
    ):
        assert part in message


def _operand(rng, shape, dtype):
    if dtype == "bool":
        return rng.random(shape) < 0.1
    return rng.integers(-300, 300, shape).astype(dtype)


@pytest.mark.parametrize("func", ["matmul", "dot"])
@pytest.mark.parametrize(
    "shape1, shape2",
    [
        ((192, 160), (160, 144)),
        ((6, 80, 60), (60, 100)),
        ((1, 80, 60), (5, 60, 100)),
        ((400,), (400, 300)),
        ((300, 400), (400,)),
        ((3, 40, 60), (3, 60, 50)),
    ],
    ids=["2d", "batch", "broadcast-batch", "vec-mat", "mat-vec", "stacked"],
)
@pytest.mark.parametrize("dtype", ["int16", "float32", "complex128", "bool"])
def test_tile_policy_gives_numpys_result_when_the_whole_product_does_not_fit(
    standin, func, shape1, shape2, dtype
):
    rng = np.random.default_rng(7)
    a, b = _operand(rng, shape1, dtype), _operand(rng, shape2, dtype)
    expected = getattr(np, func)(a, b)
    rounded = [-(-x.nbytes // 512) * 512 for x in (a, b, expected)]  # the pool's 512-byte blocks
    standin.pool.set_limit(size=rounded[2] + (rounded[0] + rounded[1]) // 2)  # result fits, not all
    with gpudot.use_backend(standin.backend), gpudot.use_oom_policy("raise"):
        with pytest.raises(gpudot.DeviceMemoryError):
            getattr(gpudot, func)(a, b)
    with gpudot.use_backend(standin.backend), gpudot.use_oom_policy("tile"):
        result = getattr(gpudot, func)(a, b)
    host = standin.xp.asnumpy(result)
    assert host.dtype == expected.dtype and host.shape == expected.shape
    np.testing.assert_array_equal(host, expected)


def test_tile_policy_writes_out_only_at_the_end_and_leaves_inputs_alone(standin):
    a = np.arange(256 * 192, dtype=np.int64).reshape(256, 192) % 7
    b = np.arange(192 * 128, dtype=np.int64).reshape(192, 128) % 5
    expected = a @ b
    a_copy, b_copy = a.copy(), b.copy()
    with gpudot.use_backend(standin.backend):
        out = standin.xp.zeros((256, 128), np.int64)
    standin.pool.set_limit(size=standin.pool.used_bytes() + expected.nbytes + 64 * 1024)
    with gpudot.use_backend(standin.backend), gpudot.use_oom_policy("tile"):
        returned = gpudot.matmul(a, b, out=out)
    assert returned is out
    np.testing.assert_array_equal(standin.xp.asnumpy(out), expected)
    np.testing.assert_array_equal(a, a_copy)
    np.testing.assert_array_equal(b, b_copy)


def test_tile_policy_raises_when_not_even_the_result_fits_and_out_is_untouched(standin):
    a = np.ones((64, 64))
    with gpudot.use_backend(standin.backend):
        out = standin.xp.zeros((64, 64), np.float64)
    standin.pool.set_limit(size=standin.pool.used_bytes() + 1024)
    with gpudot.use_backend(standin.backend), gpudot.use_oom_policy("tile"):
        with pytest.raises(gpudot.DeviceMemoryError, match="tiling did not help"):
            gpudot.matmul(a, a, out=out)
    assert not standin.xp.asnumpy(out).any()


@pytest.mark.parametrize("room", [64 * 1024, 0], ids=["blocks-halved", "nothing-fits"])
def test_tile_policy_halves_a_block_that_fails_and_gives_up_at_one_element(
    standin, monkeypatch, room
):
    """The first block is the whole product (the size estimate patched to trust all memory):
    it fails, is halved until it fits, or, with no room beside the result, until one element."""
    from gpudot.backends.cupy import _out_of_memory as _cupy_memory

    monkeypatch.setattr(
        _cupy_memory._tiling, "initial_sizes", lambda axes, *_: [max(a.length, 1) for a in axes]
    )
    a = np.arange(256 * 192, dtype=np.int64).reshape(256, 192) % 7
    b = np.arange(192 * 128, dtype=np.int64).reshape(192, 128) % 5
    expected = a @ b
    standin.pool.set_limit(size=standin.pool.used_bytes() + expected.nbytes + room)
    with gpudot.use_backend(standin.backend), gpudot.use_oom_policy("tile"):
        if room:
            np.testing.assert_array_equal(standin.xp.asnumpy(gpudot.matmul(a, b)), expected)
        else:
            with pytest.raises(gpudot.DeviceMemoryError, match="tiling did not help"):
                gpudot.matmul(a, b)


def test_vector_dot_vector_cannot_be_tiled(standin):
    standin.pool.set_limit(size=512)
    with gpudot.use_backend(standin.backend), gpudot.use_oom_policy("tile"):
        with pytest.raises(gpudot.DeviceMemoryError, match="tiling did not help"):
            gpudot.dot(np.ones(500), np.ones(500))


@pytest.mark.parametrize("func", ["matmul", "dot"])
def test_cpu_policy_computes_numpys_bits_on_the_host_with_one_warning(standin, func):
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((40, 30)), rng.standard_normal((30, 20))
    standin.pool.set_limit(size=4096)
    with gpudot.use_backend(standin.backend), gpudot.use_oom_policy("cpu"):
        with pytest.warns(
            gpudot.GpudotFallbackWarning, match=f"{func} on cuda:0 ran out"
        ) as record:
            line = sys._getframe().f_lineno + 1  # the warning points at the user's call
            result = getattr(gpudot, func)(a, b)
    assert len(record) == 1
    assert (record[0].filename, record[0].lineno) == (__file__, line)
    assert type(result) is np.ndarray
    np.testing.assert_array_equal(result, getattr(np, func)(a, b))


@pytest.mark.parametrize("layout", ["contiguous", "strided"])
def test_cpu_policy_fills_a_device_out_in_place(standin, layout):
    a = np.arange(1200, dtype=np.float32).reshape(3, 400)  # cast to float64 on device: 9.6 kB
    with gpudot.use_backend(standin.backend):
        buffer = standin.xp.zeros((3, 3) if layout == "contiguous" else (3, 6), np.float64)
        out = buffer if layout == "contiguous" else buffer[:, ::2]
        device_a, device_at = standin.xp.asarray(a), standin.xp.asarray(a.T.astype(np.float64))
    room = 0 if layout == "contiguous" else 512  # a strided out takes one device copy of the result
    standin.pool.set_limit(size=standin.pool.used_bytes() + room)
    with gpudot.use_backend(standin.backend), gpudot.use_oom_policy("cpu"):
        with pytest.warns(gpudot.GpudotFallbackWarning):
            assert gpudot.matmul(device_a, device_at, out=out) is out
    np.testing.assert_array_equal(standin.xp.asnumpy(out), a @ a.T.astype(np.float64))


def test_no_policy_runs_when_the_product_fits(standin):
    with (
        gpudot.use_backend(standin.backend),
        gpudot.use_oom_policy("cpu"),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("error")
        on_device = standin.backend.asarray(np.eye(3))
        result = gpudot.matmul(on_device, on_device)
        assert type(gpudot.matmul(np.eye(3), np.eye(3))) is np.ndarray
    assert isinstance(result, standin.xp.ndarray)
    free, total = standin.backend.memory_info()
    assert total == standin.xp.MACHINE.memory_per_device and 0 < free < total


@pytest.mark.parametrize("policy", ["raise", "tile", "cpu"])
def test_a_bad_out_raises_numpys_error_whatever_the_policy(standin, policy):
    with gpudot.use_backend(standin.backend):
        out = standin.xp.zeros((64, 32), np.float64)
    standin.pool.set_limit(size=standin.pool.used_bytes() + 512)  # operands cannot be copied
    with gpudot.use_backend(standin.backend), gpudot.use_oom_policy(policy):
        with pytest.raises(ValueError, match="out"):
            gpudot.matmul(np.ones((64, 48)), np.ones((48, 16)), out=out)
    assert not standin.xp.asnumpy(out).any()


# --- every form of out of memory (CuPy 14.2's pool, cuBLAS handles, raw cudaMalloc, RMM) ---------


def _fill_device(standin, leave: int):
    """Take all but ``leave`` bytes of the current device with a raw ``cudaMalloc`` (memory held
    outside CuPy's pool, as another library's); return its ``cudaFree``."""
    free, _ = standin.xp.cuda.runtime.memGetInfo()
    return standin.xp.cuda.memory.cuda_malloc(free - leave)


def _cache_a_block(standin, nbytes: int) -> None:
    """Leave ``nbytes`` cached in CuPy's pool: an array allocated and dropped."""
    standin.xp.zeros(nbytes, np.uint8)


def _in_a_new_thread(run):
    """``run()`` in a fresh thread (its first cuBLAS call creates the thread's handle)."""
    outcome = {}

    def work():
        try:
            outcome["result"] = run()
        except BaseException as error:  # handed to the test's thread
            outcome["error"] = error

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def _matmul_on(standin, policy: str, a, b):
    """``gpudot.matmul(a, b)`` on the stand-in under ``policy`` (settings are per thread)."""
    with gpudot.use_backend(standin.backend), gpudot.use_oom_policy(policy):
        return gpudot.matmul(a, b)


def _rmm_like(capacity: int):
    """An allocator of another library (RMM's shape): its own budget, a plain MemoryError."""
    used = [0]

    def allocate(nbytes: int):
        if used[0] + nbytes > capacity:
            raise MemoryError(f"std::bad_alloc: out_of_memory: RMM failure allocating {nbytes}")
        used[0] += nbytes

        def free():
            used[0] -= nbytes

        return free

    return allocate


def _float_operands():
    """float64 operands with small integer values: exact in any summation order (cuBLAS's)."""
    rng = np.random.default_rng(5)
    return rng.integers(-8, 8, (64, 48)).astype(float), rng.integers(-8, 8, (48, 32)).astype(float)


@pytest.mark.parametrize("status", [3, 1], ids=["ALLOC_FAILED", "NOT_INITIALIZED"])
def test_a_new_threads_cublas_handle_that_does_not_fit_frees_the_pool_and_retries(
    standin, status
):
    """A new thread's cuBLAS handle is allocated outside the pool: the pool's cached blocks can
    be what leaves it no room, so freeing them and retrying succeeds."""
    standin.xp.MACHINE.cublas_create_oom_status = status
    a, b = _float_operands()
    with gpudot.use_backend(standin.backend):
        device_a, device_b = gpudot.asarray(a), gpudot.asarray(b)
    release = _fill_device(standin, leave=8 * MiB)
    _cache_a_block(standin, 6 * MiB)  # the pool keeps it: 2 MiB left, a handle needs 4
    with pytest.raises(standin.xp.cuda.cublas.CUBLASError):  # what raw CuPy does here
        _in_a_new_thread(lambda: standin.xp.matmul(device_a, device_b))
    _cache_a_block(standin, 6 * MiB)
    result = _in_a_new_thread(lambda: _matmul_on(standin, "raise", device_a, device_b))
    np.testing.assert_array_equal(standin.xp.asnumpy(result), a @ b)
    release()


def test_raw_cudamalloc_out_of_memory_frees_the_pool_and_retries(standin):
    """With CuPy's pool disabled (``set_allocator(None)``) a full device raises
    ``CUDARuntimeError: cudaErrorMemoryAllocation``; the pool's cached blocks still hold memory."""
    a, b = _float_operands()
    release = _fill_device(standin, leave=8 * MiB)
    _cache_a_block(standin, 7 * MiB)
    standin.xp.cuda.set_allocator(None)
    with pytest.raises(standin.xp.cuda.runtime.CUDARuntimeError, match="MemoryAllocation"):
        standin.xp.asarray(np.ones(2 * MiB))
    with gpudot.use_backend(standin.backend):
        result = gpudot.matmul(a, b)
    np.testing.assert_array_equal(standin.xp.asnumpy(result), a @ b)
    assert standin.pool.total_bytes() == 0
    release()


def test_freeing_also_empties_the_pinned_pool_that_host_copies_fill(standin, monkeypatch):
    pinned = standin.xp.get_default_pinned_memory_pool()
    events = []
    real_matmul, real_free = standin.xp.matmul, type(pinned).free_all_blocks

    def flaky(a, b):
        events.append(("matmul", pinned.n_free_blocks()))
        if len(events) == 1:
            raise MemoryError("std::bad_alloc: out_of_memory")
        return real_matmul(a, b)

    def free_all_blocks(pool):
        events.append(("free pinned", pool.n_free_blocks()))
        real_free(pool)

    monkeypatch.setattr(standin.xp, "matmul", flaky)
    monkeypatch.setattr(type(pinned), "free_all_blocks", free_all_blocks)
    a, b = _float_operands()
    with gpudot.use_backend(standin.backend):
        result = gpudot.matmul(a, b)
    np.testing.assert_array_equal(standin.xp.asnumpy(result), a @ b)
    # the operands' host copies left two pinned buffers, freed before the retry copied again
    assert events == [("matmul", 2), ("free pinned", 2), ("matmul", 2)]


FORMS = ["pool", "cublas-alloc-failed", "cublas-not-initialized", "cudamalloc", "rmm"]


def _make_it_run_out(standin, form: str):
    """Set the stand-in up so that a 64x48 @ 48x32 float64 product runs out of memory in
    ``form``, even after the pools are freed; return what undoes it."""
    if form == "pool":
        standin.pool.set_limit(size=standin.pool.used_bytes() + 4096)
        return lambda: None
    if form == "rmm":
        standin.xp.cuda.set_allocator(_rmm_like(4096))
        return lambda: None
    if form == "cudamalloc":
        standin.xp.cuda.set_allocator(None)
        return _fill_device(standin, leave=4096)
    standin.xp.MACHINE.cublas_create_oom_status = 3 if form == "cublas-alloc-failed" else 1
    return _fill_device(standin, leave=64 * 1024)  # operands fit, a handle's workspace does not


@pytest.mark.parametrize("form", FORMS)
def test_every_form_of_out_of_memory_raises_device_memory_error(standin, form):
    a, b = _float_operands()
    undo = _make_it_run_out(standin, form)
    with pytest.raises(gpudot.DeviceMemoryError) as info:
        _in_a_new_thread(lambda: _matmul_on(standin, "raise", a, b))
    undo()
    cause = info.value.__cause__
    expected = {
        "pool": "Out of memory allocating",
        "cublas-alloc-failed": "CUBLAS_STATUS_ALLOC_FAILED",
        "cublas-not-initialized": "CUBLAS_STATUS_NOT_INITIALIZED",
        "cudamalloc": "cudaErrorMemoryAllocation: out of memory",
        "rmm": "std::bad_alloc: out_of_memory",
    }[form]
    assert str(cause).startswith(expected)
    assert standin.backend.is_out_of_memory(cause)
    assert str(cause) in str(info.value) and "matmul on cuda:0 ran out" in str(info.value)


@pytest.mark.parametrize("form", FORMS)
def test_every_form_of_out_of_memory_falls_back_to_the_host_under_cpu(standin, form):
    a, b = _float_operands()
    undo = _make_it_run_out(standin, form)
    with pytest.warns(gpudot.GpudotFallbackWarning, match="ran out of device memory"):
        result = _in_a_new_thread(lambda: _matmul_on(standin, "cpu", a, b))
    undo()
    assert type(result) is np.ndarray
    np.testing.assert_array_equal(result, a @ b)


def test_another_allocators_memory_error_is_tiled_under_tile(standin):
    a = np.arange(256 * 192, dtype=np.int64).reshape(256, 192) % 7
    b = np.arange(192 * 128, dtype=np.int64).reshape(192, 128) % 5
    expected = a @ b
    standin.xp.cuda.set_allocator(_rmm_like(expected.nbytes + 160 * 1024))
    with gpudot.use_backend(standin.backend), gpudot.use_oom_policy("tile"):
        result = gpudot.matmul(a, b)
    np.testing.assert_array_equal(standin.xp.asnumpy(result), expected)


@pytest.mark.parametrize(
    "error",
    [
        ("cublas", 13),  # CUBLAS_STATUS_EXECUTION_FAILED
        ("cublas", 7),  # CUBLAS_STATUS_INVALID_VALUE
        ("cublas", 8),  # CUBLAS_STATUS_ARCH_MISMATCH
        ("runtime", 700),  # cudaErrorIllegalAddress
        ("runtime", 35),  # cudaErrorInsufficientDriver
    ],
    ids=["EXECUTION_FAILED", "INVALID_VALUE", "ARCH_MISMATCH", "IllegalAddress", "Driver"],
)
@pytest.mark.parametrize("policy", ["raise", "tile", "cpu"])
def test_errors_that_are_not_about_memory_are_raised_as_they_are(
    standin, monkeypatch, error, policy
):
    module, status = error
    cls = getattr(standin.xp.cuda, module)
    failure = (cls.CUBLASError if module == "cublas" else cls.CUDARuntimeError)(status)
    frees = []

    def broken(a, b):
        raise failure

    monkeypatch.setattr(standin.xp, "matmul", broken)
    monkeypatch.setattr(type(standin.pool), "free_all_blocks", lambda pool: frees.append(1))
    with gpudot.use_backend(standin.backend), gpudot.use_oom_policy(policy):
        with pytest.raises(type(failure)) as info:
            gpudot.matmul(np.ones((3, 4)), np.ones((4, 5)))
    assert info.value is failure and frees == []
    assert not standin.backend.is_out_of_memory(failure)
