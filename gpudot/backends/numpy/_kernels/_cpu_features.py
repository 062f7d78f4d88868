"""Which integer dot-product instructions (VNNI) the compiled kernels may use on this CPU.

Asked once per process, and only when a product could use them. The features are those numba
compiles for: its ``NUMBA_CPU_FEATURES`` where set (a portable build, say for a shared cache),
otherwise the host CPU's as LLVM reports them (`llvmlite.binding.get_host_cpu_features`). A
``NUMBA_CPU_NAME`` without features names a CPU whose features are not known here: none is
assumed. ``GPUDOT_DISABLE_VNNI=1`` switches the instructions off (the other routes compute the
same bits), and so does `ENABLED` (tests flip it to run both ways in one session).
"""

from __future__ import annotations

import functools
import os

__all__ = ["ENABLED", "cpu_vnni_bits", "vnni_bits"]

#: Whether the dot-product kernels may be used at all.
ENABLED = os.environ.get("GPUDOT_DISABLE_VNNI", "") not in ("1", "true", "yes")


def _features() -> frozenset[str]:
    """The CPU features numba compiles for, as LLVM names them (``avx512vnni``, ``avxvnni``)."""
    given = os.environ.get("NUMBA_CPU_FEATURES", "")
    if given:
        return frozenset(f[1:] for f in given.split(",") if f.startswith("+"))
    if os.environ.get("NUMBA_CPU_NAME", "host") != "host":
        return frozenset()
    try:
        from llvmlite import binding  # type: ignore[import-untyped]
    except ImportError:
        return frozenset()
    return frozenset(name for name, on in binding.get_host_cpu_features().items() if on)


@functools.cache
def cpu_vnni_bits() -> int:
    """Width in bits of the dot-product instructions this CPU has: 512 (AVX512-VNNI with
    AVX512-BW and -VL), 256 (AVX-VNNI), or 0; whether or not they are switched off."""
    features = _features()
    if {"avx512vnni", "avx512bw", "avx512vl"} <= features:
        return 512
    if "avxvnni" in features:
        return 256
    return 0


def vnni_bits() -> int:
    """Width in bits of the dot-product instructions to use: 512 (AVX512-VNNI with AVX512-BW),
    256 (AVX-VNNI), or 0 (none, or switched off)."""
    return cpu_vnni_bits() if ENABLED else 0
