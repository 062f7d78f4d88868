"""``cupy.cuda``: devices, streams, the runtime API, memory, the compiler's error, and the cuBLAS
and NVRTC bindings with CuPy's errors where the simulated machine lacks their libraries."""

from __future__ import annotations

from types import ModuleType

from fakecupy._machine import MACHINE
from fakecupy.cuda import compiler, memory, nvrtc, runtime
from fakecupy.cuda._loader import not_found_message
from fakecupy.cuda.device import Device
from fakecupy.cuda.stream import Event, Stream, get_current_stream, get_elapsed_time

__all__ = [
    "Device",
    "Event",
    "Stream",
    "compiler",
    "get_current_stream",
    "get_elapsed_time",
    "is_available",
    "memory",
    "nvrtc",
    "runtime",
]


def is_available() -> bool:
    """``runtime.getDeviceCount() > 0``, swallowing any error, as CuPy does."""
    try:
        return runtime.getDeviceCount() > 0
    except Exception:
        return False


def __getattr__(name: str) -> ModuleType:
    """``cupy.cuda.cublas`` loads libcublasLt and libcublas first, as CuPy 14.2's
    ``cupy/cuda/__init__.py`` does through ``cupy_backends/cuda/libs/__init__.py``: without them,
    the loader's ``ImportError``."""
    if name != "cublas":
        raise AttributeError(f"module 'cupy.cuda' has no attribute {name!r}")
    if not MACHINE.cublas:
        raise ImportError(not_found_message("cublasLt"))
    from fakecupy.cuda import _cublas  # not named cublas: that would skip this check next time

    return _cublas
