"""``cupy._core``: the per-dtype GEMM compute type (``get_compute_type`` / ``set_compute_type``)."""

from fakecupy._core import _routines_linalg
from fakecupy._core._routines_linalg import get_compute_type, set_compute_type

__all__ = ["_routines_linalg", "get_compute_type", "set_compute_type"]
