"""``cupy._core``: the per-dtype GEMM compute type (``get_compute_type`` / ``set_compute_type``)
and ``core``'s kernel compiler options (which need the CUDA headers)."""

from fakecupy._core import _routines_linalg, core
from fakecupy._core._routines_linalg import get_compute_type, set_compute_type

__all__ = ["_routines_linalg", "core", "get_compute_type", "set_compute_type"]
