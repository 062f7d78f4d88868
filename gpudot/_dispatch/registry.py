"""The backend registry: names to backends, built once on first use.

`register_backend` adds backends at run time, and packages through the ``gpudot.backends``
entry-point group, loaded when the name is first looked up (docs/plugins.md). An entry may name
its library's module, whose arrays are then recognised once the library is imported.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata

from gpudot._errors import PluginWarning
from gpudot._user_warnings import warn
from gpudot.backends._base import Backend
from gpudot.backends.cupy._backend import CupyBackend
from gpudot.backends.dask._backend import DaskBackend
from gpudot.backends.numpy._backend import NumpyBackend

__all__ = ["backend_names", "lookup", "owner_of", "register_backend"]

BackendFactory = Callable[[], Backend]


@dataclass(frozen=True)
class _Entry:
    factory: BackendFactory
    module: str | None


_ENTRIES: dict[str, _Entry] = {}
_ALIASES: dict[str, str] = {}
_INSTANCES: dict[str, Backend] = {}
_DEVICE_NAME = re.compile(r"(?:cuda|cupy):(\d+)")
PLUGIN_GROUP = "gpudot.backends"


def register_backend(
    name: str,
    factory: BackendFactory,
    *,
    aliases: tuple[str, ...] = (),
    module: str | None = None,
    replace: bool = False,
) -> None:
    """Register a backend under ``name``.

    Parameters
    ----------
    name : str
        Lowercase name used with `gpudot.set_backend` (which matches it case-insensitively).
    factory : callable
        Builds the `Backend`; called once, on first use of the name.
    aliases : tuple of str
        Other lowercase names for the same backend.
    module : str, optional
        Top-level module of the array library, e.g. ``"torch"``: once it is imported, its arrays
        are recognised as this backend's (and copied under the transfer policy).
    replace : bool
        Allow replacing an existing registration.
    """
    names = (name, *aliases)
    if any(n != n.lower() for n in names):
        raise ValueError(f"backend names must be lowercase, got {', '.join(map(repr, names))}")
    taken = [n for n in names if n in _ENTRIES or n in _ALIASES or n == "auto"]
    if taken and not replace:
        raise ValueError(f"backend name(s) {', '.join(map(repr, taken))} already registered")
    _ENTRIES[name] = _Entry(factory, module)
    _INSTANCES.pop(name, None)
    for alias in aliases:
        _ALIASES[alias] = name


@functools.cache
def _plugins() -> dict[str, metadata.EntryPoint]:
    """The installed ``gpudot.backends`` entry points by lowercase name; scanned once, unloaded."""
    return {ep.name.lower(): ep for ep in metadata.entry_points(group=PLUGIN_GROUP)}


def _plugin_backend(name: str) -> Backend:
    """Load, build and register the plugin backend ``name``; one that fails warns
    (`PluginWarning`), then raises `ValueError` as for an unknown name."""
    entry_point = _plugins()[name]
    try:
        factory = entry_point.load()
        backend = factory()
        if not isinstance(backend, Backend):
            kind = type(backend).__name__
            raise TypeError(f"its factory returned a {kind}, not a gpudot Backend")
    except Exception as error:  # a broken plugin must never break gpudot's own backends
        message = (
            f"gpudot backend plugin {name!r} ({entry_point.value}) failed to load: "
            f"{type(error).__name__}: {error}"
        )
        warn(message, PluginWarning)
        raise ValueError(message) from error
    register_backend(name, factory)
    return backend


def backend_names() -> tuple[str, ...]:
    """Canonical names of the registered backends, in registration order, then the plugins'."""
    return (*_ENTRIES, *(name for name in _plugins() if name not in _ENTRIES))


def _valid_names() -> str:
    described = []
    for name in backend_names():
        aliases = [a for a, target in _ALIASES.items() if target == name]
        if name == "cupy":
            aliases.append("cuda:N")
        described.append(
            repr(name) + (f" (alias {', '.join(map(repr, aliases))})" if aliases else "")
        )
    return ", ".join(["'auto'", *described])


def lookup(name: str) -> Backend:
    """Return the backend registered as ``name`` (or an alias, or ``"cuda:N"``), built once.

    Names are matched case-insensitively: ``"CUDA"`` is ``"cuda"``.
    """
    if not isinstance(name, str):
        raise TypeError(f"backend name must be a str, got {type(name).__name__}")
    folded = name.lower()
    canonical = _ALIASES.get(folded, folded)
    backend = _INSTANCES.get(canonical)
    if backend is not None:
        return backend
    device = _DEVICE_NAME.fullmatch(canonical)
    if device is not None:
        canonical = f"cupy:{int(device.group(1))}"
        backend = _INSTANCES.get(canonical) or CupyBackend(int(device.group(1)))
    elif canonical in _ENTRIES:
        backend = _ENTRIES[canonical].factory()
    elif canonical in _plugins():
        backend = _plugin_backend(canonical)
    else:
        raise ValueError(f"unknown backend {name!r}; choose one of {_valid_names()}")
    _INSTANCES[canonical] = backend
    return backend


def owner_of(x: object) -> Backend | None:
    """The backend whose library made ``x``, or ``None`` for plain host data (lists, scalars)."""
    for backend in _INSTANCES.values():
        if backend.locate(x) is not None:
            return backend
    root = type(x).__module__.partition(".")[0]
    for name, entry in _ENTRIES.items():
        if entry.module == root and root in sys.modules and name not in _INSTANCES:
            backend = lookup(name)
            if backend.locate(x) is not None:
                return backend
    return None


register_backend("numpy", NumpyBackend, aliases=("cpu",), module="numpy")
register_backend("cupy", CupyBackend, aliases=("cuda",), module="cupy")
register_backend("dask", DaskBackend, module="dask")
