"""The out-of-memory policy: what a GPU product does when device memory runs out.

``"raise"`` (default) a `DeviceMemoryError`, ``"tile"`` compute in blocks that fit, ``"cpu"``
compute on the host with a `GpudotFallbackWarning`: docs/gpus.md, "Out of memory". A
`ScopedSetting` like the backend; the CUDA backend carries it out
(`gpudot.backends.cupy._out_of_memory`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from gpudot._config.scoped import ScopedSetting, choice

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
