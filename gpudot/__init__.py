"""gpudot: NumPy-exact ``dot`` and ``matmul`` on the GPU, with a transparent CPU fallback.

>>> import gpudot
>>> gpudot.set_backend("cuda")   # doctest: +SKIP
>>> gpudot.matmul([[1, 2], [3, 4]], [[5, 6], [7, 8]])
array([[19, 22],
       [43, 50]])
"""

from gpudot import linalg
from gpudot._dispatch import to_numpy
from gpudot._errors import (
    AutogradError,
    BackendUnavailableError,
    DeviceMemoryError,
    GpudotFallbackWarning,
    PluginWarning,
    TransferError,
    TransferWarning,
    UnsupportedDtypeError,
)
from gpudot._exact._numba_kernels import warmup
from gpudot._family import inner, matvec, outer, tensordot, vdot, vecdot, vecmat
from gpudot._memory import get_oom_policy, set_oom_policy, use_oom_policy
from gpudot._precision import get_precision, set_precision, use_precision
from gpudot._products import asarray, dot, matmul
from gpudot._profile import profile
from gpudot._state import get_backend, set_backend, use_backend
from gpudot._transfer import get_transfer_policy, set_transfer_policy, use_transfer_policy
from gpudot.backends import Backend, backend_names, register_backend

__version__ = "0.1.0"

__all__ = [
    "AutogradError",
    "Backend",
    "BackendUnavailableError",
    "DeviceMemoryError",
    "GpudotFallbackWarning",
    "PluginWarning",
    "TransferError",
    "TransferWarning",
    "UnsupportedDtypeError",
    "asarray",
    "backend_names",
    "dot",
    "get_backend",
    "get_oom_policy",
    "get_precision",
    "get_transfer_policy",
    "inner",
    "linalg",
    "matmul",
    "matvec",
    "outer",
    "profile",
    "register_backend",
    "set_backend",
    "set_oom_policy",
    "set_precision",
    "set_transfer_policy",
    "tensordot",
    "to_numpy",
    "use_backend",
    "use_oom_policy",
    "use_precision",
    "use_transfer_policy",
    "vdot",
    "vecdot",
    "vecmat",
    "warmup",
]
