"""Numerical precision of products: ``"highest"`` (default, exact), ``"tf32"`` or ``"fast"``.

What each allows on the CPU and on a GPU: docs/gpus.md, "Precision", and docs/fast-paths.md. A
`ScopedSetting` like the backend (also ``precision=`` per call); backends read `current_precision`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from gpudot._config.scoped import ScopedSetting, choice

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
