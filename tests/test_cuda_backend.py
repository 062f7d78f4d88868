"""gpudot's CUDA backend (`CupyBackend`) over the CuPy stand-in: its own code, run in CI.

What this proves: conversions, results of the operands' kind (NumPy for host operands, device
arrays on their device for device operands), 0-d results,
the transfer policy, device selection and restoration, ``out=`` handling, the probe's reasons
and the fallback. What it cannot prove (cuBLAS numerics, kernel compilation, speed) needs a GPU:
``python -m pytest --pyargs gpudot.testing --gpudot-backend=cuda``.
"""

from __future__ import annotations

from importlib import metadata

import fakecupy
import numpy as np
import pytest

import gpudot
from gpudot._dispatch import backend_setting as _state
from gpudot.backends.cupy._backend import CupyBackend


@pytest.fixture
def machine():
    with fakecupy.simulate() as simulated:
        yield simulated


@pytest.fixture
def cuda(machine):
    backend = CupyBackend(module=fakecupy, name="cupy-standin")
    with gpudot.use_backend(backend):
        yield backend


@pytest.fixture
def cuda1(machine):
    backend = CupyBackend(1, module=fakecupy, name="cupy-standin:1")
    with gpudot.use_backend(backend):
        yield backend


def test_host_operands_are_copied_there_and_the_result_back_once_each(cuda):
    a, b = np.arange(6.0).reshape(2, 3), np.arange(3.0)
    result = gpudot.matmul(a, b)
    assert type(result) is np.ndarray  # host operands give NumPy, whichever backend computed it
    assert fakecupy.transfers.host_to_device == 2
    assert fakecupy.transfers.host_to_device_bytes == a.nbytes + b.nbytes
    assert fakecupy.transfers.device_to_host == 1
    assert fakecupy.transfers.device_to_host_bytes == result.nbytes
    np.testing.assert_array_equal(result, a @ b)


def test_device_operands_give_a_device_result_and_nothing_is_copied(cuda):
    a, b = np.arange(6.0).reshape(2, 3), np.arange(3.0)
    on_device = gpudot.asarray(a), gpudot.asarray(b)
    fakecupy.transfers.reset()
    result = gpudot.matmul(*on_device)
    assert isinstance(result, fakecupy.ndarray) and result.device.id == 0
    assert fakecupy.transfers.host_to_device == 0 and fakecupy.transfers.device_to_host == 0
    np.testing.assert_array_equal(gpudot.to_numpy(result), a @ b)
    assert fakecupy.transfers.device_to_host == 1


def test_a_mix_of_host_and_device_operands_gives_a_device_result(cuda):
    a = np.arange(6.0).reshape(2, 3)
    result = gpudot.matmul(a, gpudot.asarray(a.T))
    assert isinstance(result, fakecupy.ndarray) and result.device.id == 0
    assert fakecupy.transfers.device_to_host == 0


def test_device_operands_are_not_copied(cuda):
    a = cuda.asarray(np.eye(3))
    fakecupy.transfers.reset()
    gpudot.dot(a, a)
    assert fakecupy.transfers.host_to_device == 0


def test_vector_dot_vector_is_a_numpy_scalar_for_host_operands(cuda):
    result = gpudot.dot([1, 3, 5], [2, 4, 6])
    assert type(result) is np.int64 and result == 44


def test_vector_dot_vector_of_device_operands_is_a_0d_device_array(cuda):
    a, b = cuda.asarray(np.array([1, 3, 5])), cuda.asarray(np.array([2, 4, 6]))
    result = gpudot.dot(a, b)
    assert isinstance(result, fakecupy.ndarray) and result.shape == ()
    assert gpudot.to_numpy(result) == 44


@pytest.mark.parametrize("policy", ["warn", "error"])
def test_transfer_policy_applies_to_host_arrays(cuda, policy):
    a = np.eye(2)
    on_device = cuda.asarray(a)
    with gpudot.use_transfer_policy(policy):
        if policy == "warn":
            expected = "x1 is on cpu but the product runs on cuda:0"
            with pytest.warns(gpudot.TransferWarning, match=expected):
                gpudot.matmul(a, on_device)
        else:
            with pytest.raises(gpudot.TransferError, match="x2 is on cpu"):
                gpudot.matmul(on_device, a)


