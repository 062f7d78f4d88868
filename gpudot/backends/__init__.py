"""Backends: the interface, the registry, and the built-in NumPy, CuPy and Dask backends.

Also what a backend author checks a backend against: the numeric dtypes every backend must
answer or refuse (``NUMERIC_DTYPE_NAMES``), the stated error bound (``error_bound``) and the
comparison the conformance suite ``gpudot.testing`` applies (``mismatch``).
"""

from gpudot._core.comparison import mismatch
from gpudot._core.error_bounds import error_bound
from gpudot._dispatch.registry import backend_names, lookup, register_backend
from gpudot._dtypes import NUMERIC_DTYPE_NAMES
from gpudot.backends._array_api import ArrayAPIBackend
from gpudot.backends._base import Backend, Exactness
from gpudot.backends.dask._backend import DaskBackend

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
