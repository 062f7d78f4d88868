"""The "auto" router (over the minimal CuPy double) and the calibration profile store and CLI."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

import gpudot
from gpudot._core.descriptions import MATMUL
from gpudot._dispatch import auto as _auto
from gpudot._dispatch import calibration as _calibration
from gpudot._dispatch.auto import AutoBackend
from gpudot.backends import _cost_model as _costmodel
from gpudot.backends import lookup
from gpudot.backends._cost_model import DEFAULT_PROFILE, Profile
from gpudot.backends.numpy._exact import _bool, _integer, product_cost
from gpudot.backends.numpy._exact import _half_precision as _ordered
from gpudot.backends.numpy._kernels import _load as _numba_kernels


@pytest.fixture
def auto(standin):
    return AutoBackend(standin.backend, lookup("numpy"), DEFAULT_PROFILE)


def test_auto_is_the_numpy_backend_itself_without_a_gpu(monkeypatch):
    monkeypatch.setattr(_auto, "_AUTO", {})
    with gpudot.use_backend("auto") as selected:
        assert selected is lookup("numpy")
        assert gpudot.get_backend() is lookup("numpy")


def test_auto_becomes_a_router_where_cuda_is_usable(monkeypatch, standin):
    monkeypatch.setattr(_auto, "_AUTO", {})
    monkeypatch.setattr(lookup("cuda"), "_reason", (None,))
    monkeypatch.setattr(lookup("cuda"), "_module", standin.xp)
    monkeypatch.setattr(
        _calibration, "profile_path", lambda: __import__("pathlib").Path("/nonexistent")
    )
    with gpudot.use_backend("auto") as selected:
        assert isinstance(selected, AutoBackend) and gpudot.get_backend() is selected
        assert selected.profile is DEFAULT_PROFILE
        assert "auto" in repr(selected) and "default profile" in repr(selected)


@pytest.mark.parametrize(
    "func, shape1, shape2, dtype, where",
    [
        ("matmul", (4, 4), (4, 4), "float64", "cpu"),
        ("matmul", (4096, 4096), (4096, 4096), "float64", "gpu"),
        ("matmul", (128, 128), (128, 128), "int32", "gpu"),
        ("matmul", (128, 128), (128, 128), "float32", "cpu"),
        ("matmul", (64, 256, 256), (256, 256), "float32", "gpu"),
        ("dot", (2048, 2048), (2048, 2048), "float64", "gpu"),
        ("dot", (3, 4), (5, 6), "float64", "cpu"),
        ("matmul", (2048, 2048), (2048, 2048), "object", "cpu"),
    ],
)
def test_host_operands_are_routed_by_the_cost_model(auto, func, shape1, shape2, dtype, where):
    a, b = np.zeros(shape1, dtype), np.zeros(shape2, dtype)
    backend, reason = auto.route(func, a, b)
    assert backend is (auto.gpu if where == "gpu" else auto.cpu), reason


def test_operands_already_on_the_gpu_keep_the_product_there(auto, standin):
    tiny = standin.xp.asarray(np.eye(2))
    backend, reason = auto.route("matmul", tiny, np.eye(2))
    assert backend is auto.gpu and "already on the GPU" in reason
    result = auto.matmul(tiny, np.eye(2))
    assert isinstance(result, standin.xp.ndarray)
    np.testing.assert_array_equal(standin.xp.asnumpy(result), np.eye(2))


@pytest.mark.parametrize("func", ["matmul", "dot"])
def test_routed_products_match_numpy_on_both_sides(auto, standin, func):
    rng = np.random.default_rng(5)
    small = rng.integers(-9, 9, (3, 4)), rng.integers(-9, 9, (4, 2))
    large = (
        rng.integers(-9, 9, (200, 300)).astype(np.int16),
        rng.integers(-9, 9, (300, 100)).astype(np.int16),
    )
    results = []
    for a, b in (small, large):
        with gpudot.use_backend(auto):
            result = getattr(gpudot, func)(a, b)
        results.append(result)
        host = auto.to_numpy(result)
        expected = getattr(np, func)(a, b)
        assert host.dtype == expected.dtype
        np.testing.assert_array_equal(host, expected)
    # only the large went to the GPU; host operands give NumPy on either side
    assert [auto.route(func, a, b)[0] for a, b in (small, large)] == [auto.cpu, auto.gpu]
    assert [type(r) for r in results] == [np.ndarray, np.ndarray]


def test_errors_under_auto_are_numpys(auto):
    with gpudot.use_backend(auto), pytest.raises(ValueError, match="x1 has shape"):
        gpudot.matmul(np.ones((3, 2)), np.ones((3, 4)))


def test_profile_store_round_trip_and_default(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("GPUDOT_PROFILE", raising=False)
    path = _calibration.profile_path()
    assert path == tmp_path / "gpudot" / "profile.json"
    assert _calibration.load_profile() is DEFAULT_PROFILE
    custom = Profile.from_dict({**DEFAULT_PROFILE.to_dict(), "h2d": 3e9})
    assert _calibration.save_profile(custom) == path
    loaded = _calibration.load_profile()
    assert loaded.h2d == 3e9 and loaded.source == f"default, from {path}"
    monkeypatch.setenv("GPUDOT_PROFILE", str(tmp_path / "elsewhere.json"))
    assert _calibration.profile_path() == tmp_path / "elsewhere.json"


def test_a_broken_profile_warns_and_falls_back_to_the_defaults(tmp_path, monkeypatch):
    path = tmp_path / "profile.json"
    monkeypatch.setenv("GPUDOT_PROFILE", str(path))
    path.write_text("{not json")
    with pytest.warns(UserWarning, match="ignoring the profile"):
        assert _calibration.load_profile() is DEFAULT_PROFILE
    path.write_text(json.dumps({"cpu_flops": {}}))
    with pytest.warns(UserWarning, match="missing field"):
        assert _calibration.load_profile() is DEFAULT_PROFILE


def test_calibrate_without_gpu_measures_the_cpu_and_keeps_gpu_defaults(tmp_path, monkeypatch):
    monkeypatch.setattr(
        _calibration,
        "CPU_SIZES",
        {
            "float64": 64,
            "int32": 16,
            "float16": 8,
            "float32": 64,
            "int8": 16,
            "int16": 16,
            "int64": 16,
        },
    )
    out = io.StringIO()
    assert _calibration.run(tmp_path / "p.json", out) == 0
    monkeypatch.setenv("GPUDOT_PROFILE", str(tmp_path / "p.json"))
    profile = _calibration.load_profile()
    assert "No usable GPU" in out.getvalue() and "GPU figures are the defaults" in profile.source
    assert "gpudot's NumPy backend, exact routes included" in out.getvalue()
    assert profile.cpu_route_scale["int32"] > 0 and "float64" not in profile.cpu_route_scale
    assert profile.gpu_flops == DEFAULT_PROFILE.gpu_flops
    assert profile.cpu_flops["float64"] > profile.cpu_flops["int32"] > 0
    assert profile.cpu_flops["uint32"] == profile.cpu_flops["int32"]


def test_calibrate_measures_the_gpu_through_the_backend(standin, monkeypatch):
    monkeypatch.setattr(
        _calibration, "CPU_SIZES", {"float64": 32, "int8": 8, "int16": 8, "int32": 8, "int64": 8}
    )
    monkeypatch.setattr(_calibration, "GPU_SIZE", 32)
    monkeypatch.setattr(_calibration, "TRANSFER_BYTES", 1 << 16)
    profile = _calibration.calibrate(standin.backend, repeats=1)
    assert set(profile.gpu_flops) >= {"float64", "int8", "uint8"}
    assert profile.h2d > 0 and profile.d2h > 0 and profile.gpu_launch > 0
    assert "on cuda:0" in profile.source


def _full_range(dtype, shape, seed):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "b":
        return rng.random(shape) < 0.01
    if np.dtype(dtype).kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)


def _gpu_profile(int8_flops, h2d=DEFAULT_PROFILE.h2d):
    return Profile.from_dict(
        {
            **DEFAULT_PROFILE.to_dict(),
            "gpu_flops": {**DEFAULT_PROFILE.gpu_flops, "int8": int8_flops},
            "h2d": h2d,
            "d2h": h2d,
        },
        source="synthetic",
    )


def test_auto_keeps_int8_512_on_the_cpu_when_the_gpu_is_no_faster_than_gpudots_route(standin):
    numpy = lookup("numpy")
    int8 = np.dtype("int8")
    cpu = numpy.estimate_seconds("matmul", int8, 512, 512, 512)
    flops = 2 * 512**3
    # The GPU multiplies exactly as fast as gpudot's CPU route (then adds launch and copies) ...
    auto = AutoBackend(standin.backend, numpy, _gpu_profile(flops / cpu.seconds))
    a, b = _full_range(int8, (512, 512), 0), _full_range(int8, (512, 512), 1)
    backend, reason = auto.route("matmul", a, b)
    assert backend is numpy, reason
    assert product_cost(int8, 512, 512, 512).route != "numpy"  # one of gpudot's routes ...
    assert reason.startswith("CPU predicted faster") and cpu.path in reason  # ... named here
    # ... which is still many times faster than NumPy's own int8 loop: the old model, which
    # timed raw np.matmul, would have sent this product to the GPU.
    numpy_loop = product_cost(int8, 512, 512, 512).candidates["numpy"] * 1e-9
    assert flops / (flops / cpu.seconds) * 10 < numpy_loop


def test_auto_sends_int8_512_to_a_much_faster_gpu(standin):
    numpy = lookup("numpy")
    cpu = numpy.estimate_seconds("matmul", np.dtype("int8"), 512, 512, 512)
    auto = AutoBackend(standin.backend, numpy, _gpu_profile(1000 * 2 * 512**3 / cpu.seconds, 1e12))
    a = _full_range("int8", (512, 512), 0)
    backend, reason = auto.route("matmul", a, a)
    assert backend is standin.backend, reason
    assert reason.startswith("GPU predicted faster") and cpu.path in reason
    assert cpu.path.startswith("gpudot's int8")


_RUNS = {
    (_integer, "float_gemm"): lambda args: args[3].name,
    (_integer, "limb_gemm"): lambda args: "limbs",
    (_integer, "einsum_matmul"): lambda args: "einsum",
    (_integer, "compiled_matmul"): lambda args: "simd",
    (_integer, "dot_product_matmul"): lambda args: "vnni",
    (_bool, "gemm_any"): lambda args: "gemm",
    (_ordered, "ordered_compiled"): lambda args: "compiled",
    (_ordered, "ordered_rank1"): lambda args: "rank1",
}


@pytest.fixture
def ran(monkeypatch):
    """The routes that run, by the rule's names for them, in order."""
    routes = []
    for (module, name), label in _RUNS.items():
        original = getattr(module, name)

        def spy(*args, _original=original, _label=label):
            routes.append(_label(args))
            return _original(*args)

        monkeypatch.setattr(module, name, spy)
    return routes


