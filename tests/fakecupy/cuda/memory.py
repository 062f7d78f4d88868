"""``cupy.cuda.memory``: the default memory pool, per device, with CuPy's limit and OOM error."""

from __future__ import annotations

from collections.abc import Callable

from fakecupy._machine import MACHINE
from fakecupy.cuda import runtime

__all__ = ["MemoryPool", "OutOfMemoryError", "get_default_memory_pool"]

_ROUND = 512  # CuPy rounds every allocation up to a multiple of 512 bytes


class OutOfMemoryError(MemoryError):
    """An allocation the device (or the pool's limit) cannot hold; CuPy's message shape."""

    def __init__(self, size: int, total: int, limit: int = 0):
        message = f"Out of memory allocating {size:,} bytes (allocated so far: {total:,} bytes"
        if limit:
            message += f", limit set to: {limit:,} bytes"
        super().__init__(message + ").")


class _DevicePool:
    def __init__(self) -> None:
        self.used = 0
        self.cached = 0
        self.limit = 0

    def release(self, size: int) -> None:
        """A block goes back to the pool, which keeps it cached (as CuPy's pool does)."""
        self.used -= size
        self.cached += size


class MemoryPool:
    """Per-device accounting: bytes in use, freed blocks kept cached, an optional limit."""

    def __init__(self) -> None:
        self._devices: dict[int, _DevicePool] = {}

    def _pool(self, device: int | None = None) -> _DevicePool:
        index = runtime.getDevice() if device is None else device
        return self._devices.setdefault(index, _DevicePool())

    def malloc(self, nbytes: int) -> Callable[[], None]:
        """Reserve ``nbytes`` on the current device; return the function that frees them."""
        pool = self._pool()
        size = -(-max(nbytes, 1) // _ROUND) * _ROUND
        capacity = min(pool.limit or MACHINE.memory_per_device, MACHINE.memory_per_device)
        if pool.used + pool.cached + size > capacity:
            pool.cached = 0  # CuPy frees the cached blocks and retries before giving up
            if pool.used + size > capacity:
                raise OutOfMemoryError(size, pool.used, pool.limit)
        pool.cached = max(pool.cached - size, 0)
        pool.used += size
        return lambda: pool.release(size)

    def used_bytes(self, device: int | None = None) -> int:
        return self._pool(device).used

    def total_bytes(self, device: int | None = None) -> int:
        pool = self._pool(device)
        return pool.used + pool.cached

    def free_bytes(self) -> int:
        return self._pool().cached

    def free_all_blocks(self) -> None:
        self._pool().cached = 0

    def set_limit(self, size: int | None = None, fraction: float | None = None) -> None:
        if fraction is not None:
            size = int(MACHINE.memory_per_device * fraction)
        self._pool().limit = size or 0

    def get_limit(self) -> int:
        return self._pool().limit


_DEFAULT_POOL = MemoryPool()


def get_default_memory_pool() -> MemoryPool:
    return _DEFAULT_POOL


def reset_pools() -> dict[int, _DevicePool]:
    """Start every device's accounting afresh; return the old state for `restore_pools`."""
    saved, _DEFAULT_POOL._devices = _DEFAULT_POOL._devices, {}
    return saved


def restore_pools(saved: dict[int, _DevicePool]) -> None:
    _DEFAULT_POOL._devices = saved
