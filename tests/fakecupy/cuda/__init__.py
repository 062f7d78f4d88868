"""``cupy.cuda``: devices, streams, the runtime API, memory (device and pinned), the current
allocator, cuBLAS's error and the compiler's error."""

from __future__ import annotations

from fakecupy.cuda import compiler, cublas, memory, pinned_memory, runtime
from fakecupy.cuda.device import Device
from fakecupy.cuda.memory import get_allocator, set_allocator
from fakecupy.cuda.stream import Event, Stream, get_current_stream, get_elapsed_time

__all__ = [
    "Device",
    "Event",
    "Stream",
    "compiler",
    "cublas",
    "get_allocator",
    "get_current_stream",
    "get_elapsed_time",
    "is_available",
    "memory",
    "pinned_memory",
    "runtime",
    "set_allocator",
]


def is_available() -> bool:
    """``runtime.getDeviceCount() > 0``, swallowing any error, as CuPy does."""
    try:
        return runtime.getDeviceCount() > 0
    except Exception:
        return False
