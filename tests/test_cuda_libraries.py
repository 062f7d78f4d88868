"""The CUDA backend's probe checks the CUDA libraries its products load (issue #27, item 1).

Over the stand-in (its switches ``cublas``, ``nvrtc``, ``cuda_headers``) and over the real CuPy
wheel's own loader: without the libraries (this repository's test extra installs the bare wheel)
and with stand-in libraries on ``CUDA_PATH`` (`fakecupy._libstubs`), in a fresh interpreter. Only
a GPU run proves that NVIDIA's libraries, installed by the extras, load and compute.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import fakecupy
import pytest
from fakecupy import _libstubs

import gpudot
from gpudot._dispatch import backend_setting as _state
from gpudot.backends.cupy._backend import CupyBackend

NAMES = {"cublas": "cuBLAS", "nvrtc": "NVRTC", "cuda_headers": "the CUDA runtime headers"}
FIX = 'install what is missing with pip install "gpudot[cuda12]" (NVIDIA\'s CUDA 12 wheels)'


@pytest.mark.parametrize("library", NAMES)
def test_each_missing_library_alone_makes_the_backend_unusable_and_is_named(library):
    with fakecupy.simulate(**{library: False}):
        reason = CupyBackend(module=fakecupy).unavailable_reason()
    assert reason.startswith(f"CuPy cannot load {NAMES[library]} (")
    assert FIX in reason
    assert [name for name in NAMES.values() if name in reason] == [NAMES[library]]


def test_the_loaders_words_are_kept():
    with fakecupy.simulate(cublas=False):
        reason = CupyBackend(module=fakecupy).unavailable_reason()
    assert 'cuBLAS (Failure finding "libcublasLt.so.13 or libcublasLt.so.12"' in reason


def test_no_driver_and_no_libraries_names_each_with_its_fix():
    with fakecupy.simulate(driver=False, cublas=False, nvrtc=False, cuda_headers=False):
        reason = CupyBackend(module=fakecupy).unavailable_reason()
    driver, libraries = reason.split("; and ")
    assert driver.startswith("no NVIDIA driver was found") and "nvidia-smi" in driver
    assert libraries.startswith("CuPy cannot load cuBLAS (")
    assert all(name in libraries for name in NAMES.values()) and FIX in libraries


def test_the_extra_named_is_the_wheels_cuda_major():
    with fakecupy.simulate(runtime_version=13000, driver_version=13000, nvrtc=False):
        reason = CupyBackend(module=fakecupy).unavailable_reason()
    assert 'pip install "gpudot[cuda13]" (NVIDIA\'s CUDA 13 wheels)' in reason


def test_a_wheel_for_an_unknown_cuda_major_names_both_extras():
    with fakecupy.simulate(runtime_version=14000, driver_version=14000, cublas=False):
        reason = CupyBackend(module=fakecupy).unavailable_reason()
    assert reason.startswith("CuPy cannot load cuBLAS (")
    assert reason.endswith('"gpudot[cuda12]" (CUDA 12) or "gpudot[cuda13]" (CUDA 13)')


def test_the_probe_runs_once_per_backend(monkeypatch):
    calls = []
    real = fakecupy.cuda.nvrtc.getVersion
    monkeypatch.setattr(fakecupy.cuda.nvrtc, "getVersion", lambda: calls.append(1) or real())
    with fakecupy.simulate():
        backend = CupyBackend(module=fakecupy)
        assert backend.unavailable_reason() is None
        assert backend.unavailable_reason() is None
    assert calls == [1]


def test_a_missing_library_is_a_fallback_warning_or_in_strict_mode_an_error():
    saved = _state.BACKEND_SETTING.default
    with fakecupy.simulate(cublas=False):
        backend = CupyBackend(module=fakecupy, name="cupy-standin-nocublas")
        with pytest.warns(gpudot.GpudotFallbackWarning, match="CuPy cannot load cuBLAS"):
            assert gpudot.set_backend(backend).name == "numpy"
        with pytest.raises(gpudot.BackendUnavailableError, match='gpudot\\[cuda12\\]'):
            gpudot.set_backend(backend, strict=True)
    _state.BACKEND_SETTING.default = saved


def _bare_wheel():
    """The real CuPy wheel, where its loader finds neither cuBLAS nor a driver; else skip."""
    cupy = pytest.importorskip("cupy")
    try:
        cupy.cuda.cublas  # noqa: B018 - the attribute access is the load
    except ImportError:
        pass
    else:
        pytest.skip("the CUDA libraries are installed here: their absence cannot be observed")
    if cupy.cuda.runtime.driverGetVersion() != 0:
        pytest.skip("an NVIDIA driver is installed here")
    return cupy


def test_the_real_wheel_without_driver_or_libraries_names_each():
    cupy = _bare_wheel()
    major = cupy.cuda.runtime.runtimeGetVersion() // 1000
    reason = CupyBackend().unavailable_reason()
    assert reason.startswith("no NVIDIA driver was found")
    assert 'cuBLAS (Failure finding "libcublasLt.so.13 or libcublasLt.so.12"' in reason
    assert 'NVRTC (Failure finding "libnvrtc.so.13 or libnvrtc.so.12"' in reason
    assert f'pip install "gpudot[cuda{major}]" (NVIDIA\'s CUDA {major} wheels)' in reason


PROBE = """
import json
from gpudot.backends.cupy._backend import CupyBackend
print(json.dumps(CupyBackend().unavailable_reason()))
"""


def _probe_with(libraries: tuple[str, ...], tmp_path) -> str:
    """The real wheel's probe in a fresh interpreter whose CUDA_PATH holds ``libraries``."""
    cupy = _bare_wheel()
    if reason := _libstubs.can_build():
        pytest.skip(reason)
    major = cupy.cuda.runtime.runtimeGetVersion() // 1000
    root = _libstubs.build(tmp_path / "cuda", major, libraries)
    environment = {**os.environ, "CUDA_PATH": str(root), "CUDA_HOME": str(root)}
    checkout = str(Path(gpudot.__file__).parent.parent)  # this gpudot, not an installed one
    paths = [checkout, os.environ.get("PYTHONPATH", "")]
    environment["PYTHONPATH"] = os.pathsep.join(path for path in paths if path)
    run = subprocess.run(
        [sys.executable, "-c", PROBE], env=environment, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.splitlines()[-1])


def test_the_real_wheel_with_the_libraries_present_names_only_the_driver(tmp_path):
    reason = _probe_with(_libstubs.LIBRARIES, tmp_path)
    assert reason.startswith("no NVIDIA driver was found")
    assert "CuPy cannot load" not in reason


def test_the_real_wheel_with_cublas_but_no_nvrtc_names_nvrtc_alone(tmp_path):
    reason = _probe_with(("cublas", "headers"), tmp_path)
    assert "CuPy cannot load NVRTC (" in reason and "cuBLAS" not in reason
