"""fakecupy: a CuPy stand-in that lets CI run gpudot's CUDA backend without a GPU.

It implements exactly the subset of CuPy's API that gpudot calls, computes with NumPy underneath
along CuPy's product paths (floats summed in an order other than NumPy's, CuPy's float16 paths:
`fakecupy._linalg`), and keeps CuPy's observable behaviour: its own array type (NumPy arrays are
refused where CuPy refuses them), several simulated devices, a memory pool with a limit and CuPy's
out-of-memory error, the current stream, a "no driver" mode, CUDA libraries that may be missing,
the process-wide compute type, and counters of host<->device copies. Every fact it fakes has a
test in ``tests/cupy_contract/`` that also runs against real CuPy on a GPU, so the stand-in cannot
drift from CuPy unnoticed. It lives under ``tests/`` and is never installed.

Tests configure the simulated machine with `simulate` and read the copy counters in `transfers`.
"""

from numpy import float16, float32  # CuPy's dtypes are NumPy's (cupy.float16 is numpy.float16)

from fakecupy import _core, cuda  # noqa: F401 (cupy._core is an attribute of cupy)
from fakecupy._array import (
    asarray,
    asnumpy,
    astype,
    conj,
    empty,
    ndarray,
    permute_dims,
    reshape,
    transpose,
    zeros,
)
from fakecupy._linalg import dot, matmul, multiply, tensordot
from fakecupy._machine import MACHINE, simulate, transfers
from fakecupy.cuda.memory import get_default_memory_pool

__version__ = "14.2.0+standin"

__all__ = [
    "MACHINE",
    "asarray",
    "asnumpy",
    "astype",
    "conj",
    "cuda",
    "dot",
    "empty",
    "float16",
    "float32",
    "get_default_memory_pool",
    "is_available",
    "matmul",
    "multiply",
    "ndarray",
    "permute_dims",
    "simulate",
    "reshape",
    "tensordot",
    "transpose",
    "transfers",
    "zeros",
]


def is_available() -> bool:
    """Whether a device is usable; never raises (CuPy 14's guarantee)."""
    return cuda.is_available()
