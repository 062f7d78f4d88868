"""Which backend is in effect: `set_backend`, `use_backend`, `get_backend`.

A `ScopedSetting`, whose default comes from ``GPUDOT_BACKEND`` (unset or blank: ``"numpy"``),
resolved on first use, so that its fallback warning points at the call that used it first.
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager

from gpudot._config.scoped import ScopedSetting
from gpudot._dispatch.auto import auto_backend
from gpudot._dispatch.registry import lookup
from gpudot._errors import BackendUnavailableError, GpudotFallbackWarning
from gpudot._user_warnings import warn
from gpudot.backends._base import Backend

__all__ = [
    "BACKEND_SETTING",
    "current_backend",
    "get_backend",
    "resolve_backend",
    "set_backend",
    "use_backend",
]

BackendLike = str | Backend


def resolve_backend(choice: BackendLike, *, strict: bool = False) -> Backend:
    """Return the backend that ``choice`` selects here, after any fallback.

    ``"auto"`` never warns (`gpudot._dispatch.auto`). Any other backend that cannot run here
    raises `BackendUnavailableError` if ``strict``, else falls back to NumPy with a warning.
    """
    if isinstance(choice, str) and choice.lower() == "auto":
        return auto_backend()
    backend = choice if isinstance(choice, Backend) else lookup(choice)
    reason = backend.unavailable_reason()
    if reason is None:
        return backend
    if strict:
        raise BackendUnavailableError(f"backend {backend.name!r} is unavailable: {reason}")
    warn(
        f"gpudot: backend {backend.name!r} is unavailable: {reason}. Using the 'numpy' backend "
        "instead; pass strict=True to raise, or select 'numpy' to silence this warning.",
        GpudotFallbackWarning,
    )
    return lookup("numpy")


def _checked(value: object) -> Backend:
    if not isinstance(value, Backend):
        raise TypeError(f"expected a gpudot Backend, got {type(value).__name__}")
    return value


def _from_environment() -> Backend:
    """The backend ``GPUDOT_BACKEND`` names; unset, empty or blank means ``"numpy"``."""
    name = os.environ.get("GPUDOT_BACKEND", "").strip() or "numpy"
    try:
        return resolve_backend(name)
    except ValueError as error:
        raise ValueError(f"GPUDOT_BACKEND={name!r} is invalid: {error}") from None


#: The backend choice (`gpudot._api.products` reads it inline on its hot path).
BACKEND_SETTING: ScopedSetting[Backend] = ScopedSetting("backend", _checked, _from_environment)

#: The backend in effect in the calling thread or task.
current_backend = BACKEND_SETTING.get


def set_backend(backend: BackendLike, *, strict: bool = False) -> Backend:
    """Select the backend for the whole process, including threads started later.

    Parameters
    ----------
    backend : str or Backend
        ``"numpy"`` (alias ``"cpu"``), ``"cupy"`` (aliases ``"cuda"``, ``"cuda:N"``), ``"auto"``,
        any registered name, or a `Backend` instance.
    strict : bool
        Raise `BackendUnavailableError` instead of falling back to NumPy.

    Returns
    -------
    Backend
        The backend set (NumPy after a fallback), which `get_backend` returns outside any
        `use_backend` block.
    """
    return BACKEND_SETTING.set(resolve_backend(backend, strict=strict))


def use_backend(backend: BackendLike, *, strict: bool = False) -> AbstractContextManager[Backend]:
    """Select a backend for this thread or asyncio task until the ``with`` block exits.

    Same arguments and fallback as `set_backend`; other threads and tasks are unaffected. The
    block gets the backend in effect in it (``as``), NumPy after a fallback.
    """
    return BACKEND_SETTING.use(resolve_backend(backend, strict=strict))


def get_backend() -> Backend:
    """Return the backend actually in effect here (after any fallback)."""
    return BACKEND_SETTING.get()
