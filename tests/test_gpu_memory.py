"""Out-of-memory handling on the CUDA backend, over the minimal CuPy double's memory limit."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import gpudot
from gpudot import _memory
from gpudot.backends import lookup

MiB = 1 << 20


@pytest.fixture(autouse=True)
def restore_policy():
    saved = _memory._OOM_POLICY._default
    yield
    _memory._OOM_POLICY._default = saved


def _device_array(module, x):
    return module.asarray(x)


def test_policy_setting_is_scoped_and_validated():
    assert gpudot.get_oom_policy() == "raise"
    with gpudot.use_oom_policy("tile"):
        assert gpudot.get_oom_policy() == "tile"
    assert gpudot.set_oom_policy("cpu") == "cpu"
    with pytest.raises(ValueError, match="'raise', 'tile', 'cpu'"):
        gpudot.set_oom_policy("spill")


def test_cached_blocks_are_freed_and_the_product_retried(minicupy):
    device = minicupy.DEVICES[0]
    device.limit, device.cached, device.fragmented = 3 * MiB, 2 * MiB, True  # blocks 1.5 MiB
    a = np.ones((256, 256), np.float64)  # 0.5 MiB each, result 0.5 MiB
    with gpudot.use_backend("minicupy"):
        result = gpudot.matmul(a, a)
    np.testing.assert_array_equal(minicupy.asnumpy(result), a @ a)
    assert device.cached < 2 * MiB  # the stale cache was freed; only this call's copies remain


def test_raise_policy_names_operation_shapes_dtypes_bytes_and_device_memory(minicupy):
    minicupy.DEVICES[0].limit = 1 * MiB
    a = np.ones((300, 400), np.float32)
    b = np.ones((400, 500), np.float32)
    with gpudot.use_backend("minicupy"), pytest.raises(gpudot.DeviceMemoryError) as info:
        gpudot.matmul(a, b)
    message = str(info.value)
    assert isinstance(info.value, MemoryError)
    for part in ("matmul on cuda:0", "float32 (300, 400)", "float32 (400, 500)",
                 "-> float32 (300, 500)", f"{(300 * 400 + 400 * 500 + 300 * 500) * 4:,} bytes",
                 f"of {MiB:,} bytes free", "set_oom_policy('tile')"):
        assert part in message


@pytest.mark.parametrize("func", ["matmul", "dot"])
@pytest.mark.parametrize(
    "shape1, shape2",
    [((96, 80), (80, 72)), ((6, 40, 30), (30, 50)), ((1, 40, 30), (5, 30, 50)), ((40,), (40, 70)),
     ((60, 40), (40,)), ((3, 20, 30), (4, 30, 25))],
    ids=["2d", "batch", "broadcast-batch", "vec-mat", "mat-vec", "dot-nd"],
)
@pytest.mark.parametrize("dtype", ["int16", "float32", "complex128", "bool"])
def test_tile_policy_gives_numpys_result_when_the_whole_product_does_not_fit(
    minicupy, func, shape1, shape2, dtype
):
    if func == "matmul" and shape1 == (3, 20, 30):
        shape2 = (3, 30, 25)
    rng = np.random.default_rng(7)
    a = (rng.integers(-300, 300, shape1) if dtype != "bool" else rng.random(shape1) < 0.1).astype(dtype)
    b = (rng.integers(-300, 300, shape2) if dtype != "bool" else rng.random(shape2) < 0.1).astype(dtype)
    expected = getattr(np, func)(a, b)
    whole = a.nbytes + b.nbytes + expected.nbytes
    minicupy.DEVICES[0].limit = expected.nbytes + whole // 2  # result fits, the whole product not
    with gpudot.use_backend("minicupy"), gpudot.use_oom_policy("tile"):
        result = getattr(gpudot, func)(a, b)
    host = minicupy.asnumpy(result)
    assert host.dtype == expected.dtype and host.shape == expected.shape
    np.testing.assert_array_equal(host, expected)


def test_tile_policy_writes_out_only_at_the_end_and_leaves_inputs_alone(minicupy):
    a = np.arange(64 * 48, dtype=np.int64).reshape(64, 48) % 7
    b = np.arange(48 * 32, dtype=np.int64).reshape(48, 32) % 5
    expected = a @ b
    a_copy, b_copy = a.copy(), b.copy()
    with gpudot.use_backend("minicupy"):
        out = minicupy.zeros((64, 32), np.int64)
    minicupy.DEVICES[0].limit = minicupy.DEVICES[0].used + expected.nbytes + 8 * 1024
    with gpudot.use_backend("minicupy"), gpudot.use_oom_policy("tile"):
        returned = gpudot.matmul(a, b, out=out)
    assert returned is out
    np.testing.assert_array_equal(minicupy.asnumpy(out), expected)
    np.testing.assert_array_equal(a, a_copy)
    np.testing.assert_array_equal(b, b_copy)


def test_tile_policy_raises_when_not_even_the_result_fits_and_out_is_untouched(minicupy):
    a = np.ones((64, 64))
    with gpudot.use_backend("minicupy"):
        out = minicupy.zeros((64, 64), np.float64)
    minicupy.DEVICES[0].limit = minicupy.DEVICES[0].used + 1024
    with gpudot.use_backend("minicupy"), gpudot.use_oom_policy("tile"):
        with pytest.raises(gpudot.DeviceMemoryError, match="tiling did not help"):
            gpudot.matmul(a, a, out=out)
    assert not minicupy.asnumpy(out).any()


def test_vector_dot_vector_cannot_be_tiled(minicupy):
    minicupy.DEVICES[0].limit = 100
    with gpudot.use_backend("minicupy"), gpudot.use_oom_policy("tile"):
        with pytest.raises(gpudot.DeviceMemoryError, match="tiling did not help"):
            gpudot.dot(np.ones(50), np.ones(50))


@pytest.mark.parametrize("func", ["matmul", "dot"])
def test_cpu_policy_computes_numpys_bits_on_the_host_with_one_warning(minicupy, func):
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((40, 30)), rng.standard_normal((30, 20))
    minicupy.DEVICES[0].limit = 4096
    with gpudot.use_backend("minicupy"), gpudot.use_oom_policy("cpu"):
        with pytest.warns(gpudot.GpudotFallbackWarning, match=f"{func} on cuda:0 ran out") as record:
            result = getattr(gpudot, func)(a, b)
    assert len(record) == 1
    assert type(result) is np.ndarray
    np.testing.assert_array_equal(result, getattr(np, func)(a, b))


def test_cpu_policy_fills_a_device_out(minicupy):
    a = np.arange(12.0).reshape(3, 4)
    with gpudot.use_backend("minicupy"):
        out = minicupy.zeros((3, 3), np.float64)
        device_a = minicupy.asarray(a)
    minicupy.DEVICES[0].limit = minicupy.DEVICES[0].used
    with gpudot.use_backend("minicupy"), gpudot.use_oom_policy("cpu"):
        with pytest.warns(gpudot.GpudotFallbackWarning):
            assert gpudot.matmul(device_a, a.T, out=out) is out
    np.testing.assert_array_equal(minicupy.asnumpy(out), a @ a.T)


def test_no_policy_runs_when_the_product_fits(minicupy):
    with gpudot.use_backend("minicupy"), gpudot.use_oom_policy("cpu"), warnings.catch_warnings():
        warnings.simplefilter("error")
        result = gpudot.matmul(np.eye(3), np.eye(3))
    assert isinstance(result, minicupy.ndarray)
    assert lookup("minicupy").memory_info()[1] == 1 << 30
