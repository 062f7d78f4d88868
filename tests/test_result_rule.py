"""The one rule for results, in every layer that hands one back: "auto", the out-of-memory
policy's "cpu" fallback, the profile, the transfer policy on the copy back, Dask, and chains of
device products that never touch the host (over the CuPy stand-in).
"""

from __future__ import annotations

import warnings

import fakecupy
import numpy as np
import pytest

import gpudot
from gpudot._config import out_of_memory as _memory
from gpudot._dispatch import auto as _auto
from gpudot._dispatch import conversions as _dispatch
from gpudot._dispatch.auto import AutoBackend
from gpudot.backends import lookup
from gpudot.backends._cost_model import DEFAULT_PROFILE
from gpudot.backends.dask._backend import DaskBackend


@pytest.fixture
def auto(standin):
    return AutoBackend(standin.backend, lookup("numpy"), DEFAULT_PROFILE)


@pytest.fixture(autouse=True)
def restore_oom_policy():
    saved = _memory._OOM_POLICY.default
    yield
    _memory._OOM_POLICY.default = saved


def test_auto_gives_numpy_for_host_operands_on_either_side(auto):
    small, big = np.eye(2), np.ones((300, 300), np.int32)
    with gpudot.profile() as p, gpudot.use_backend(auto):
        on_cpu, on_gpu = gpudot.matmul(small, small), gpudot.matmul(big, big)
    cpu_record, gpu_record = p.records
    assert (cpu_record.backend, gpu_record.backend) == ("numpy", "cupy-standin")
    assert type(on_cpu) is np.ndarray and type(on_gpu) is np.ndarray
    np.testing.assert_array_equal(on_gpu, big @ big)
    assert (gpu_record.h2d_bytes, gpu_record.d2h_bytes) == (2 * big.nbytes, on_gpu.nbytes)


@pytest.mark.parametrize("func", ["dot", "matmul"])
def test_auto_prices_the_copy_back_of_the_result(auto, monkeypatch, func):
    """The cost model is asked with the bytes that move: the operands there, the result back."""
    asked = []
    real = _auto.estimate
    monkeypatch.setattr(_auto, "estimate", lambda *a, **k: asked.append(k) or real(*a, **k))
    a, b = np.ones((3, 300, 200), np.int32), np.ones((200, 100), np.int32)
    with gpudot.use_backend(auto):
        result = getattr(gpudot, func)(a, b)
    assert type(result) is np.ndarray and len(asked) == 1
    assert asked[0]["host_bytes"] == a.nbytes + b.nbytes
    assert asked[0]["result_bytes"] == result.nbytes and not asked[0].get("on_gpu")


def test_auto_keeps_device_operands_and_mixes_on_the_device(auto, standin):
    host = np.arange(6.0).reshape(2, 3)
    with gpudot.use_backend(auto):
        device = gpudot.asarray(host)  # "auto" puts it on the GPU: explicit
        assert isinstance(device, standin.xp.ndarray)
        fakecupy.transfers.reset()
        assert isinstance(gpudot.matmul(device, device.T), standin.xp.ndarray)
        assert isinstance(gpudot.matmul(host, device.T), standin.xp.ndarray)
        assert isinstance(gpudot.inner(device, host), standin.xp.ndarray)
    assert fakecupy.transfers.device_to_host == 0


def test_auto_under_the_error_policy_keeps_host_operands_on_the_cpu(auto):
    big = np.ones((300, 300), np.int32)
    with gpudot.use_backend(auto), gpudot.use_transfer_policy("error"):
        target, reason = auto.route("matmul", big, big)
        result = gpudot.matmul(big, big)
    assert target is auto.cpu and "transfer policy 'error'" in reason
    np.testing.assert_array_equal(result, big @ big)


