"""Compute type per call and device selection on the CUDA backend, over the CuPy stand-in."""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest
from fakecupy._core import _routines_linalg as ct

import gpudot
from gpudot._core.error_bounds import error_bound

TF32, DEFAULT = ct.COMPUTE_TYPE_TF32, ct.COMPUTE_TYPE_DEFAULT


def _inputs(dtype="float32", shape1=(64, 256), shape2=(256, 48)):
    rng = np.random.default_rng(11)
    make = (
        (lambda s: rng.standard_normal(s) + 1j * rng.standard_normal(s))
        if dtype == "complex64"
        else rng.standard_normal
    )
    return make(shape1).astype(dtype), make(shape2).astype(dtype)


def _error(result, a, b):
    wide = np.complex128 if a.dtype.kind == "c" else np.float64
    return np.abs(result - np.matmul(a.astype(wide), b.astype(wide))).max()


def _within_float32_bound(result, a, b):
    return bool(np.all(np.abs(result - np.matmul(a, b)) <= error_bound(np.matmul, a, b, a.dtype)))


def test_highest_ignores_a_tf32_default_and_restores_it(standin):
    standin.xp._core.set_compute_type(np.float32, TF32)  # what CUPY_TF32=1 leaves at import
    a, b = _inputs()
    with gpudot.use_backend(standin.backend):
        result = standin.xp.asnumpy(gpudot.matmul(a, b))
    assert _within_float32_bound(result, a, b)
    assert standin.xp._core.get_compute_type(np.float32) == TF32


@pytest.mark.parametrize("dtype", ["float32", "complex64"])
@pytest.mark.parametrize("how", ["keyword", "scoped"])
def test_tf32_is_used_for_2d_float32_and_complex64_when_asked(standin, dtype, how):
    a, b = _inputs(dtype)
    with gpudot.use_backend(standin.backend):
        if how == "keyword":
            result = standin.xp.asnumpy(gpudot.matmul(a, b, precision="tf32"))
        else:
            with gpudot.use_precision("tf32"):
                result = standin.xp.asnumpy(gpudot.dot(a, b))
    assert standin.xp._core.get_compute_type(np.float32) == DEFAULT
    assert _error(result, a, b) > 10 * _error(np.matmul(a, b), a, b)  # TF32 really lost bits


def test_batched_path_computes_full_float32_even_under_tf32(standin):
    a, b = _inputs(shape1=(3, 16, 64), shape2=(3, 64, 8))
    with gpudot.use_backend(standin.backend):
        result = standin.xp.asnumpy(gpudot.matmul(a, b, precision="tf32"))
    assert _within_float32_bound(result, a, b)


def test_float64_and_integers_restore_the_compute_type(standin):
    standin.xp._core.set_compute_type(np.float32, TF32)  # CuPy's own setting, e.g. CUPY_TF32=1
    before = list(ct.compute_types)
    with gpudot.use_backend(standin.backend), gpudot.use_precision("tf32"):
        gpudot.matmul(np.ones((2, 2)), np.ones((2, 2)))
        gpudot.matmul(np.ones((2, 2), np.int32), np.ones((2, 2), np.int32))
    assert ct.compute_types == before


def test_threads_with_different_precisions_each_get_their_own(standin):
    a, b = _inputs()
    with gpudot.use_backend(standin.backend):
        reference = {
            p: standin.xp.asnumpy(gpudot.matmul(a, b, precision=p)) for p in ("tf32", "highest")
        }
    assert not np.array_equal(reference["tf32"], reference["highest"])
    mismatches = []

    def work(precision):
        with gpudot.use_backend(standin.backend), gpudot.use_precision(precision):
            for _ in range(30):
                if not np.array_equal(
                    standin.xp.asnumpy(gpudot.matmul(a, b)), reference[precision]
                ):
                    mismatches.append(precision)

    threads = [threading.Thread(target=work, args=(p,)) for p in ("tf32", "highest") * 3]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert mismatches == []
    assert standin.xp._core.get_compute_type(np.float32) == DEFAULT


def test_cuda_n_runs_on_device_n_and_restores_the_current_device(standin):
    a = np.arange(6.0).reshape(2, 3)
    with standin.xp.cuda.Device(0):
        with gpudot.use_backend(standin.devices[1]):
            on_one = gpudot.asarray(a)
            result = gpudot.matmul(on_one, on_one.T)
            assert type(gpudot.matmul(a, a.T)) is np.ndarray  # host operands: a NumPy result
        assert standin.xp.cuda.runtime.getDevice() == 0
    assert result.device.id == 1
    np.testing.assert_array_equal(standin.xp.asnumpy(result), a @ a.T)


def test_operand_on_another_device_follows_the_transfer_policy(standin):
    with standin.xp.cuda.Device(0):
        on0 = standin.xp.asarray(np.eye(3))
    with gpudot.use_backend(standin.devices[1]):
        with (
            gpudot.use_transfer_policy("error"),
            pytest.raises(gpudot.TransferError, match="cuda:0"),
        ):
            gpudot.matmul(on0, np.eye(3))
        with gpudot.use_transfer_policy("warn"), pytest.warns(gpudot.TransferWarning):
            result = gpudot.matmul(on0, np.eye(3))
    assert result.device.id == 0  # computed on cuda:1, back where its device operand is


