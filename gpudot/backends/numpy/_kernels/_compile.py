"""Compiling a numba kernel both ways: threaded, and on the calling thread for small products."""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

import numba

__all__ = ["threaded_and_serial", "threads"]


def threaded_and_serial(kernel: Callable[..., Any]) -> tuple[Any, Any]:
    """``kernel`` compiled with its ``prange`` loops run by numba's threads, and compiled to run
    on the calling thread (numba reads ``prange`` as ``range`` without ``parallel=True``).

    The serial build is made from a copy named ``<name>_serial``: numba's disk cache keys a build
    by the function's qualified name and bytecode, not by its options, so under one name the two
    builds would share one cache entry.
    """
    serial = types.FunctionType(
        kernel.__code__, kernel.__globals__, f"{kernel.__name__}_serial", kernel.__defaults__
    )
    serial.__qualname__ = f"{kernel.__qualname__}_serial"
    serial.__doc__ = f"`{kernel.__name__}` on the calling thread (no thread wake-up cost)."
    return numba.njit(parallel=True, cache=True)(kernel), numba.njit(cache=True)(serial)


def threads() -> int:
    """numba's threads: the loops a threaded build's call is given (a build that reads them
    itself, with ``numba.get_num_threads``, cannot be kept in numba's disk cache)."""
    return numba.get_num_threads()
