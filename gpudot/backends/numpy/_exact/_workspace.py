"""Scratch arrays the compiled routes reuse from call to call (packed panels, padded copies).

A fresh temporary of a megabyte or more costs its page faults on every call: glibc returns freed
blocks that large to the system, and whether it does depends on the sizes freed before in the
process (its mmap and trim thresholds adapt): the same product would run at different speeds after
different products (docs/fast-paths.md, "The same speed every time"). Each thread
keeps one buffer per name, grown as needed, so from a product's second call on its temporaries
are memory already mapped. Buffers start on a 64-byte boundary (whole cache lines for the
kernels' vector loads, whatever the allocator's alignment). Requests above
`WORKSPACE_MAX_BYTES` get a fresh array, so a huge product does not pin its size for good.
"""

from __future__ import annotations

import math
import threading
from typing import Any

import numpy as np

from gpudot._tuning import WORKSPACE_MAX_BYTES

__all__ = ["scratch"]

_ALIGN = 64
_local = threading.local()


def scratch(name: str, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """An uninitialised C-contiguous ``shape`` array of ``dtype`` on this thread's buffer
    ``name``, 64-byte aligned. Valid until the next request for ``name`` on this thread: never
    return it (or a view of it) to a caller."""
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    try:
        buffers: dict[str, np.ndarray] = _local.buffers
    except AttributeError:
        buffers = _local.buffers = {}
    aligned = buffers.get(name)
    if aligned is None or aligned.size < nbytes:
        if nbytes + _ALIGN > WORKSPACE_MAX_BYTES:
            aligned = _aligned(nbytes)
            return aligned.view(dtype).reshape(shape)
        aligned = buffers[name] = _aligned(nbytes)
    return aligned[:nbytes].view(dtype).reshape(shape)


def _aligned(nbytes: int) -> np.ndarray:
    """``nbytes`` fresh bytes starting on a 64-byte boundary."""
    buffer = np.empty(nbytes + _ALIGN, np.uint8)
    start = -buffer.ctypes.data % _ALIGN
    return buffer[start : start + nbytes]
