"""gpudot: NumPy-exact ``dot`` and ``matmul`` on the GPU, with a transparent CPU fallback.

>>> import gpudot
>>> gpudot.set_backend("cuda")   # doctest: +SKIP
>>> gpudot.matmul([[1, 2], [3, 4]], [[5, 6], [7, 8]])
array([[19, 22],
       [43, 50]])
"""

from gpudot import backends, linalg  # noqa: F401 - backends first: the registry needs it
from gpudot._api.family import inner, matvec, outer, tensordot, vdot, vecdot, vecmat
from gpudot._api.products import asarray, dot, matmul
from gpudot._api.profile import profile
from gpudot._config.out_of_memory import get_oom_policy, set_oom_policy, use_oom_policy
from gpudot._config.precision import get_precision, set_precision, use_precision
from gpudot._config.transfer import get_transfer_policy, set_transfer_policy, use_transfer_policy
from gpudot._dispatch.backend_setting import get_backend, set_backend, use_backend
from gpudot._dispatch.conversions import to_numpy
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
from gpudot.backends import Backend, backend_names, register_backend
from gpudot.backends.numpy._kernels._load import warmup

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
