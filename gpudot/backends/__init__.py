"""Backends: the interface, the registry, and the built-in NumPy, CuPy and Dask backends.

Also what a backend author checks a backend against: the numeric dtypes every backend must
answer or refuse (``NUMERIC_DTYPE_NAMES``), the stated error bound (``error_bound``) and the
comparison the conformance suite ``gpudot.testing`` applies (``mismatch``).
"""

from gpudot._bounds import error_bound
from gpudot._compare import mismatch
from gpudot._dtypes import NUMERIC_DTYPE_NAMES
from gpudot.backends._array_api import ArrayAPIBackend
from gpudot.backends._base import Backend, Exactness
from gpudot.backends._dask import DaskBackend
from gpudot.backends._registry import backend_names, lookup, register_backend

__all__ = [
    "NUMERIC_DTYPE_NAMES",
    "ArrayAPIBackend",
    "Backend",
    "DaskBackend",
    "Exactness",
    "backend_names",
    "error_bound",
    "lookup",
    "mismatch",
    "register_backend",
]
