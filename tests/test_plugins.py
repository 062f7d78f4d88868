"""Plugin backends: the ``gpudot.backends`` entry points, the Array API adapter, DLPack inputs."""

from __future__ import annotations

import os
import subprocess
import sys
import types
import warnings
from importlib import metadata
from pathlib import Path

import fakecupy
import numpy as np
import pytest

import gpudot
from gpudot._dispatch import registry as _registry
from gpudot.backends import ArrayAPIBackend
from gpudot.backends.cupy._backend import CupyBackend

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "gpudot-array-api-strict"

GOOD_PLUGIN = """
import array_api_strict
from gpudot.backends import ArrayAPIBackend

def backend():
    return ArrayAPIBackend(array_api_strict, name="good")

def raises():
    raise RuntimeError("no device here")

def not_a_backend():
    return 42
"""


@pytest.fixture
def plugins(monkeypatch, tmp_path):
    """Install entry points (name -> "module:factory"); undo every registration afterwards."""
    pytest.importorskip("array_api_strict")
    (tmp_path / "gpudot_test_plugin.py").write_text(GOOD_PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    saved = dict(_registry._ENTRIES), dict(_registry._INSTANCES)

    def install(**entries: str) -> None:
        points = [metadata.EntryPoint(n, v, _registry.PLUGIN_GROUP) for n, v in entries.items()]
        monkeypatch.setattr(_registry.metadata, "entry_points", lambda group: points)
        _registry._plugins.cache_clear()

    yield install
    _registry._plugins.cache_clear()
    _registry._ENTRIES.clear(), _registry._ENTRIES.update(saved[0])
    _registry._INSTANCES.clear(), _registry._INSTANCES.update(saved[1])
    sys.modules.pop("gpudot_test_plugin", None)


def test_plugin_is_listed_without_import_and_loaded_on_first_lookup(plugins):
    plugins(good="gpudot_test_plugin:backend")
    assert gpudot.backend_names()[-1] == "good"
    assert "gpudot_test_plugin" not in sys.modules
    backend = _registry.lookup("good")
    assert isinstance(backend, ArrayAPIBackend) and _registry.lookup("good") is backend
    a, b = np.arange(6).reshape(2, 3), np.arange(12).reshape(3, 4)
    with gpudot.use_backend("good"):
        result = gpudot.matmul(a, b)
    np.testing.assert_array_equal(backend.to_numpy(result), a @ b)


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("gpudot_missing_module:backend", "ModuleNotFoundError"),
        ("gpudot_test_plugin:missing", "AttributeError"),
        ("gpudot_test_plugin:raises", "RuntimeError: no device here"),
        ("gpudot_test_plugin:not_a_backend", "returned a int, not a gpudot Backend"),
    ],
)
def test_broken_plugin_warns_and_never_breaks_own_backends(plugins, value, error):
    plugins(broken=value, good="gpudot_test_plugin:backend")
    with pytest.warns(gpudot.PluginWarning, match=rf"plugin 'broken' \({value}\).*{error}"):
        with pytest.raises(ValueError, match="'broken'"):
            gpudot.set_backend("broken", strict=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _registry.lookup("numpy").name == "numpy"
        assert _registry.lookup("good").name == "good"
        np.testing.assert_array_equal(gpudot.dot([1, 2], [3, 4]), 11)
    assert "broken" not in _registry._ENTRIES


def test_plugin_names_are_matched_case_insensitively(plugins):
    plugins(Good="gpudot_test_plugin:backend")
    assert gpudot.backend_names()[-1] == "good"
    with gpudot.use_backend("GOOD") as selected:
        assert selected is _registry.lookup("good") and selected.name == "good"


def test_plugin_warning_points_at_the_users_call(plugins):
    plugins(broken="gpudot_test_plugin:raises")
    with pytest.warns(gpudot.PluginWarning) as record, pytest.raises(ValueError):
        line = sys._getframe().f_lineno + 1
        gpudot.set_backend("broken")
    assert [(w.filename, w.lineno) for w in record] == [(__file__, line)]


def test_unknown_name_lists_plugins(plugins):
    plugins(good="gpudot_test_plugin:backend")
    with pytest.raises(ValueError, match="'good'"):
        _registry.lookup("nonesuch")


@pytest.fixture
def strict_devices():
    """array-api-strict backends on its default device and on ``device1``, registered."""
    xp = pytest.importorskip("array_api_strict")
    saved = dict(_registry._ENTRIES), dict(_registry._INSTANCES)
    made = {
        "strict-cpu": ArrayAPIBackend(xp, name="strict-cpu"),
        "strict-d1": ArrayAPIBackend(xp, name="strict-d1", device=xp.Device("device1")),
    }
    for name, backend in made.items():
        _registry.register_backend(name, lambda backend=backend: backend)
        _registry.lookup(name)
    yield xp, made
    _registry._ENTRIES.clear(), _registry._ENTRIES.update(saved[0])
    _registry._INSTANCES.clear(), _registry._INSTANCES.update(saved[1])


def test_other_device_operand_needs_the_transfer_policy(strict_devices):
    xp, made = strict_devices
    a, b = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(3, 4)
    on_cpu, on_d1 = xp.asarray(a), xp.asarray(b, device=xp.Device("device1"))
    with gpudot.use_backend(made["strict-cpu"]):
        with gpudot.use_transfer_policy("error"):
            with pytest.raises(gpudot.TransferError, match="x2.*device1"):
                gpudot.matmul(on_cpu, on_d1)
        with gpudot.use_transfer_policy("warn"), pytest.warns(gpudot.TransferWarning, match="x2"):
            result = gpudot.matmul(on_cpu, on_d1)
    assert result.device == xp.Device("CPU_DEVICE")
    np.testing.assert_array_equal(made["strict-cpu"].to_numpy(result), a @ b)


def test_out_on_own_device_casts_like_numpy(strict_devices):
    xp, made = strict_devices
    a, b = np.arange(6, dtype=np.int32).reshape(2, 3), np.arange(12, dtype=np.int32).reshape(3, 4)
    out = xp.zeros((2, 4), dtype=xp.float64)
    with gpudot.use_backend(made["strict-cpu"]):
        assert gpudot.matmul(a, b, out=out) is out
        with pytest.raises(TypeError, match="float64 to out's dtype int32"):
            gpudot.matmul(a.astype(np.float64), b, out=xp.zeros((2, 4), dtype=xp.int32))
    np.testing.assert_array_equal(np.from_dlpack(out), np.matmul(a, b, out=np.zeros((2, 4))))


def test_unsupported_dtypes_are_declared():
    xp = pytest.importorskip("array_api_strict")
    backend = ArrayAPIBackend(xp, name="strict")
    assert np.dtype("float16") not in backend.supported_dtypes  # array-api-strict has none
    assert np.dtype("bool") not in backend.supported_dtypes  # the standard's matmul is numeric only
    message = "float16 .*'strict' backend.*has no float16"
    with gpudot.use_backend(backend), pytest.raises(TypeError, match=message):
        gpudot.matmul(np.ones((2, 2), np.float16), np.ones((2, 2), np.float16))


def _not_standard_namespace() -> types.ModuleType:
    """A library without ``__array_api_version__``, whose arrays array-api-compat recognises."""
    module = types.ModuleType("plainlib")
    module.asarray = np.asarray
    return module


def test_compat_wraps_a_namespace_that_needs_it():
    compat = pytest.importorskip("array_api_compat")
    backend = ArrayAPIBackend(_not_standard_namespace(), name="wrapped")
    assert backend.xp is compat.numpy
    a, b = make_nd()
    with gpudot.use_backend(backend):
        assert_same(backend.to_numpy(gpudot.dot(a, b)), np.dot(a, b))


def test_without_compat_the_error_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "array_api_compat", None)
    with pytest.raises(ImportError, match=r"plainlib .*gpudot\[array-api\]"):
        ArrayAPIBackend(_not_standard_namespace(), name="wrapped")


