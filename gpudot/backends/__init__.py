"""Backends: the interface, the registry, and the built-in NumPy and CuPy backends."""

from gpudot.backends._base import Backend
from gpudot.backends._registry import backend_names, lookup, register_backend

__all__ = ["Backend", "backend_names", "lookup", "register_backend"]
