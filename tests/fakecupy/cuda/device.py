"""``cupy.cuda.Device``: select a device, as a context manager or with ``use()``; the cuBLAS
handle of each host thread and device (``get_cublas_handle``, cupy/cuda/device.pyx v14.2.0:
created at a thread's first cuBLAS call on a device, kept in thread-local storage, destroyed
when the thread's storage goes)."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable

from fakecupy._machine import MACHINE
from fakecupy.cuda import runtime

__all__ = ["Device", "get_cublas_handle"]


class _Handles:
    """This thread's cuBLAS handles, for one simulated machine: device -> ``cublasDestroy``."""

    def __init__(self, generation: object):
        self.generation = generation
        self.destroys: dict[int, Callable[[], None]] = {}
        weakref.finalize(self, _destroy_all, self.destroys)


def _destroy_all(destroys: dict[int, Callable[[], None]]) -> None:
    for destroy in destroys.values():
        destroy()


_thread = threading.local()


def get_cublas_handle() -> int:
    """The current thread's handle on the current device, creating it (``cublas.create``, which
    may raise ``CUBLASError``) at the thread's first call there."""
    from fakecupy import cuda  # ``cuda.cublas``: CuPy's ImportError where cuBLAS is missing
    from fakecupy.cuda import memory

    cublas = cuda.cublas

    handles = getattr(_thread, "handles", None)
    if handles is None or handles.generation is not memory.generation():
        handles = _thread.handles = _Handles(memory.generation())
    device = runtime.getDevice()
    if device not in handles.destroys:
        handles.destroys[device] = cublas.create()
    return id(handles) + device


class Device:
    """A CUDA device; like CuPy's, it is not validated until it is used."""

    def __init__(self, device: int | None = None):
        self.id = runtime.getDevice() if device is None else int(device)
        self._previous: list[int] = []

    def use(self) -> None:
        runtime.setDevice(self.id)

    def __enter__(self) -> Device:
        previous = runtime.getDevice()
        runtime.setDevice(self.id)
        self._previous.append(previous)
        return self

    def __exit__(self, *exc_info: object) -> None:
        runtime.setDevice(self._previous.pop())

    @property
    def compute_capability(self) -> str:
        """``major * 10 + minor`` as a string, as CuPy gives it (``"80"`` for Ampere)."""
        runtime.check_device(self.id)
        return str(MACHINE.compute_capability)

    @property
    def mem_info(self) -> tuple[int, int]:
        """(free, total) bytes of this device."""
        with Device(self.id):
            return runtime.memGetInfo()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Device) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return f"<CUDA Device {self.id}>"