def make_nd() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.integers(-9, 9, (2, 3, 4)), rng.integers(-9, 9, (5, 4, 2))


def assert_same(result: np.ndarray, expected: np.ndarray) -> None:
    assert result.dtype == expected.dtype and result.shape == expected.shape
    assert result.tobytes() == np.ascontiguousarray(expected).tobytes()


class Producer:
    """A minimal DLPack producer (not an ndarray) over a NumPy array's memory."""

    def __init__(self, array: np.ndarray, device: tuple[int, int] = (1, 0)):
        self.array, self.device = array, device

    def __dlpack__(self, **kwargs):
        return self.array.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self.device


@pytest.mark.parametrize("func", ["dot", "matmul"])
def test_dlpack_inputs_on_numpy_backend(func):
    a, b = make_nd()
    b = b[0]
    result = getattr(gpudot, func)(Producer(a), Producer(b))
    assert_same(result, getattr(np, func)(a, b))


def test_dlpack_host_input_is_zero_copy():
    a = np.arange(12.0).reshape(3, 4)
    numpy_backend = _registry.lookup("numpy")
    assert np.shares_memory(numpy_backend.asarray(Producer(a)), a)
    assert np.shares_memory(numpy_backend._operand(Producer(a), "x1"), a)


def test_array_api_strict_arrays_are_dlpack_inputs():
    xp = pytest.importorskip("array_api_strict")
    a, b = make_nd()
    result = gpudot.dot(xp.asarray(a), xp.asarray(b))
    assert isinstance(result, type(xp.asarray(a)))  # the operands' library comes back
    assert_same(np.from_dlpack(result), np.dot(a, b))


