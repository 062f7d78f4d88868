"""``cupy.cuda.pinned_memory``: the pinned (page-locked) host memory pool that host copies use.

Modelled on cupy/cuda/pinned_memory.pyx (v14.2.0): requests are rounded up to a multiple of 512
bytes, then to a power of two; a freed buffer goes to the free list of its size and stays pinned
until ``free_all_blocks``, which nothing in CuPy calls. ``cupy.asarray`` of a NumPy array stages
the copy through a buffer of this pool (``_alloc_async_transfer_buffer``, cupy/_core/core.pyx),
freed once the copy is done (at once here: the stand-in copies synchronously).
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["PinnedMemoryPool", "alloc_pinned_memory", "get_default_pinned_memory_pool"]

_UNIT = 512


class PinnedMemoryPool:
    """Free pinned buffers kept per rounded size; ``n_free_blocks`` counts them."""

    def __init__(self) -> None:
        self._free: dict[int, int] = {}
        self.in_use = 0

    def malloc(self, size: int) -> Callable[[], None]:
        """A buffer of at least ``size`` bytes (reused if one of its size is free); return the
        function that gives it back to the pool."""
        rounded = 1 << max(-(-size // _UNIT) * _UNIT - 1, 0).bit_length()
        if self._free.get(rounded):
            self._free[rounded] -= 1
        self.in_use += 1

        def free() -> None:
            self.in_use -= 1
            self._free[rounded] = self._free.get(rounded, 0) + 1

        return free

    def free_all_blocks(self) -> None:
        """Release every free buffer (``cudaFreeHost``)."""
        self._free.clear()

    def n_free_blocks(self) -> int:
        return sum(self._free.values())


_DEFAULT_PINNED_POOL = [PinnedMemoryPool()]


def get_default_pinned_memory_pool() -> PinnedMemoryPool:
    return _DEFAULT_PINNED_POOL[0]


def alloc_pinned_memory(size: int) -> Callable[[], None]:
    """A staging buffer from the default pinned pool."""
    return _DEFAULT_PINNED_POOL[0].malloc(size)


def reset() -> PinnedMemoryPool:
    """Start with an empty pool; return the old one for `restore`."""
    saved, _DEFAULT_PINNED_POOL[0] = _DEFAULT_PINNED_POOL[0], PinnedMemoryPool()
    return saved


def restore(saved: PinnedMemoryPool) -> None:
    _DEFAULT_PINNED_POOL[0] = saved
