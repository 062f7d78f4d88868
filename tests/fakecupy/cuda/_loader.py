"""How CuPy 14.2 reports a CUDA library its loader cannot find (``cuda.pathfinder`` underneath).

``cupy_backends/cuda/libs/__init__.py`` loads cuBLAS (and its dependency cuBLASLt) when
``cupy.cuda.cublas`` is first imported and re-raises the loader's ``DynamicLibNotFoundError`` as an
``ImportError``; NVRTC is linked at run time on the binding's first call
(``cupy_backends/cuda/libs/_cnvrtc.pxi``), where the loader's error, a ``RuntimeError``, goes
through unchanged. Both messages start ``Failure finding "<the sonames it tried>"``.
"""

from __future__ import annotations

__all__ = ["DynamicLibNotFoundError", "not_found_message"]


class DynamicLibNotFoundError(RuntimeError):
    """``cuda.pathfinder``'s error for a library it did not find (a ``RuntimeError``)."""


def not_found_message(library: str) -> str:
    """The first line of the loader's message for ``library`` (``"cublasLt"``, ``"nvrtc"``)."""
    sonames = f"lib{library}.so.13 or lib{library}.so.12"
    return f'Failure finding "{sonames}": No such file: {sonames}'
