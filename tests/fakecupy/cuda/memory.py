"""``cupy.cuda.memory``: device memory, CuPy's default pool per device, the current allocator.

Modelled on cupy/cuda/memory.pyx (v14.2.0):

- Each device has ``MACHINE.memory_per_device`` bytes, taken by ``cudaMalloc`` (`cuda_malloc`:
  the pool's segments, raw allocations, cuBLAS workspaces); a request that does not fit raises
  ``CUDARuntimeError: cudaErrorMemoryAllocation``.
- The pool rounds requests up to 512 bytes, serves them from the smallest free chunk that is large
  enough, splitting it (``get_chunk``), and merges freed chunks with free neighbours of the same
  segment. ``free_all_blocks`` frees only unsplit free segments: a free chunk split from a segment
  whose other part is in use stays reserved (``_Arena.free_all``).
- On a failed ``cudaMalloc`` or the pool's limit, the pool frees its unsplit blocks, runs
  ``gc.collect`` and retries before raising ``OutOfMemoryError`` (a `MemoryError`) with CuPy's
  message (``_try_malloc``).
- ``set_allocator(None)`` makes arrays take raw ``cudaMalloc`` memory (no pool: a full device
  raises ``CUDARuntimeError``); any other allocator (RMM's, say) raises what it raises.

The stand-in's allocator protocol: ``allocator(nbytes)`` returns the function that frees them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import threading
from collections.abc import Callable, Iterator

from fakecupy._machine import MACHINE
from fakecupy.cuda import pinned_memory, runtime

__all__ = [
    "MemoryPool",
    "OutOfMemoryError",
    "alloc",
    "cuda_malloc",
    "get_allocator",
    "get_default_memory_pool",
    "set_allocator",
]

_ROUND = 512  # CuPy rounds every allocation up to a multiple of 512 bytes

Release = Callable[[], None]


class OutOfMemoryError(MemoryError):
    """An allocation the device (or the pool's limit) cannot hold; CuPy's message shape."""

    def __init__(self, size: int, total: int, limit: int = 0):
        message = f"Out of memory allocating {size:,} bytes (allocated so far: {total:,} bytes"
        if limit:
            message += f", limit set to: {limit:,} bytes"
        super().__init__(message + ").")


@dataclasses.dataclass
class _Device:
    """Bytes ``cudaMalloc`` handed out on one device (the pool's segments included)."""

    allocated: int = 0


_DEVICES: dict[int, _Device] = {}


def generation() -> object:
    """What identifies the current simulated machine's memory (new after `reset_pools`)."""
    return _DEVICES


def _device(index: int) -> _Device:
    return _DEVICES.setdefault(index, _Device())


def allocated_bytes(index: int) -> int:
    """Bytes ``cudaMalloc`` handed out on device ``index`` (for ``memGetInfo``)."""
    return _device(index).allocated


def cuda_malloc(nbytes: int) -> Release:
    """``cudaMalloc`` on the current device; return the ``cudaFree`` of it.

    Raises
    ------
    CUDARuntimeError
        ``cudaErrorMemoryAllocation`` when the device has not ``nbytes`` left.
    """
    device = _device(runtime.getDevice())
    if device.allocated + nbytes > MACHINE.memory_per_device:
        raise runtime.CUDARuntimeError(runtime.MEMORY_ALLOCATION)
    device.allocated += nbytes
    freed = []

    def release() -> None:
        if not freed:
            freed.append(True)
            device.allocated -= nbytes

    return release


_malloc = cuda_malloc  # CuPy's name for the raw allocator that ``set_allocator(None)`` selects


@dataclasses.dataclass(eq=False)
class _Chunk:
    offset: int
    size: int
    free: bool = False


@dataclasses.dataclass(eq=False)
class _Segment:
    """One ``cudaMalloc`` of the pool, cut into chunks (sorted by offset)."""

    size: int
    release: Release
    chunks: list[_Chunk] = dataclasses.field(default_factory=list)

    @property
    def unsplit_and_free(self) -> bool:
        return len(self.chunks) == 1 and self.chunks[0].free


@contextlib.contextmanager
def _no_collection() -> Iterator[None]:
    """One thread at a time, and no garbage collection inside: a collected array's finalizer
    gives its chunk back, which would change the chunk lists while they are being read."""
    with _POOL_LOCK:
        enabled = gc.isenabled()
        gc.disable()
        try:
            yield
        finally:
            if enabled:
                gc.enable()


_POOL_LOCK = threading.RLock()


class _DevicePool:
    def __init__(self) -> None:
        self.segments: list[_Segment] = []
        self.used = 0
        self.limit = 0

    @property
    def total(self) -> int:
        return sum(segment.size for segment in self.segments)

    def take(self, size: int) -> tuple[_Segment, _Chunk] | None:
        """The smallest free chunk of at least ``size`` bytes, split to ``size``, or None."""
        with _no_collection():  # a collection here may free (and merge away) the chunk chosen
            return self._take(size)

    def _take(self, size: int) -> tuple[_Segment, _Chunk] | None:
        fits = [
            (chunk.size, segment, chunk)
            for segment in self.segments
            for chunk in segment.chunks
            if chunk.free and chunk.size >= size
        ]
        if not fits:
            return None
        _, segment, chunk = min(fits, key=lambda fit: fit[0])
        if chunk.size > size:
            rest = _Chunk(chunk.offset + size, chunk.size - size, free=True)
            segment.chunks.insert(segment.chunks.index(chunk) + 1, rest)
            chunk.size = size
        chunk.free = False
        return segment, chunk

    def give_back(self, segment: _Segment, chunk: _Chunk) -> None:
        """Free ``chunk`` and merge it with free neighbours of its segment."""
        with _no_collection():
            self._give_back(segment, chunk)

    def _give_back(self, segment: _Segment, chunk: _Chunk) -> None:
        self.used -= chunk.size
        chunk.free = True
        chunks = segment.chunks
        at = chunks.index(chunk)
        if at + 1 < len(chunks) and chunks[at + 1].free:
            chunk.size += chunks.pop(at + 1).size
        if at > 0 and chunks[at - 1].free:
            chunks[at - 1].size += chunks.pop(at).size

    def free_unsplit(self) -> None:
        for segment in [s for s in self.segments if s.unsplit_and_free]:
            self.segments.remove(segment)
            segment.release()


class MemoryPool:
    """CuPy's default pool: one arena per device, best-fit chunks split from ``cudaMalloc``
    segments, an optional limit on the bytes it reserves."""

    def __init__(self) -> None:
        self._devices: dict[int, _DevicePool] = {}

    def _pool(self, device: int | None = None) -> _DevicePool:
        index = runtime.getDevice() if device is None else device
        return self._devices.setdefault(index, _DevicePool())

    def malloc(self, nbytes: int) -> Release:
        """Reserve ``nbytes`` on the current device; return the function that frees them."""
        pool = self._pool()
        size = -(-max(nbytes, 1) // _ROUND) * _ROUND
        taken = pool.take(size)
        if taken is None:
            segment = _Segment(size, self._try_malloc(pool, size))
            segment.chunks.append(_Chunk(0, size))
            pool.segments.append(segment)
            taken = segment, segment.chunks[0]
        pool.used += size
        segment, chunk = taken
        freed = []

        def release() -> None:
            if not freed:
                freed.append(True)
                pool.give_back(segment, chunk)

        return release

    @staticmethod
    def _try_malloc(pool: _DevicePool, size: int) -> Release:
        """``cudaMalloc`` within the limit, freeing unsplit blocks and collecting garbage first
        when it fails, as ``SingleDeviceMemoryPool._try_malloc``."""
        for attempt in range(3):
            if attempt:
                if attempt == 2:
                    gc.collect()
                pool.free_unsplit()
            if pool.limit and pool.total + size > pool.limit:
                continue
            try:
                return cuda_malloc(size)
            except runtime.CUDARuntimeError as error:
                if error.status != runtime.MEMORY_ALLOCATION:
                    raise
        raise OutOfMemoryError(size, pool.total, pool.limit)

    def used_bytes(self, device: int | None = None) -> int:
        return self._pool(device).used

    def total_bytes(self, device: int | None = None) -> int:
        return self._pool(device).total

    def free_bytes(self) -> int:
        pool = self._pool()
        return pool.total - pool.used

    def n_free_blocks(self) -> int:
        return sum(c.free for s in self._pool().segments for c in s.chunks)

    def free_all_blocks(self) -> None:
        """Free the unsplit free blocks only (``Free all **non-split** blocks``)."""
        self._pool().free_unsplit()

    def set_limit(self, size: int | None = None, fraction: float | None = None) -> None:
        if fraction is not None:
            size = int(MACHINE.memory_per_device * fraction)
        self._pool().limit = size or 0

    def get_limit(self) -> int:
        return self._pool().limit


_DEFAULT_POOL = MemoryPool()
_allocator: list[Callable[[int], Release]] = [_DEFAULT_POOL.malloc]


def get_default_memory_pool() -> MemoryPool:
    return _DEFAULT_POOL


def set_allocator(allocator: Callable[[int], Release] | None = None) -> None:
    """Allocate arrays with ``allocator``; ``None``: raw ``cudaMalloc``, the pool disabled."""
    _allocator[0] = _malloc if allocator is None else allocator


def get_allocator() -> Callable[[int], Release]:
    return _allocator[0]


def alloc(nbytes: int) -> Release:
    """Memory for a new array on the current device, from the current allocator."""
    return _allocator[0](nbytes)


def reset_pools() -> object:
    """Start every device's memory and the pinned pool afresh; return the old state for
    `restore_pools`."""
    global _DEVICES
    saved = _DEFAULT_POOL._devices, _DEVICES, _allocator[0], pinned_memory.reset()
    _DEFAULT_POOL._devices, _DEVICES, _allocator[0] = {}, {}, _DEFAULT_POOL.malloc
    return saved


def restore_pools(saved: object) -> None:
    global _DEVICES
    _DEFAULT_POOL._devices, _DEVICES, _allocator[0], pinned = saved  # type: ignore[misc]
    pinned_memory.restore(pinned)
