"""CuPy facts behind issue #27's memory, device and integer-kernel work, one test each.

Where the installed wheel can answer without a GPU (error classes and messages, the allocator
switch, ``from_dlpack``'s refusals, the integer kernel's source, the pool's documented rule) the
test runs on it (``any_cp`` or the wheel alone); the rest run on the stand-in and, marked ``gpu``
through the ``cp`` fixture, on real CuPy in the prepared GPU command.
"""

from __future__ import annotations

import numpy as np
import pytest

MiB = 1 << 20


# --- out of memory: its forms ---------------------------------------------------------------


def test_runtime_memory_allocation_error_status_and_message(any_cp):
    """cudaErrorMemoryAllocation is status 2 (the wheel exports no Python name for it)."""
    error = any_cp.cuda.runtime.CUDARuntimeError(2)
    assert error.status == 2
    assert str(error) == "cudaErrorMemoryAllocation: out of memory"


def test_illegal_address_error_message(any_cp):
    error = any_cp.cuda.runtime.CUDARuntimeError(700)
    assert str(error).startswith("cudaErrorIllegalAddress: ")


@pytest.mark.parametrize(
    "status, name",
    [(1, "NOT_INITIALIZED"), (3, "ALLOC_FAILED"), (7, "INVALID_VALUE"), (13, "EXECUTION_FAILED")],
)
def test_cublas_error_is_a_runtime_error_with_its_status(cp, status, name):
    """cupy_backends/cuda/libs/cublas.pyx; the wheel's module needs libcublas to import."""
    error = cp.cuda.cublas.CUBLASError(status)
    assert isinstance(error, RuntimeError)
    assert error.status == status and str(error) == f"CUBLAS_STATUS_{name}"


def test_cublas_bindings_need_the_library(any_cp):
    """Where libcublas is missing, reaching ``cupy.cuda.cublas`` raises ImportError: gpudot can
    only classify a CUBLASError where one could have been raised."""
    try:
        module = any_cp.cuda.cublas
    except ImportError as error:
        assert "cublas" in str(error).lower()
    else:
        assert issubclass(module.CUBLASError, RuntimeError)


def test_set_allocator_none_selects_raw_cudamalloc(any_cp):
    """cupy/cuda/memory.pyx ``set_allocator``: ``None`` disables the pool (``_malloc``)."""
    saved = any_cp.cuda.get_allocator()
    try:
        any_cp.cuda.set_allocator(None)
        assert any_cp.cuda.get_allocator() is any_cp.cuda.memory._malloc
    finally:
        any_cp.cuda.set_allocator(saved)


def test_free_all_blocks_is_documented_to_keep_split_blocks():
    cupy = pytest.importorskip("cupy")
    doc = cupy.cuda.memory.SingleDeviceMemoryPool.free_all_blocks.__doc__
    assert "Free all **non-split** blocks" in doc


def test_free_all_blocks_keeps_a_split_block(cp):
    """A cached block split for a smaller array stays reserved until the array is freed (sizes
    large enough that no free chunk left by earlier tests serves them)."""
    pool = cp.get_default_memory_pool()
    pool.free_all_blocks()
    before = pool.total_bytes()
    cp.zeros(64 * MiB, np.uint8)  # dropped at once: one cached 64 MiB block
    half = cp.zeros(32 * MiB, np.uint8)  # best fit: split from that block
    pool.free_all_blocks()
    assert pool.total_bytes() == before + 64 * MiB
    assert pool.used_bytes() >= 32 * MiB
    del half
    pool.free_all_blocks()
    assert pool.total_bytes() == before


def test_pinned_pool_exists_without_a_device(any_cp):
    pinned = any_cp.get_default_pinned_memory_pool()
    pinned.free_all_blocks()
    assert pinned.n_free_blocks() == 0


def test_host_copies_leave_pinned_buffers_that_only_free_all_blocks_releases(cp):
    """cupy/_core/core.pyx stages ``asarray(numpy)`` through the pinned pool, whose buffers go
    back to its free lists (cupy/cuda/pinned_memory.pyx), not to the system."""
    pinned = cp.get_default_pinned_memory_pool()
    pinned.free_all_blocks()
    cp.asarray(np.ones(MiB))
    cp.cuda.runtime.deviceSynchronize()
    cp.asarray(np.ones(3))  # a later allocation releases the finished copy's buffer
    assert pinned.n_free_blocks() >= 1
    cp.cuda.runtime.deviceSynchronize()
    pinned.free_all_blocks()
    assert pinned.n_free_blocks() == 0


# --- devices and DLPack ---------------------------------------------------------------------


class _Tensor:
    """The two DLPack methods of another library's tensor, on ``(device_type, device_id)``."""

    def __init__(self, device: tuple[int, int]):
        self.device = device

    def __dlpack_device__(self) -> tuple[int, int]:
        return self.device

    def __dlpack__(self, **kwargs: object) -> object:
        raise AssertionError("from_dlpack refused it before asking for its capsule")


def test_from_dlpack_cannot_choose_the_device(any_cp):
    """cupy/_core/dlpack.pyx: an import stays on the producer's device."""
    with pytest.raises(NotImplementedError, match="does not support device yet"):
        any_cp.from_dlpack(_Tensor((2, 1)), device=(2, 0))


def test_from_dlpack_refuses_host_producers(any_cp):
    with pytest.raises(TypeError, match="CPU arrays cannot be directly imported to CuPy"):
        any_cp.from_dlpack(_Tensor((1, 0)))


def test_from_dlpack_keeps_the_producers_device(two_devices):
    cp = two_devices
    with cp.cuda.Device(1):
        on1 = cp.asarray(np.arange(3.0))
    with cp.cuda.Device(0):
        imported = cp.from_dlpack(on1)
    assert imported.device.id == 1
    np.testing.assert_array_equal(cp.asnumpy(imported), np.arange(3.0))


# --- the integer kernel's 32-bit indices ----------------------------------------------------


def test_integer_kernel_indexes_with_32_bit_int():
    """cupy/_core/_routines_linalg.pyx ``_tensordot_core_int_kernel_impl``: the kernel CuPy
    compiles with NVRTC takes ``int`` sizes and computes its bounds and output index in ``int``,
    so each call's matrices must stay under 2**31 elements (read from the wheel, no GPU)."""
    cupy = pytest.importorskip("cupy")
    from cupy._core import _routines_linalg

    captured = {}

    class Recorder:
        def __init__(self, code: str, **kwargs: object):
            captured["code"] = code

        def get_function(self, name: str) -> None:
            return None

    saved, cupy.RawModule = cupy.RawModule, Recorder
    try:
        _routines_linalg._tensordot_core_int_kernel_impl((), "b", "", "kernel")
    finally:
        cupy.RawModule = saved
    code = captured["code"]
    for declaration in (
        "int M, int N, int K",
        "int boundA = (M * (K - 1) + M)",
        "int boundB = (K * (N - 1) + K)",
        "int coord_dCn",
        "int coord_dCm",
        "C[coord_dCn * M + coord_dCm]",
    ):
        assert declaration in code
