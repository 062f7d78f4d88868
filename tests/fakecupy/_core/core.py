"""``cupy._core.core``: the NVRTC options of every kernel CuPy compiles (they name the headers).

CuPy 14.2 (``cupy/_core/core.pyx``, ``assemble_cupy_compiler_options``) asks ``cuda.pathfinder``
for the CUDA runtime headers' folder and raises a ``RuntimeError`` without one, so every
elementwise, reduction and integer-GEMM kernel fails to compile on a machine that lacks them.
"""

from __future__ import annotations

from fakecupy._machine import MACHINE

__all__ = ["assemble_cupy_compiler_options"]

_INCLUDE = "/simulated/cuda/include"
_NO_HEADERS = (
    "Failed to find CUDA headers. Please install CUDA toolkit headers (e.g., pip install "
    "cupy-cuda12x[ctk]) or specify CUDA_PATH environment variable."
)


def assemble_cupy_compiler_options(options: tuple[str, ...]) -> tuple[str, ...]:
    """``options`` with the C++ standard and the include folders CuPy adds."""
    if not MACHINE.cuda_headers:
        raise RuntimeError(_NO_HEADERS)
    return (*options, "--std=c++17", f"-I{_INCLUDE}")
