"""``cupy.cuda.compiler``: the error of a failed kernel compilation (not a RuntimeError)."""

__all__ = ["CompileException"]


class CompileException(Exception):
    """NVRTC failed to compile a kernel, e.g. CuPy's integer matmul without CUDA headers."""
