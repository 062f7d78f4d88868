"""Fixtures of the CuPy contract suite: each fact runs on the stand-in and on real CuPy.

``cp`` is the stand-in (always) and the real ``cupy`` (only where a device is usable: the
``gpu`` marker skips it otherwise with the probe's reason). ``any_cp`` is the installed wheel
with or without a GPU, for facts that need no device. ``nodriver_cp`` is the real wheel on a
machine without a usable driver, and the stand-in simulating one. ``nolibs_cp`` is the real wheel
where its loader finds no CUDA library, and the stand-in simulating that.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

import fakecupy
import pytest


def _real_cupy() -> ModuleType:
    return pytest.importorskip("cupy", reason="CuPy is not installed (extra cuda12 or cuda13)")


@pytest.fixture(params=["cupy-standin", pytest.param("cupy", marks=pytest.mark.gpu)])
def cp(request: pytest.FixtureRequest) -> Iterator[ModuleType]:
    if request.param == "cupy":
        yield _real_cupy()
        return
    with fakecupy.simulate():
        yield fakecupy


@pytest.fixture(params=["cupy-wheel", "cupy-standin"])
def any_cp(request: pytest.FixtureRequest) -> ModuleType:
    """The installed CuPy wheel, GPU or not, and the stand-in: for facts that need no device."""
    return _real_cupy() if request.param == "cupy-wheel" else fakecupy


@pytest.fixture(params=["cupy-wheel", "cupy-standin"])
def nodriver_cp(request: pytest.FixtureRequest) -> Iterator[ModuleType]:
    if request.param == "cupy-wheel":
        cupy = _real_cupy()
        if cupy.is_available():
            pytest.skip("a CUDA device is usable here: the no-driver facts cannot be observed")
        yield cupy
        return
    with fakecupy.simulate(driver=False):
        yield fakecupy


def _loads_cublas(cupy: ModuleType) -> bool:
    try:
        cupy.cuda.cublas  # noqa: B018 - the attribute access is the load
    except ImportError:
        return False
    return True


@pytest.fixture(params=["cupy-wheel", "cupy-standin"])
def nolibs_cp(request: pytest.FixtureRequest) -> Iterator[ModuleType]:
    """The real wheel where its loader finds no CUDA library (a bare ``cupy-cuda12x``, as this
    repository's test extra installs it), and the stand-in simulating that machine."""
    if request.param == "cupy-wheel":
        cupy = _real_cupy()
        if _loads_cublas(cupy):
            pytest.skip("the CUDA libraries are installed here: their absence cannot be observed")
        yield cupy
        return
    with fakecupy.simulate(cublas=False, nvrtc=False, cuda_headers=False):
        yield fakecupy


@pytest.fixture
def two_devices(cp: ModuleType) -> ModuleType:
    """``cp`` with at least two devices (the stand-in simulates two)."""
    if cp.cuda.runtime.getDeviceCount() < 2:
        pytest.skip("needs two CUDA devices")
    return cp
