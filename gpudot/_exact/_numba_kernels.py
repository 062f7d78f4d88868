"""Optional numba kernels: found lazily, switched off by ``GPUDOT_DISABLE_NUMBA=1`` or `ENABLED`.

Without numba (or switched off) every result is the same, only the pure-array routes compute it.
The first call compiles the kernel and caches it on disk next to the module (numba's
``__pycache__``): 8.7 s (serial) / 15.5 s (parallel kernel) cold on the loaded reference machine,
3.4 s per new process once cached (mostly ``import numba``); see docs/fast-paths.md.
"""

from __future__ import annotations

import importlib.util
import os
from types import ModuleType

__all__ = ["ENABLED", "available", "integer_kernels", "kernels"]

#: Whether compiled kernels may be used (tests flip it to run both ways in one session).
ENABLED = os.environ.get("GPUDOT_DISABLE_NUMBA", "") not in ("1", "true", "yes")

_found: ModuleType | None | bool = False  # False: not looked for yet
_installed: bool | None = None  # whether numba can be imported, looked up once


def available() -> bool:
    """Whether `kernels` would give the kernels, without importing numba (2 s) to find out."""
    global _installed
    if not ENABLED:
        return False
    if _found is not False:
        return _found is not None
    if _installed is None:
        _installed = importlib.util.find_spec("numba") is not None
    return _installed


def kernels() -> ModuleType | None:
    """The compiled-kernel module, or None when numba is missing or switched off."""
    global _found
    if not ENABLED:
        return None
    if _found is False:
        try:
            from gpudot._exact import _numba_source
        except ImportError:
            _found = None
        else:
            _found = _numba_source
    return _found  # type: ignore[return-value]


def integer_kernels() -> ModuleType | None:
    """The integer kernels (`gpudot._exact._numba_integer`), or None like `kernels`."""
    if kernels() is None:
        return None
    from gpudot._exact import _numba_integer

    return _numba_integer
