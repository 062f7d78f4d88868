"""Backends: the interface, the registry, and the built-in NumPy, CuPy and Dask backends."""

from gpudot.backends._array_api import ArrayAPIBackend
from gpudot.backends._base import Backend, Exactness
from gpudot.backends._dask import DaskBackend
from gpudot.backends._registry import backend_names, lookup, register_backend

__all__ = [
    "ArrayAPIBackend",
    "Backend",
    "DaskBackend",
    "Exactness",
    "backend_names",
    "lookup",
    "register_backend",
]
