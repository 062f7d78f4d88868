"""``cupy.cuda.nvrtc``: the NVRTC binding, linked to libnvrtc on its first call.

As in CuPy 14.2 (``cupy_backends/cuda/libs/_cnvrtc.pxi``), importing the binding never fails; its
first call raises the loader's ``DynamicLibNotFoundError`` (a ``RuntimeError``) where the
simulated machine has no NVRTC.
"""

from __future__ import annotations

from fakecupy._machine import MACHINE
from fakecupy.cuda._loader import DynamicLibNotFoundError, not_found_message

__all__ = ["getVersion"]


def getVersion() -> tuple[int, int]:  # noqa: N802 - CuPy's name
    """NVRTC's (major, minor); needs no driver."""
    if not MACHINE.nvrtc:
        raise DynamicLibNotFoundError(not_found_message("nvrtc"))
    return divmod(MACHINE.runtime_version // 10, 100)
