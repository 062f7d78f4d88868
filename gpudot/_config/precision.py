"""Numerical precision of products: ``"highest"`` (default, exact), ``"tf32"`` or ``"fast"``.

What each allows on the CPU and on a GPU: docs/gpus.md, "Precision", and docs/fast-paths.md. A
`ScopedSetting` like the backend (also ``precision=`` per call); backends read `current_precision`.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from gpudot._config.scoped import choice_setting

__all__ = ["PRECISIONS", "current_precision", "get_precision", "set_precision", "use_precision"]

PRECISIONS = ("highest", "tf32", "fast")  # the first is the default
_PRECISION = choice_setting("precision", PRECISIONS, "precision")

#: The precision in effect in the calling thread or task (read by backends during a product).
current_precision = _PRECISION.get


def get_precision() -> str:
    """Return the precision in effect here: ``"highest"``, ``"tf32"`` or ``"fast"``."""
    return _PRECISION.get()


def set_precision(precision: str) -> str:
    """Set the precision of the whole process, threads started later included.

    Parameters
    ----------
    precision : {"highest", "tf32", "fast"}
        ``"highest"`` is exact; the others trade bits for speed (docs/gpus.md, "Precision").

    Returns
    -------
    str
        The precision set, which `get_precision` returns outside any `use_precision` block.
    """
    return _PRECISION.set(precision)


def use_precision(precision: str) -> AbstractContextManager[str]:
    """Use ``precision`` in this thread or asyncio task until the ``with`` block exits.

    Same values as `set_precision`; the block gets the precision in effect in it (``as``).
    """
    return _PRECISION.use(precision)
