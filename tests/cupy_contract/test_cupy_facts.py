"""The facts about CuPy that gpudot's CUDA backend relies on, one test each.

Each runs on the stand-in in CI and on real CuPy wherever a GPU is usable, so the stand-in
cannot drift from CuPy without a red test on the first GPU run.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

CUDA_DTYPES = [
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
    "complex64",
    "complex128",
]


def test_matmul_refuses_numpy_arrays_with_type_error(cp):
    with pytest.raises(TypeError, match="incorrect type"):
        cp.matmul(np.ones((2, 2)), np.ones((2, 2)))


def test_dot_of_two_numpy_arrays_silently_returns_numpy(cp):
    a = np.arange(6.0).reshape(2, 3)
    result = cp.dot(a, a.T)
    assert type(result) is np.ndarray
    np.testing.assert_array_equal(result, np.dot(a, a.T))


def test_dot_of_numpy_and_device_array_raises_type_error(cp):
    with pytest.raises(TypeError):
        cp.dot(np.ones((2, 2)), cp.zeros((2, 2)))


def test_implicit_conversion_to_numpy_is_refused(cp):
    with pytest.raises(TypeError, match="Implicit conversion"):
        np.asarray(cp.zeros(3))


@pytest.mark.parametrize("func", ["dot", "matmul"])
def test_vector_dot_vector_is_a_0d_device_array(cp, func):
    v = cp.asarray(np.array([1, 3, 5]))
    result = getattr(cp, func)(v, cp.asarray(np.array([2, 4, 6])))
    assert isinstance(result, cp.ndarray) and result.shape == ()
    assert int(cp.asnumpy(result)) == 44


@pytest.mark.parametrize("func", ["dot", "matmul"])
def test_result_dtypes_match_numpy_for_every_pair(cp, func):
    mismatches = []
    for name1, name2 in itertools.product(CUDA_DTYPES, repeat=2):
        a, b = np.ones((2, 2), name1), np.ones((2, 2), name2)
        got = getattr(cp, func)(cp.asarray(a), cp.asarray(b)).dtype
        if got != getattr(np, func)(a, b).dtype:
            mismatches.append((name1, name2, got))
    assert mismatches == []


def test_products_are_new_arrays_on_the_current_device(two_devices):
    cp = two_devices
    with cp.cuda.Device(1):
        a = cp.asarray(np.eye(2))
        result = cp.matmul(a, a)
    assert a.device.id == 1 and result.device.id == 1


def test_device_is_a_context_manager_that_restores_the_previous_one(two_devices):
    cp = two_devices
    before = cp.cuda.runtime.getDevice()
    with cp.cuda.Device(1) as device:
        assert cp.cuda.runtime.getDevice() == 1 and device.id == 1
    assert cp.cuda.runtime.getDevice() == before


def test_copy_lands_on_the_current_device(two_devices):
    cp = two_devices
    with cp.cuda.Device(1):
        a = cp.asarray(np.arange(4))
    with cp.cuda.Device(0):
        b = a.copy()
    assert b.device.id == 0
    np.testing.assert_array_equal(cp.asnumpy(b), np.arange(4))


def _peer_access(cp, device: int, peer: int) -> bool:
    """Whether ``device`` can read ``peer``'s memory, enabling it where CUDA allows (the
    stand-in models a machine without peer access)."""
    runtime = cp.cuda.runtime
    if not hasattr(runtime, "deviceCanAccessPeer") or not runtime.deviceCanAccessPeer(device, peer):
        return False
    with cp.cuda.Device(device):
        try:
            runtime.deviceEnablePeerAccess(peer)
        except runtime.CUDARuntimeError as error:  # cudaErrorPeerAccessAlreadyEnabled
            if error.status != 704:
                raise
    return True


def test_elementwise_kernels_check_the_device(two_devices):
    """cupy/_core/_kernel.pyx ``_check_peer_access``: ValueError without peer access, else a
    PerformanceWarning and the product."""
    cp = two_devices
    with cp.cuda.Device(1):
        a = cp.asarray(np.arange(4.0))
    runtime = cp.cuda.runtime
    if hasattr(runtime, "deviceCanAccessPeer") and runtime.deviceCanAccessPeer(0, 1):
        pytest.skip("peer access is available here: CuPy reads across devices instead of raising")
    with cp.cuda.Device(0), pytest.raises(ValueError, match="Peer access is unavailable"):
        cp.multiply(a, a)


def test_gemm_never_checks_an_operands_device(two_devices):
    """cupy/_core/_routines_linalg.pyx: matmul -> dot -> tensordot_core launch cuBLAS (or the
    integer kernel) on the current device with another device's pointers, unchecked: read over
    peer access where it is enabled, else an illegal address (the stand-in's model; on a real GPU
    it spoils the CUDA context, so only the peer-access side runs here)."""
    cp = two_devices
    host = np.arange(4.0).reshape(2, 2)
    with cp.cuda.Device(1):
        a = cp.asarray(host)
    if _peer_access(cp, 0, 1):
        with cp.cuda.Device(0):
            result = cp.matmul(a, a)
        assert result.device.id == 0
        np.testing.assert_array_equal(cp.asnumpy(result), host @ host)
        return
    if cp.__name__ != "fakecupy":
        pytest.skip("no peer access: a real illegal access would spoil the CUDA context")
    with cp.cuda.Device(0), pytest.raises(cp.cuda.runtime.CUDARuntimeError, match="IllegalAddress"):
        cp.matmul(a, a)


def test_asnumpy_and_get_return_host_copies(cp):
    x = cp.asarray(np.arange(6).reshape(2, 3))
    for host in (cp.asnumpy(x), x.get()):
        assert type(host) is np.ndarray
        np.testing.assert_array_equal(host, np.arange(6).reshape(2, 3))


def test_asarray_keeps_a_device_array_as_is(cp):
    x = cp.asarray(np.arange(3))
    assert cp.asarray(x) is x


def test_memory_pool_counts_frees_and_limits(cp):
    pool = cp.get_default_memory_pool()
    before = pool.used_bytes()
    x = cp.zeros(1 << 20, dtype=np.uint8)
    assert pool.used_bytes() >= before + (1 << 20)
    del x
    assert pool.used_bytes() == before
    pool.free_all_blocks()
    assert pool.total_bytes() == pool.used_bytes()
    limit = pool.get_limit()
    pool.set_limit(size=pool.used_bytes() + (1 << 20))
    try:
        with pytest.raises(cp.cuda.memory.OutOfMemoryError) as error:
            cp.zeros(4 << 20, dtype=np.uint8)
        assert isinstance(error.value, MemoryError)
        assert "Out of memory allocating 4,194,304 bytes" in str(error.value)
        assert "limit set to:" in str(error.value)
    finally:
        pool.set_limit(size=limit)


def test_current_stream_defaults_to_null_and_follows_with(cp):
    assert cp.cuda.get_current_stream() == cp.cuda.Stream.null
    with cp.cuda.Stream() as stream:
        assert cp.cuda.get_current_stream() is stream
    assert cp.cuda.get_current_stream() == cp.cuda.Stream.null


def test_device_properties_and_memory_info(cp):
    name = cp.cuda.runtime.getDeviceProperties(0)["name"]
    assert isinstance(name, bytes | str) and name
    free, total = cp.cuda.Device(0).mem_info
    assert 0 <= free <= total


def test_out_receives_the_product(cp):
    host = np.arange(4.0).reshape(2, 2)
    a = cp.asarray(host)
    out = cp.zeros((2, 2))
    assert cp.matmul(a, a, out=out) is out
    np.testing.assert_array_equal(cp.asnumpy(out), host @ host)


def test_transpose_and_conj_are_device_array_methods(cp):
    host = (np.arange(6.0) + 1j * np.arange(6.0)).reshape(1, 2, 3)
    x = cp.asarray(host)
    for result, expected in (
        (x.transpose(2, 0, 1), host.transpose(2, 0, 1)),
        (x.conj(), host.conj()),
    ):
        assert isinstance(result, cp.ndarray)
        np.testing.assert_array_equal(cp.asnumpy(result), expected)


def test_reshape_transpose_and_conj_are_module_functions(cp):
    host = (np.arange(24) + 1j).reshape(2, 3, 4)
    x = cp.asarray(host)
    cases = (
        (cp.reshape(x, (4, 6)), host.reshape(4, 6)),
        (cp.transpose(x, (2, 0, 1)), host.transpose(2, 0, 1)),
        (cp.conj(x), host.conj()),
    )
    for result, expected in cases:
        assert isinstance(result, cp.ndarray)
        np.testing.assert_array_equal(cp.asnumpy(result), expected)


def test_views_of_views_of_0d_arrays(cp):
    scalar = cp.asarray(np.array(5.0))
    view = scalar[...].reshape(1)[...]
    assert view.shape == (1,)
    np.testing.assert_array_equal(cp.asnumpy(view), [5.0])
