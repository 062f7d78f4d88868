"""The out-of-memory policy: what a GPU product does when device memory runs out.

``"raise"`` (default) a `DeviceMemoryError`, ``"tile"`` compute in blocks that fit, ``"cpu"``
compute on the host with a `GpudotFallbackWarning`: docs/gpus.md, "Out of memory". A
`ScopedSetting` like the backend; the CUDA backend carries it out
(`gpudot.backends.cupy._out_of_memory`).
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from gpudot._config.scoped import choice_setting

__all__ = ["OOM_POLICIES", "get_oom_policy", "set_oom_policy", "use_oom_policy"]

OOM_POLICIES = ("raise", "tile", "cpu")  # the first is the default
_OOM_POLICY = choice_setting("oom_policy", OOM_POLICIES, "out-of-memory policy")


def get_oom_policy() -> str:
    """Return the out-of-memory policy in effect here: ``"raise"``, ``"tile"`` or ``"cpu"``."""
    return _OOM_POLICY.get()


def set_oom_policy(policy: str) -> str:
    """Set the out-of-memory policy of the whole process, threads started later included.

    Parameters
    ----------
    policy : {"raise", "tile", "cpu"}
        What a GPU product does once freeing CuPy's cached memory did not help: raise
        `DeviceMemoryError`, compute in blocks that fit, or compute on the host.

    Returns
    -------
    str
        The policy set, which `get_oom_policy` returns outside any `use_oom_policy` block.
    """
    return _OOM_POLICY.set(policy)


def use_oom_policy(policy: str) -> AbstractContextManager[str]:
    """Use out-of-memory ``policy`` in this thread or asyncio task until the ``with`` block exits.

    Same values as `set_oom_policy`; the block gets the policy in effect in it (``as``).
    """
    return _OOM_POLICY.use(policy)
