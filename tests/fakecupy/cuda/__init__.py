"""``cupy.cuda``: devices, streams, the runtime API, memory and the compiler's error."""

from __future__ import annotations

from fakecupy.cuda import compiler, memory, runtime
from fakecupy.cuda.device import Device
from fakecupy.cuda.stream import Stream, get_current_stream

__all__ = [
    "Device",
    "Stream",
    "compiler",
    "get_current_stream",
    "is_available",
    "memory",
    "runtime",
]


def is_available() -> bool:
    """``runtime.getDeviceCount() > 0``, swallowing any error, as CuPy does."""
    try:
        return runtime.getDeviceCount() > 0
    except Exception:
        return False