def test_a_bad_device_index_names_the_device_count(standin):
    from gpudot.backends.cupy._backend import CupyBackend

    with pytest.raises(ValueError, match=r"CUDA device 5 does not exist: 2 device\(s\) visible"):
        CupyBackend(5, module=standin.xp).unavailable_reason()


def test_each_thread_keeps_its_device(standin):
    seen = {}

    def work(index):
        with gpudot.use_backend(standin.devices[index]):
            x = gpudot.asarray(np.eye(2))
            for _ in range(20):
                seen.setdefault(index, set()).add(gpudot.matmul(x, x).device.id)
            seen[f"current{index}"] = standin.xp.cuda.runtime.getDevice()

    threads = [threading.Thread(target=work, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {0: {0}, 1: {1}, "current0": 0, "current1": 0}


def test_asarray_under_cuda_n_puts_the_array_on_device_n(standin):
    with standin.xp.cuda.Device(0), gpudot.use_backend(standin.devices[1]):
        x = gpudot.asarray(np.ones(3))
        assert standin.xp.cuda.runtime.getDevice() == 0
    assert x.device.id == 1


# --- DLPack producers on another device (a torch CUDA tensor, modelled by fakecupy's Producer) ---


def test_raw_cupy_keeps_a_dlpack_import_on_the_producers_device_and_gemm_faults(standin):
    """What gpudot guards against: ``cupy.from_dlpack`` keeps device 1, and the GEMM on device 0
    does not check (the stand-in's model of the illegal access)."""
    producer = standin.xp._dlpack.Producer(np.eye(3), device=1)
    with standin.xp.cuda.Device(0):
        imported = standin.xp.from_dlpack(producer)
        on0 = standin.xp.asarray(np.eye(3))
        assert imported.device.id == 1
        with pytest.raises(standin.xp.cuda.runtime.CUDARuntimeError, match="IllegalAddress"):
            standin.xp.matmul(imported, on0)


@pytest.mark.parametrize("func", ["matmul", "dot"])
@pytest.mark.parametrize("backend_index", [0, None], ids=["cuda:0", "current-device"])
def test_a_dlpack_tensor_on_another_device_is_moved_under_the_transfer_policy(
    standin, func, backend_index
):
    backend = standin.devices[0] if backend_index == 0 else standin.backend
    a = np.arange(12.0).reshape(3, 4)
    producer = standin.xp._dlpack.Producer(a, device=1)
    with gpudot.use_backend(backend):
        other = gpudot.asarray(a.T)  # on cuda:0 already
        moved = "is on cuda:1 but the product runs on cuda:0"
        with gpudot.use_transfer_policy("error"), pytest.raises(gpudot.TransferError, match=moved):
            getattr(gpudot, func)(producer, other)
        with gpudot.use_transfer_policy("warn"), pytest.warns(gpudot.TransferWarning) as record:
            result = getattr(gpudot, func)(producer, other)
        assert [str(w.message).split(";")[0] for w in record] == [
            f"{'x1' if func == 'matmul' else 'a'} is on cuda:1 but the product runs on cuda:0"
        ]
        assert result.device.id == 0
        np.testing.assert_array_equal(standin.xp.asnumpy(result), a @ a.T)
        with gpudot.use_transfer_policy("allow"):
            b_side = getattr(gpudot, func)(a, standin.xp._dlpack.Producer(a.T.copy(), device=1))
    assert b_side.device.id == 0
    np.testing.assert_array_equal(standin.xp.asnumpy(b_side), a @ a.T)
    assert standin.xp.cuda.runtime.getDevice() == 0


def test_a_dlpack_tensor_on_the_backends_device_is_taken_without_a_copy(standin):
    a = np.arange(6.0).reshape(2, 3)
    producer = standin.xp._dlpack.Producer(a, device=1)
    with gpudot.use_backend(standin.devices[1]):
        on1 = gpudot.asarray(a.T)
    standin.xp.transfers.reset()
    with (
        gpudot.use_backend(standin.devices[1]),
        gpudot.use_transfer_policy("error"),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("error")
        result = gpudot.matmul(producer, on1)
    assert result.device.id == 1 and producer.exports == 1
    assert standin.xp.transfers.host_to_device == 0
    np.testing.assert_array_equal(standin.xp.asnumpy(result), a @ a.T)


def test_a_host_dlpack_tensor_is_host_data_under_the_transfer_policy(standin):
    producer = standin.xp._dlpack.Producer(np.eye(2), device=0, kind=1)  # a CPU tensor
    with gpudot.use_backend(standin.devices[0]):
        with gpudot.use_transfer_policy("error"), pytest.raises(gpudot.TransferError, match="cpu"):
            gpudot.matmul(producer, np.eye(2))
        result = gpudot.matmul(producer, np.eye(2))
    np.testing.assert_array_equal(standin.xp.asnumpy(result), np.eye(2))
