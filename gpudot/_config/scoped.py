"""Scoped settings: a process-wide default plus a per-thread, per-task override.

``set`` changes the default every thread sees, threads started later included; ``use`` overrides
it through a `contextvars.ContextVar`, so threads and asyncio tasks never see each other's choice.
Every public setting (backend, precision, transfer policy, out-of-memory policy) is one
`ScopedSetting` behind a get/set/use triple with one convention: ``get_*`` returns the value in
effect here, ``set_*`` returns the value it stored (what ``get_*`` then returns outside any
``use_*`` block), ``use_*`` yields the value in effect inside its block and restores on exit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Generic, TypeVar

T = TypeVar("T")

__all__ = ["ScopedSetting", "choice_setting"]


class ScopedSetting(Generic[T]):
    """A value with a process-wide default and a context-local override.

    Parameters
    ----------
    name : str
        Name of the setting, used for the ContextVar.
    convert : callable
        Validates a user value and returns what is stored; raises on a bad value.
    default : callable
        Called once, on first `get`, to build the process-wide default (so that reading an
        environment variable or probing a device happens on first use, not at import).
    """

    def __init__(self, name: str, convert: Callable[[object], T], default: Callable[[], T]):
        self.name = name
        self._convert = convert
        self._make_default = default
        #: The process-wide default; None until the first `get` builds it.
        self.default: T | None = None
        #: The context-local override; a hot path reads ``override.get(default)`` without a call.
        self.override: ContextVar[T] = ContextVar(f"gpudot_{name}")
        #: Whether `use` was ever called. Until then ``default`` is the value in effect in every
        #: context, and a hot path reads it without the ContextVar. Never reset: a task or a
        #: context copied inside a `use` block keeps the override after the block exits.
        self.scoped = False

    def get(self) -> T:
        """Return the value in effect in the calling thread or task."""
        value = self.override.get(self.default)
        if value is None:  # first use: build the process-wide default
            value = self.default = self._make_default()
        return value

    def set(self, value: object) -> T:
        """Set the process-wide default and return it, as stored (converted)."""
        converted = self._convert(value)
        self.default = converted
        return converted

    @contextmanager
    def use(self, value: object) -> Iterator[T]:
        """Override the value in the current context only, yield it, and restore on exit."""
        converted = self._convert(value)
        self.scoped = True  # before the override exists, so no context has one unseen
        token = self.override.set(converted)
        try:
            yield self.override.get()
        finally:
            self.override.reset(token)


def choice_setting(name: str, valid: tuple[str, ...], label: str) -> ScopedSetting[str]:
    """A setting whose value is one of ``valid``, the first by default; a bad value raises
    `ValueError` naming the setting's ``label`` (e.g. "transfer policy") and every valid one."""

    def convert(value: object) -> str:
        if not isinstance(value, str) or value not in valid:
            raise ValueError(
                f"unknown {label} {value!r}; choose one of {', '.join(map(repr, valid))}"
            )
        return value

    return ScopedSetting(name, convert, lambda: valid[0])