def test_lists_and_scalars_are_not_transfers(cuda):
    with gpudot.use_transfer_policy("error"):
        assert gpudot.to_numpy(gpudot.dot(2.0, [1.0, 2.0])).tolist() == [2.0, 4.0]


def test_device_arrays_given_to_the_numpy_backend_are_computed_on_the_host_and_go_back(cuda):
    host = np.arange(4.0).reshape(2, 2)
    a = cuda.asarray(host)
    with gpudot.use_backend("numpy"):
        result = gpudot.matmul(a, a)
        with (
            gpudot.use_transfer_policy("error"),
            pytest.raises(gpudot.TransferError, match="cuda:0"),
        ):
            gpudot.matmul(a, a)
    assert isinstance(result, fakecupy.ndarray) and result.device.id == 0
    np.testing.assert_array_equal(gpudot.to_numpy(result), host @ host)


def test_cuda_n_runs_on_device_n_and_restores_the_current_device(cuda1):
    assert cuda1.device == "cuda:1"
    on_one = gpudot.asarray(np.eye(2))
    assert on_one.device.id == 1
    result = gpudot.matmul(on_one, on_one)
    assert result.device.id == 1
    assert type(gpudot.matmul(np.eye(2), np.eye(2))) is np.ndarray
    assert fakecupy.cuda.runtime.getDevice() == 0


def test_operands_on_another_device_follow_the_policy(cuda1):
    on_zero = fakecupy.asarray(np.eye(2))
    with gpudot.use_transfer_policy("error"), pytest.raises(gpudot.TransferError, match="cuda:0"):
        gpudot.matmul(on_zero, on_zero)
    fakecupy.transfers.reset()
    result = gpudot.matmul(on_zero, on_zero)
    assert result.device.id == 0  # computed on cuda:1, the result follows its operands back
    assert fakecupy.transfers.device_to_host == 0


def test_bad_device_index_names_the_device_count(machine):
    with pytest.raises(ValueError, match="CUDA device 5 does not exist: 2 device"):
        CupyBackend(5, module=fakecupy).unavailable_reason()


def test_out_on_the_device_receives_the_result(cuda):
    out = cuda.asarray(np.zeros((2, 2)))
    assert gpudot.matmul(np.eye(2), np.full((2, 2), 3.0), out=out) is out
    np.testing.assert_array_equal(gpudot.to_numpy(out), np.full((2, 2), 3.0))


def test_host_out_receives_a_host_copy(cuda):
    out = np.zeros((2, 2))
    assert gpudot.dot(cuda.asarray(np.eye(2)), cuda.asarray(np.eye(2)), out=out) is out
    np.testing.assert_array_equal(out, np.eye(2))


def test_out_that_is_not_an_array_is_refused(cuda):
    with pytest.raises(TypeError, match="out must be an array, got list"):
        gpudot.matmul(np.eye(2), np.eye(2), out=[[0, 0], [0, 0]])


def test_out_of_memory_leaves_out_untouched(cuda):
    a = cuda.asarray(np.ones((64, 64)))
    out = cuda.asarray(np.full((64, 64), 7.0))
    pool = fakecupy.get_default_memory_pool()
    pool.set_limit(size=pool.used_bytes())
    with pytest.raises(gpudot.DeviceMemoryError):  # issue #11: CuPy's OOM, explained
        gpudot.matmul(a, a, out=out)
    pool.set_limit(size=0)
    np.testing.assert_array_equal(gpudot.to_numpy(out), np.full((64, 64), 7.0))


def test_a_0d_out_on_the_device_receives_the_cpu_fallbacks_result(cuda):
    """The ``"cpu"`` policy fills a device ``out=`` from the host; a 0-d one stays 0-d (#27)."""
    out = cuda.asarray(np.array(0.0))
    pool = fakecupy.get_default_memory_pool()
    pool.set_limit(size=pool.used_bytes())
    try:
        with gpudot.use_oom_policy("cpu"), pytest.warns(gpudot.GpudotFallbackWarning):
            assert gpudot.dot(np.arange(3.0), np.arange(3.0), out=out) is out
    finally:
        pool.set_limit(size=0)
    assert gpudot.to_numpy(out).shape == () and gpudot.to_numpy(out) == 5.0


