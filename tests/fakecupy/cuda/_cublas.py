"""``cupy.cuda.cublas`` (``cupy_backends.cuda.libs.cublas``): reachable once cuBLAS is loaded.

``fakecupy.cuda`` hands this module out only while the simulated machine has cuBLAS, and raises
CuPy's ``ImportError`` otherwise (see `fakecupy.cuda._loader`).
"""

__all__ = ["getVersion"]

#: cuBLAS 12.9's version as ``cublasGetVersion`` encodes it (major * 10000 + minor * 100 + patch).
_VERSION = 120902


def getVersion(handle: int) -> int:  # noqa: N802 - CuPy's name
    return _VERSION
