"""``cupy.cuda.cublas`` (``cupy_backends.cuda.libs.cublas``): reachable once cuBLAS is loaded.

``fakecupy.cuda`` hands this module out only while the simulated machine has cuBLAS, and raises
CuPy's ``ImportError`` otherwise (see `fakecupy.cuda._loader`).

Modelled on cupy_backends/cuda/libs/cublas.pyx (v14.2.0): ``CUBLASError(status)`` is a
`RuntimeError` whose message is the status's name and which keeps ``status``. ``create`` is
``cublasCreate``: it takes the handle's workspace with its own ``cudaMalloc``, outside CuPy's
pool, and reports a device without room for it as ``MACHINE.cublas_create_oom_status``
(``CUBLAS_STATUS_ALLOC_FAILED`` by default; which status a real GPU gives is for the prepared GPU
command to show). The workspace size is the stand-in's (4 MiB), not a measured figure.
"""

from __future__ import annotations

from collections.abc import Callable

from fakecupy._machine import MACHINE
from fakecupy.cuda import memory, runtime

__all__ = ["CUBLASError", "create", "getVersion"]

#: cuBLAS 12.9's version as ``cublasGetVersion`` encodes it (major * 10000 + minor * 100 + patch).
_VERSION = 120902

STATUS = {
    0: "CUBLAS_STATUS_SUCCESS",
    1: "CUBLAS_STATUS_NOT_INITIALIZED",
    3: "CUBLAS_STATUS_ALLOC_FAILED",
    7: "CUBLAS_STATUS_INVALID_VALUE",
    8: "CUBLAS_STATUS_ARCH_MISMATCH",
    11: "CUBLAS_STATUS_MAPPING_ERROR",
    13: "CUBLAS_STATUS_EXECUTION_FAILED",
    14: "CUBLAS_STATUS_INTERNAL_ERROR",
    15: "CUBLAS_STATUS_NOT_SUPPORTED",
    16: "CUBLAS_STATUS_LICENSE_ERROR",
}

WORKSPACE_BYTES = 4 << 20


class CUBLASError(RuntimeError):
    """A cuBLAS call returned ``status`` (not 0)."""

    def __init__(self, status: int):
        self.status = status
        super().__init__(STATUS[status])

    def __reduce__(self) -> tuple[type, tuple[int]]:
        return type(self), (self.status,)


def create() -> Callable[[], None]:
    """``cublasCreate`` on the current device; return the ``cublasDestroy`` of the handle."""
    try:
        return memory.cuda_malloc(WORKSPACE_BYTES)
    except runtime.CUDARuntimeError as error:
        if error.status != runtime.MEMORY_ALLOCATION:
            raise
        raise CUBLASError(MACHINE.cublas_create_oom_status) from None


def getVersion(handle: int) -> int:  # noqa: N802 - CuPy's name
    return _VERSION
