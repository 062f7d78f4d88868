"""The pure cost model behind "auto": decisions checked against independently computed costs."""

import itertools

import numpy as np
import pytest

from gpudot.backends._cost_model import DEFAULT_PROFILE, Profile, estimate, product_flops
from gpudot.backends.numpy._exact import product_cost
from gpudot.backends.numpy._kernels import _load as _numba_kernels

DTYPES = [
    "bool",
    "int8",
    "int32",
    "int64",
    "uint16",
    "float16",
    "float32",
    "float64",
    "complex64",
    "complex128",
]


def _profile(**changes):
    data = DEFAULT_PROFILE.to_dict()
    data.update(changes)
    return Profile.from_dict(data, source="synthetic")


SYNTHETIC = {
    "default": DEFAULT_PROFILE,
    "slow-pcie": _profile(h2d=1e9, d2h=0.5e9),
    "fast-cpu-slow-gpu": _profile(
        cpu_flops={**DEFAULT_PROFILE.cpu_flops, "float64": 2e12, "float32": 4e12},
        gpu_flops={**DEFAULT_PROFILE.gpu_flops, "float64": 0.3e12, "float32": 20e12},
        gpu_launch=200e-6,
    ),
    "consumer-gpu": _profile(gpu_flops={**DEFAULT_PROFILE.gpu_flops, "float64": 0.4e12}),
    "calibrated-cpu": _profile(cpu_route_scale={"int8": 3.0, "float16": 0.5, "bool": 2.0}),
}


def _true_seconds(profile, dtype, m, n, k, batch, device):
    """Cost of one product on ``device`` written out by hand from the profile's definition."""
    item = dtype.itemsize
    ops = 2 * batch * m * n * k * (4 if dtype.kind == "c" else 1)
    if device == "cpu":
        rule = product_cost(dtype, m, n, k, batch)  # gpudot's exact routes, where it has them
        if rule is None:
            return profile.cpu_call + ops / profile.cpu_flops[dtype.name]
        return profile.cpu_call + rule.ns * 1e-9 * profile.cpu_route_scale.get(dtype.name, 1)
    moved_in = batch * (m * k + k * n) * item
    moved_out = batch * m * n * item
    return (
        profile.gpu_launch
        + ops / profile.gpu_flops[dtype.name]
        + moved_in / profile.h2d
        + moved_out / profile.d2h
    )


@pytest.mark.parametrize("name", sorted(SYNTHETIC))
def test_choice_is_never_10_percent_slower_than_the_better_device(name):
    profile = SYNTHETIC[name]
    sizes = [1, 2, 4, 8, 16, 32, 64, 100, 128, 256, 300, 512, 1024, 2048, 4096, 8192]
    for dtype_name, size, batch in itertools.product(DTYPES, sizes, [1, 8]):
        dtype = np.dtype(dtype_name)
        m = n = k = size
        est = estimate(
            profile,
            dtype,
            m,
            n,
            k,
            batch,
            host_bytes=batch * (m * k + k * n) * dtype.itemsize,
            result_bytes=batch * m * n * dtype.itemsize,
        )
        cpu = _true_seconds(profile, dtype, m, n, k, batch, "cpu")
        gpu = _true_seconds(profile, dtype, m, n, k, batch, "gpu")
        chosen = cpu if est.device == "cpu" else gpu
        assert chosen <= 1.10 * min(cpu, gpu), (name, dtype_name, size, batch, est)
        assert est.cpu == pytest.approx(cpu) and est.gpu == pytest.approx(gpu)


def test_tiny_products_stay_on_the_cpu_and_large_ones_go_to_the_gpu():
    f64 = np.dtype("float64")
    small = estimate(DEFAULT_PROFILE, f64, 4, 4, 4, host_bytes=256, result_bytes=128)
    large = estimate(
        DEFAULT_PROFILE, f64, 4096, 4096, 4096, host_bytes=2 * 8 * 4096**2, result_bytes=8 * 4096**2
    )
    assert (small.device, large.device) == ("cpu", "gpu")
    assert "CPU predicted faster" in small.reason and "GPU predicted faster" in large.reason


def _crossover(dtype_name):
    dtype = np.dtype(dtype_name)
    for size in range(1, 4097):
        nbytes = size * size * dtype.itemsize
        if (
            estimate(
                DEFAULT_PROFILE, dtype, size, size, size, host_bytes=2 * nbytes, result_bytes=nbytes
            ).device
            == "gpu"
        ):
            return size
    return None


def test_routed_dtypes_move_to_the_gpu_before_float32_under_the_default_gpu():
    float32 = _crossover("float32")
    for slow in ("int32", "int8", "float16", "bool"):
        assert _crossover(slow) < float32, slow


def test_the_cpu_side_is_gpudots_route_not_numpys_loop(monkeypatch):
    """int8 512^2 without numba: the float32-gemm route, tens of times below NumPy's loop."""
    monkeypatch.setattr(_numba_kernels, "ENABLED", False)
    int8 = np.dtype("int8")
    rule = product_cost(int8, 512, 512, 512)
    est = estimate(DEFAULT_PROFILE, int8, 512, 512, 512, host_bytes=2 << 18, result_bytes=1 << 18)
    assert rule.route == "float32" and rule.ns * 20 < rule.candidates["numpy"]
    assert est.cpu == pytest.approx(DEFAULT_PROFILE.cpu_call + rule.ns * 1e-9, rel=1e-12)
    assert "int8 float32-gemm route" in est.reason and rule.describe(int8) in est.reason


def test_a_calibrated_scale_multiplies_the_rule():
    int8 = np.dtype("int8")
    sizes = dict(host_bytes=2 << 18, result_bytes=1 << 18)
    plain = estimate(DEFAULT_PROFILE, int8, 512, 512, 512, **sizes)
    slow = estimate(_profile(cpu_route_scale={"int8": 4.0}), int8, 512, 512, 512, **sizes)
    call = DEFAULT_PROFILE.cpu_call
    assert slow.cpu - call == pytest.approx(4 * (plain.cpu - call))


def test_a_dtype_the_gpu_lacks_is_never_routed_there():
    profile = _profile(gpu_flops={"float64": 1e13})
    est = estimate(profile, np.dtype("int8"), 4096, 4096, 4096, host_bytes=1, result_bytes=1)
    assert est.device == "cpu" and est.gpu == float("inf")


def test_flops_count_complex_as_four_real_products():
    assert product_flops(2, 3, 4, 5, np.dtype("float32")) == 240
    assert product_flops(2, 3, 4, 5, np.dtype("complex64")) == 960


def test_profile_round_trips_and_rejects_bad_data():
    again = Profile.from_dict(DEFAULT_PROFILE.to_dict())
    assert again == DEFAULT_PROFILE
    with pytest.raises(ValueError, match="missing field 'h2d'"):
        data = DEFAULT_PROFILE.to_dict()
        del data["h2d"]
        Profile.from_dict(data)
    with pytest.raises(ValueError, match="positive"):
        Profile.from_dict({**DEFAULT_PROFILE.to_dict(), "d2h": 0})
    with pytest.raises(ValueError, match="bad or missing field"):
        Profile.from_dict({**DEFAULT_PROFILE.to_dict(), "cpu_flops": 3})
    with pytest.raises(ValueError, match="positive"):
        Profile.from_dict({**DEFAULT_PROFILE.to_dict(), "cpu_route_scale": {"int8": -1}})
    older = DEFAULT_PROFILE.to_dict()
    del older["cpu_route_scale"]  # profiles written before the scale existed still load
    assert Profile.from_dict(older).cpu_route_scale == {}