def test_the_copy_back_names_both_directions_under_warn(standin):
    a = np.eye(3)
    with (
        gpudot.use_backend(standin.backend),
        gpudot.use_transfer_policy("warn"),
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always")
        result = gpudot.matmul(a, a)
    messages = [str(w.message) for w in caught if w.category is gpudot.TransferWarning]
    assert messages[:2] == [
        "x1 is on cpu but the product runs on cuda:0; copying it (transfer policy 'warn')",
        "x2 is on cpu but the product runs on cuda:0; copying it (transfer policy 'warn')",
    ]
    assert messages[2] == (
        "the result is on cuda:0, where the product ran, but its operands are on cpu; "
        "copying it back to cpu (transfer policy 'warn')"
    )
    assert len(messages) == 3 and type(result) is np.ndarray


def test_the_copy_back_is_refused_under_error(standin):
    device_result = standin.backend.asarray(np.eye(2))
    with gpudot.use_transfer_policy("error"), pytest.raises(gpudot.TransferError) as info:
        _dispatch.follow_operands(device_result, (np.eye(2), np.eye(2)))
    assert "the result is on cuda:0" in str(info.value) and "operands are on cpu" in str(info.value)
    on_host = np.eye(2)
    with gpudot.use_transfer_policy("error"), pytest.raises(gpudot.TransferError):
        _dispatch.follow_operands(on_host, (device_result, on_host))


def test_lists_and_scalars_come_back_whatever_the_policy(standin):
    with gpudot.use_backend(standin.backend), gpudot.use_transfer_policy("error"):
        result = gpudot.dot(2.0, [1.0, 2.0])
    assert type(result) is np.ndarray and result.tolist() == [2.0, 4.0]


def test_the_rule_applied_twice_copies_nothing(standin):
    device_result = standin.backend.asarray(np.eye(2))
    host = _dispatch.follow_operands(device_result, (np.eye(2),))
    fakecupy.transfers.reset()
    assert _dispatch.follow_operands(host, (np.eye(2),)) is host
    assert _dispatch.follow_operands(device_result, (device_result,)) is device_result
    assert fakecupy.transfers.device_to_host == fakecupy.transfers.host_to_device == 0


def test_a_chain_of_device_products_never_touches_the_host(standin):
    rng = np.random.default_rng(0)
    x, w1, w2 = (rng.standard_normal(shape) for shape in [(64, 32), (32, 16), (16, 4)])
    with gpudot.use_backend(standin.backend):
        xd, w1d, w2d = gpudot.asarray(x), gpudot.asarray(w1), gpudot.asarray(w2)
        fakecupy.transfers.reset()
        hidden = gpudot.matmul(xd, w1d)
        logits = gpudot.dot(hidden, w2d)
        chained = gpudot.linalg.multi_dot([xd, w1d, w2d])
        scores = gpudot.vecdot(logits, chained)
        assert fakecupy.transfers.device_to_host == fakecupy.transfers.host_to_device == 0
        assert all(isinstance(r, standin.xp.ndarray) for r in (hidden, logits, chained, scores))
        host = gpudot.to_numpy(scores)
    np.testing.assert_allclose(host, np.sum((x @ w1 @ w2) ** 2, axis=-1))


def test_oom_cpu_fallback_gives_device_operands_a_device_result(standin):
    a = np.arange(1200, dtype=np.float32).reshape(3, 400)  # cast to float64 on device: 9.6 kB
    with gpudot.use_backend(standin.backend):
        device_a, device_at = standin.xp.asarray(a), standin.xp.asarray(a.T.astype(np.float64))
    standin.pool.set_limit(size=standin.pool.used_bytes() + 512)  # room for the result only
    with gpudot.use_backend(standin.backend), gpudot.use_oom_policy("cpu"):
        with pytest.warns(gpudot.GpudotFallbackWarning, match="ran out"):
            result = gpudot.matmul(device_a, device_at)
    assert isinstance(result, standin.xp.ndarray)
    np.testing.assert_array_equal(standin.xp.asnumpy(result), a @ a.T.astype(np.float64))


def test_oom_cpu_fallback_says_when_the_result_does_not_fit_back(standin):
    a = np.arange(1200, dtype=np.float32).reshape(3, 400)
    with gpudot.use_backend(standin.backend):
        device_a, device_at = standin.xp.asarray(a), standin.xp.asarray(a.T.astype(np.float64))
    standin.pool.set_limit(size=standin.pool.used_bytes())
    with (
        gpudot.use_backend(standin.backend),
        gpudot.use_oom_policy("cpu"),
        pytest.warns(gpudot.GpudotFallbackWarning),
        pytest.raises(gpudot.DeviceMemoryError, match="does not fit on cuda:0 either"),
    ):
        gpudot.matmul(device_a, device_at)


def test_oom_cpu_fallback_gives_host_operands_numpy(standin):
    a, b = np.ones((40, 30)), np.ones((30, 20))
    standin.pool.set_limit(size=4096)
    with gpudot.use_backend(standin.backend), gpudot.use_oom_policy("cpu"):
        with pytest.warns(gpudot.GpudotFallbackWarning):
            assert type(gpudot.matmul(a, b)) is np.ndarray


def test_dask_backend_computes_numpy_operands_in_blocks_under_its_budget():
    pytest.importorskip("dask.array")
    rng = np.random.default_rng(1)
    a, b = rng.integers(-9, 9, (64, 48)), rng.integers(-9, 9, (48, 40))
    small = DaskBackend(budget=4096)  # blocks of a few hundred elements
    lazy = small.matmul(small.asarray(a), b)
    assert lazy.npartitions > 1  # the product the public call computes is blocked
    with gpudot.use_backend(small):
        result = gpudot.matmul(a, b)
        kept = gpudot.matmul(small.asarray(a), b)
    assert type(result) is np.ndarray
    np.testing.assert_array_equal(result, a @ b)
    assert small.owns(kept)  # a Dask operand: the result stays lazy


README_PATTERN = {"x": (1024, 512), "w": (512, 256)}


def test_readme_bytes_per_call_in_both_patterns(standin):
    """The README's table: host operands copy both operands there and the result back on every
    call; data moved once with gpudot.asarray copies nothing per call."""
    x = np.ones(README_PATTERN["x"], np.float32)
    w = np.ones(README_PATTERN["w"], np.float32)
    with gpudot.use_backend(standin.backend):
        with gpudot.profile() as host_pattern:
            gpudot.matmul(x, w)
            gpudot.matmul(x, w)
        with gpudot.profile() as moved_once:
            xd, wd = gpudot.asarray(x), gpudot.asarray(w)
            gpudot.matmul(xd, wd)
            gpudot.matmul(xd, wd)
    per_call = {(r.h2d_bytes, r.d2h_bytes) for r in host_pattern.records}
    assert per_call == {(2_097_152 + 524_288, 1_048_576)}
    assert {(r.h2d_bytes, r.d2h_bytes) for r in moved_once.records} == {(0, 0)}


def test_dask_operands_stay_lazy_on_a_backend_whose_arrays_dask_cannot_wrap():
    """A Dask operand on an Array API backend (array-api-strict has no ``__array_function__``)
    gets a Dask result, its chunks brought to the host."""
    pytest.importorskip("dask.array")
    xp = pytest.importorskip("array_api_strict")
    import dask.array as da

    from gpudot.backends._array_api import ArrayAPIBackend

    a = np.arange(12.0).reshape(3, 4)
    with gpudot.use_backend(ArrayAPIBackend(xp, name="strict-test")):
        result = gpudot.matmul(da.from_array(a), a.T)
    assert isinstance(result, da.Array) and type(result._meta) is np.ndarray
    np.testing.assert_array_equal(result.compute(), a @ a.T)


def test_computing_numpy_operands_on_dask_is_no_transfer():
    pytest.importorskip("dask.array")
    a = np.arange(12.0).reshape(3, 4)
    with (
        gpudot.use_backend("dask"),
        gpudot.use_transfer_policy("error"),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("error")
        result = gpudot.matmul(a, a.T)
    assert type(result) is np.ndarray
    np.testing.assert_array_equal(result, a @ a.T)
