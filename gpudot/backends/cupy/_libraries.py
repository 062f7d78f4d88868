"""The CUDA libraries CuPy loads on first use, checked before the CUDA backend is called usable.

CuPy's wheels hold none of the CUDA libraries: cuBLAS, NVRTC and the CUDA headers come from
NVIDIA's wheels (gpudot's ``cuda12``/``cuda13`` extras), a CUDA Toolkit or conda, found by
``cuda.pathfinder`` at the first call that needs them (``cupy_backends/cuda/libs/__init__.py``).
A missing one surfaces only in the first product, as an ``ImportError`` (cuBLAS) or a
``RuntimeError`` (NVRTC, headers); none needs a driver, so each is checked here, up front, through
CuPy's own loading code.

All three are needed: cuBLAS for every float GEMM, and NVRTC with the headers for every kernel
CuPy compiles, which gpudot's products cannot avoid: integer and bool GEMMs, casts, copies of
non-contiguous operands, ``conj`` and the multiply-and-sum of a one-element product.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

__all__ = ["missing_libraries"]


def _load_cublas(cp: ModuleType) -> None:
    """``cupy.cuda.cublas`` imports the cuBLAS binding after loading libcublasLt and libcublas."""
    cp.cuda.cublas  # noqa: B018 - the attribute access is the load


def _load_nvrtc(cp: ModuleType) -> None:
    """NVRTC is linked at run time, on the binding's first call (``_cnvrtc.pxi``)."""
    cp.cuda.nvrtc.getVersion()


def _find_headers(cp: ModuleType) -> None:
    """CuPy's compiler options name the CUDA headers' folder, or raise without them
    (``cupy/_core/core.pyx``, ``assemble_cupy_compiler_options``)."""
    cp._core.core.assemble_cupy_compiler_options(())


#: What each product needs, with how CuPy finds it.
_LIBRARIES: tuple[tuple[str, Callable[[ModuleType], None]], ...] = (
    ("cuBLAS", _load_cublas),
    ("NVRTC", _load_nvrtc),
    ("the CUDA runtime headers", _find_headers),
)


def _first_words(error: Exception) -> str:
    """The loader's message up to what it searched: ``Failure finding "libnvrtc.so.13 or ..."``."""
    line = str(error).strip().partition("\n")[0] or type(error).__name__
    searched, found, _ = line.partition('": ')
    return f'{searched}"' if found else line


def missing_libraries(cp: ModuleType) -> list[str]:
    """Each CUDA library CuPy cannot load, with its loader's message (empty when all load).

    Needs no driver. CuPy caches what it loaded, so a second call costs microseconds.
    """
    missing = []
    for name, load in _LIBRARIES:
        try:
            load(cp)
        except Exception as error:  # ImportError (cuBLAS), RuntimeError (NVRTC, headers)
            missing.append(f"{name} ({_first_words(error)})")
    return missing
