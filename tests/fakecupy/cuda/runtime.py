"""``cupy.cuda.runtime``: device count and properties, the current device, memory info."""

from __future__ import annotations

import threading

from fakecupy._machine import MACHINE

__all__ = [
    "CUDARuntimeError",
    "deviceSynchronize",
    "driverGetVersion",
    "getDevice",
    "getDeviceCount",
    "getDeviceProperties",
    "memGetInfo",
    "runtimeGetVersion",
    "setDevice",
]

#: ``cudaErrorMemoryAllocation`` and ``cudaErrorIllegalAddress`` (CUDA's numbers; the wheel
#: exports no Python name for them).
MEMORY_ALLOCATION = 2
ILLEGAL_ADDRESS = 700

_MESSAGES = {
    2: "cudaErrorMemoryAllocation: out of memory",
    35: "cudaErrorInsufficientDriver: CUDA driver version is insufficient for CUDA runtime version",
    100: "cudaErrorNoDevice: no CUDA-capable device is detected",
    101: "cudaErrorInvalidDevice: invalid device ordinal",
    700: "cudaErrorIllegalAddress: an illegal memory access was encountered",
}


class CUDARuntimeError(RuntimeError):
    """A failed CUDA runtime call; the message is ``'<cudaErrorName>: <text>'``."""

    def __init__(self, status: int):
        self.status = status
        super().__init__(_MESSAGES[status])


_current = threading.local()  # CUDA's current device is per host thread


def check_driver() -> None:
    """Raise what the first runtime call raises without a driver (or one for an older CUDA major
    version than the runtime's), or without a device."""
    if not MACHINE.driver or MACHINE.driver_version // 1000 < MACHINE.runtime_version // 1000:
        raise CUDARuntimeError(35)
    if MACHINE.device_count == 0:
        raise CUDARuntimeError(100)


def check_device(index: int) -> None:
    check_driver()
    if not 0 <= index < MACHINE.device_count:
        raise CUDARuntimeError(101)


def runtimeGetVersion() -> int:  # noqa: N802
    """The CUDA runtime version CuPy was built with; needs no driver."""
    return MACHINE.runtime_version


def driverGetVersion() -> int:  # noqa: N802
    """The newest CUDA version the driver supports, 0 without a driver (it never raises)."""
    return MACHINE.driver_version if MACHINE.driver else 0


def getDeviceCount() -> int:  # noqa: N802 - CuPy's name
    check_driver()
    return MACHINE.device_count


def getDevice() -> int:  # noqa: N802
    check_driver()
    return getattr(_current, "index", 0)


def setDevice(index: int) -> None:  # noqa: N802
    check_device(index)
    _current.index = index


def getDeviceProperties(index: int) -> dict[str, object]:  # noqa: N802
    check_device(index)
    return {"name": MACHINE.device_name.encode(), "totalGlobalMem": MACHINE.memory_per_device}


def memGetInfo() -> tuple[int, int]:  # noqa: N802
    """(free, total) bytes of the current device: what ``cudaMalloc`` has not handed out."""
    from fakecupy.cuda import memory

    total = MACHINE.memory_per_device
    return total - memory.allocated_bytes(getDevice()), total


def deviceSynchronize() -> None:  # noqa: N802
    """Wait for the current device: nothing to wait for, the stand-in computes synchronously."""
    check_driver()
