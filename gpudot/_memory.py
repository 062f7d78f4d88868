"""The out-of-memory policy: what a GPU product does when device memory runs out.

On CuPy's ``OutOfMemoryError`` gpudot frees the memory pool's cached blocks and retries once. If
that fails too, the policy in effect decides:

``"raise"`` (default)
    `DeviceMemoryError` (a ``MemoryError``) naming the operation, shapes, dtypes, the bytes
    needed and the device's free and total memory.
``"tile"``
    Compute the product in blocks of output rows, columns or batch entries that fit (the
    contracted axis is never split; see `gpudot._tiling`). The result is one device array.
``"cpu"``
    Compute on the host with NumPy (exact NumPy bits) and emit one `GpudotFallbackWarning`; the
    result is a NumPy array (or is written into ``out=``).

Inputs and ``out=`` are never modified by a failed attempt: results reach ``out=`` only at the end.
The policy is a `ScopedSetting` like the backend: `set_oom_policy`, `use_oom_policy`,
`get_oom_policy`. The CUDA backend carries it out (`gpudot.backends._cupy_memory`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from gpudot._settings import ScopedSetting, choice

__all__ = [
    "OOM_POLICIES",
    "get_oom_policy",
    "set_oom_policy",
    "use_oom_policy",
]

OOM_POLICIES = ("raise", "tile", "cpu")
_OOM_POLICY: ScopedSetting[str] = ScopedSetting(
    "oom_policy", choice("out-of-memory policy", OOM_POLICIES), lambda: "raise"
)


def get_oom_policy() -> str:
    """Return the out-of-memory policy in effect here: ``"raise"``, ``"tile"`` or ``"cpu"``."""
    return _OOM_POLICY.get()


def set_oom_policy(policy: str) -> str:
    """Set the process-wide out-of-memory policy (``"raise"``, ``"tile"``, ``"cpu"``); return it."""
    return _OOM_POLICY.set(policy)


@contextmanager
def use_oom_policy(policy: str) -> Iterator[str]:
    """Use out-of-memory ``policy`` in this thread or asyncio task until the block exits."""
    with _OOM_POLICY.use(policy) as value:
        yield value