def test_cuda_backend_imports_device_producers_with_cupy_from_dlpack(monkeypatch):
    calls = []

    def from_dlpack(x):
        calls.append(x)
        return fakecupy.zeros(3)  # on the current device: taken as it is

    monkeypatch.setattr(fakecupy, "from_dlpack", from_dlpack)
    cuda = CupyBackend(module=fakecupy, name="cupy-standin")
    device_producer = Producer(np.ones(3), device=(2, 0))  # kDLCUDA
    with fakecupy.simulate():
        imported = cuda.from_dlpack(device_producer)
    assert calls == [device_producer] and imported.device.id == 0
    with fakecupy.simulate():
        host = cuda.from_dlpack(Producer(np.arange(3.0)))  # host memory: copied in like host data
        np.testing.assert_array_equal(cuda.to_numpy(host), np.arange(3.0))
    assert len(calls) == 1


def _example_site(tmp_path: Path) -> Path:
    """A site directory holding the example plugin's dist-info, made from its own pyproject.toml,
    so that importlib.metadata finds its entry points as it would after ``pip install``."""
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())["project"]
    info = tmp_path / "site" / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    info.mkdir(parents=True)
    info.joinpath("METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n"
    )
    points = project["entry-points"][_registry.PLUGIN_GROUP]
    lines = [f"[{_registry.PLUGIN_GROUP}]", *(f"{n} = {v}" for n, v in points.items())]
    info.joinpath("entry_points.txt").write_text("\n".join(lines) + "\n")
    return info.parent


def test_example_plugin_passes_shipped_suite_through_entry_point(tmp_path):
    pytest.importorskip("array_api_strict")
    path = os.pathsep.join([str(_example_site(tmp_path)), str(EXAMPLE / "src")])
    env = dict(os.environ, PYTHONPATH=path)
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "--noconftest",
        "-rs",
        "--pyargs",
        "gpudot.testing",
        "--gpudot-backend=array-api-strict",
        "--gpudot-backend=array-api-strict-device1",
    ]
    run = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "array-api-strict does not support float16" in run.stdout
    assert " passed" in run.stdout and " failed" not in run.stdout