@pytest.mark.parametrize(
    "dtype, m, k, n",
    [
        ("int8", 512, 512, 512),
        ("int8", 64, 1100, 64),  # K > 1024: float32 sums would not be exact
        ("uint8", 256, 256, 256),
        ("int16", 256, 256, 256),
        ("int32", 256, 256, 256),
        ("int64", 256, 256, 256),
        ("int64", 24, 24, 24),
        ("bool", 256, 256, 256),
        ("float16", 256, 256, 256),
        ("float16", 512, 64, 2),
    ],
)
def test_autos_cpu_estimate_is_the_routing_rules_cost_of_the_route_that_runs(ran, dtype, m, k, n):
    a, b = _full_range(dtype, (m, k), 0), _full_range(dtype, (k, n), 1)
    numpy = lookup("numpy")
    np.testing.assert_array_equal(numpy.matmul(a, b), np.matmul(a, b))
    rule = product_cost(np.dtype(dtype), m, n, k)
    assert (ran or ["numpy"]) == [rule.route]
    cpu = numpy.estimate_seconds("matmul", np.dtype(dtype), m, n, k, 1, DEFAULT_PROFILE)
    assert cpu.seconds == DEFAULT_PROFILE.cpu_call + rule.ns * 1e-9
    assert cpu.path == rule.describe(np.dtype(dtype))
    guess = _costmodel.estimate(
        DEFAULT_PROFILE, np.dtype(dtype), m, n, k, host_bytes=0, result_bytes=0, cpu=cpu
    )
    assert guess.cpu == cpu.seconds and cpu.path in guess.reason