@pytest.mark.parametrize(
    "settings, reason",
    [
        ({"driver": False}, "no NVIDIA driver was found"),
        ({"device_count": 0}, "the NVIDIA driver found no CUDA device"),
        ({"memory_per_device": 0}, "cannot allocate memory (OutOfMemoryError"),
    ],
)
def test_probe_says_why_the_device_is_unusable(settings, reason):
    with fakecupy.simulate(**settings):
        assert reason in CupyBackend(module=fakecupy).unavailable_reason()


def test_probe_reports_any_other_runtime_failure_with_cudas_words(monkeypatch):
    failure = fakecupy.cuda.runtime.CUDARuntimeError(101)

    def fails():
        raise failure

    monkeypatch.setattr(fakecupy.cuda.runtime, "getDeviceCount", fails)
    reason = CupyBackend(module=fakecupy).unavailable_reason()
    assert reason == f"the CUDA runtime failed to start ({failure})"


@pytest.mark.parametrize(
    "runtime_version, built_for, needs, other",
    [
        (
            12090,
            'CUDA 12 ("gpudot[cuda12]")',
            "driver 525 or newer",
            'driver 580 or newer, pip install "gpudot[cuda13]"',
        ),
        (
            13000,
            'CUDA 13 ("gpudot[cuda13]")',
            "driver 580 or newer",
            'driver 525 or newer, pip install "gpudot[cuda12]"',
        ),
    ],
    ids=["cuda12", "cuda13"],
)
def test_no_driver_names_the_driver_the_wheel_needs_and_the_other_extra(
    runtime_version, built_for, needs, other
):
    with fakecupy.simulate(driver=False, runtime_version=runtime_version):
        reason = CupyBackend(module=fakecupy).unavailable_reason()
    assert reason.startswith("no NVIDIA driver was found (cudaErrorInsufficientDriver: ")
    for part in (f"built for {built_for}", needs, "nvidia-smi", other):
        assert part in reason


def test_a_driver_too_old_says_which_cuda_it_supports():
    with fakecupy.simulate(driver_version=11040, runtime_version=12090):
        reason = CupyBackend(module=fakecupy).unavailable_reason()
    assert reason.startswith("the NVIDIA driver is too old (it supports CUDA 11.4)")
    assert "needs NVIDIA driver 525 or newer" in reason


def test_no_driver_for_an_unknown_cuda_major_names_both_extras():
    with fakecupy.simulate(driver=False, runtime_version=14000):
        reason = CupyBackend(module=fakecupy).unavailable_reason()
    assert "nvidia-smi" in reason
    assert '"gpudot[cuda12]" (CUDA 12) or "gpudot[cuda13]" (CUDA 13)' in reason


def test_the_installed_wheel_without_a_driver_names_its_own_extra():
    cupy = pytest.importorskip("cupy")
    if cupy.cuda.runtime.driverGetVersion() != 0:
        pytest.skip("an NVIDIA driver is installed here")
    (wheel,) = (d for d in metadata.packages_distributions()["cupy"] if d.startswith("cupy-cuda"))
    extra = wheel.removeprefix("cupy-").removesuffix("x")  # cupy-cuda12x -> cuda12
    reason = CupyBackend().unavailable_reason()
    assert f'("gpudot[{extra}]")' in reason and "nvidia-smi" in reason


def test_no_visible_device_when_the_count_is_zero(monkeypatch, machine):
    monkeypatch.setattr(fakecupy.cuda.runtime, "getDeviceCount", lambda: 0)
    assert "no CUDA device is visible" in CupyBackend(module=fakecupy).unavailable_reason()


def test_set_backend_falls_back_without_a_driver(monkeypatch):
    saved = _state.BACKEND_SETTING.default
    with fakecupy.simulate(driver=False):
        backend = CupyBackend(module=fakecupy, name="cupy-standin-nodriver")
        with pytest.warns(gpudot.GpudotFallbackWarning, match="no NVIDIA driver was found"):
            assert gpudot.set_backend(backend).name == "numpy"
        with pytest.raises(gpudot.BackendUnavailableError, match="no NVIDIA driver"):
            gpudot.set_backend(backend, strict=True)
    _state.BACKEND_SETTING.default = saved


def test_report_shows_the_devices_and_checks_the_backend(capsys, machine):
    from gpudot.__main__ import main

    assert main([]) == 0
    out = capsys.readouterr().out
    assert "cupy-standin   available" in out
    assert "cuda:1 fakecupy simulated GPU, 16.0 of 16.0 GiB free" in out
    assert "Check on cupy-standin:" in out and "FAIL" not in out
