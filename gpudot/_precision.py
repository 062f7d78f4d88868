"""Numerical precision of products: exact by default, faster modes only on request.

``"highest"`` (default)
    IEEE results: NumPy's exact bits on the NumPy backend; on a GPU, float32 and complex64
    products use full float32 arithmetic (no TF32), whatever ``CUPY_TF32`` says.
``"tf32"``
    float32 and complex64 products on a GPU may use TF32 tensor cores (10-bit mantissa
    products, float32 accumulation). No effect on the CPU.
``"fast"``
    Everything ``"tf32"`` allows, plus CPU routes that give up bit-identity with NumPy for
    speed within a stated error bound (e.g. float16 through float32 BLAS, rounded once).

The choice is a `ScopedSetting` like the backend: `set_precision` for the process,
`use_precision` for one thread or task, and the ``precision=`` keyword of `gpudot.matmul` and
`gpudot.dot` for one call. Backends read it with `current_precision` while they compute.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from gpudot._settings import ScopedSetting, choice

__all__ = ["PRECISIONS", "current_precision", "get_precision", "set_precision", "use_precision"]

PRECISIONS = ("highest", "tf32", "fast")
_PRECISION: ScopedSetting[str] = ScopedSetting(
    "precision", choice("precision", PRECISIONS), lambda: "highest"
)

#: The precision in effect in the calling thread or task (read by backends during a product).
current_precision = _PRECISION.get


def get_precision() -> str:
    """Return the precision in effect here: ``"highest"``, ``"tf32"`` or ``"fast"``."""
    return _PRECISION.get()


def set_precision(precision: str) -> str:
    """Set the process-wide precision (``"highest"``, ``"tf32"`` or ``"fast"``) and return it."""
    return _PRECISION.set(precision)


@contextmanager
def use_precision(precision: str) -> Iterator[str]:
    """Use ``precision`` in this thread or asyncio task until the block exits."""
    with _PRECISION.use(precision) as value:
        yield value