def test_calibrate_times_the_numpy_backend_not_raw_numpy(monkeypatch):
    monkeypatch.setattr(_calibration, "CPU_SIZES", {"float64": 16, "int8": 64, "float16": 64})
    from gpudot.backends.numpy._backend import NumpyBackend

    timed = []
    original = NumpyBackend.matmul

    def spy(self, a, b, *rest):
        timed.append(a.dtype)
        return original(self, a, b, *rest)

    monkeypatch.setattr(NumpyBackend, "matmul", spy)  # the class: an instance patch would stay
    flops, scale, call = _calibration.measure_cpu(repeats=1)
    assert {np.dtype(name) for name in ("float64", "int8", "float16")} <= set(timed)
    assert set(scale) == {"int8", "uint8", "float16"} and all(v > 0 for v in scale.values())
    assert flops["uint8"] == flops["int8"] and call > 0


@pytest.mark.parametrize(
    "dtype, shape_a, shape_b",
    [
        ("int32", (512, 512), (512,)),
        ("int8", (64, 64), (64,)),  # under MATVEC_MIN_WORK: NumPy's loop
        ("uint16", (300,), (300, 400)),
        ("int64", (4, 128, 128), (128,)),
        ("float16", (256, 256), (256,)),
        ("bool", (1024, 1024), (1024,)),  # NumPy's early exit, whatever the size
    ],
)
def test_autos_cpu_estimate_of_a_vector_product_is_the_rule_of_the_route_that_runs(
    ran, monkeypatch, standin, dtype, shape_a, shape_b
):
    """With one 1-D operand the matrix-vector kernel or NumPy runs; "auto" asks the rule
    for that product, not for a 2-D one of the same sizes."""
    pytest.importorskip("numba")
    monkeypatch.setattr(_numba_kernels, "ENABLED", True)
    kernels = _numba_kernels.kernels("matvec")
    kernel = kernels.matvec
    monkeypatch.setattr(kernels, "matvec", lambda *args: ran.append("matvec") or kernel(*args))
    a, b = _full_range(dtype, shape_a, 0), _full_range(dtype, shape_b, 1)
    numpy = lookup("numpy")
    np.testing.assert_array_equal(numpy.matmul(a, b), np.matmul(a, b))
    m, n, k, batch = MATMUL.sizes(a.shape, b.shape)
    rule = product_cost(np.dtype(dtype), m, n, k, batch, vector=True)
    assert (ran or ["numpy"]) == [rule.route]
    asked = []
    estimate = type(numpy).estimate_seconds

    def spy(self, *args, **kwargs):
        asked.append(kwargs.get("vector"))
        return estimate(self, *args, **kwargs)

    monkeypatch.setattr(type(numpy), "estimate_seconds", spy)
    AutoBackend(standin.backend, numpy, DEFAULT_PROFILE).route("matmul", a, b)
    assert asked == [True]
    cpu = numpy.estimate_seconds("matmul", np.dtype(dtype), m, n, k, batch, vector=True)
    assert cpu.seconds == DEFAULT_PROFILE.cpu_call + rule.ns * 1e-9
