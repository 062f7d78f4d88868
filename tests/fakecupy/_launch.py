"""What CuPy's GEMM path does with its operands before any arithmetic (``matmul``, ``dot``,
``tensordot_core`` in cupy/_core/_routines_linalg.pyx, v14.2.0).

- **No device check.** Only elementwise kernels check an operand's device
  (``_check_peer_access``, cupy/_core/_kernel.pyx): an operand that must be cast or copied is
  checked there (a `ValueError` without peer access), one passed to cuBLAS or the integer kernel as
  it is is not. The stand-in models the kernel then reading another device's memory without peer
  access: ``CUDARuntimeError: cudaErrorIllegalAddress``.
- **The integer kernel indexes with 32-bit int** (``_tensordot_core_int_kernel``: ``int M, N, K``,
  ``int boundA = (M * (K - 1) + M) - ...``, ``C[coord_dCn * M + coord_dCm]``): a call whose operand
  matrices reach ``INTEGER_KERNEL_INDEX_LIMIT`` elements, or whose result matrix exceeds it,
  reads and writes out of bounds, modelled as ``cudaErrorIllegalAddress``. Tests lower the limit.
- **A cuBLAS handle per thread and device**, created at the thread's first float GEMM there
  (`fakecupy.cuda.device.get_cublas_handle`), outside the pool: it may raise ``CUBLASError``.
- One output element (``m == n == 1`` outside a batch) is an elementwise product and a sum: no
  cuBLAS, no integer kernel, and the elementwise device check.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from fakecupy._array import _type_error, ndarray
from fakecupy.cuda import runtime
from fakecupy.cuda.device import get_cublas_handle

__all__ = ["INTEGER_KERNEL_INDEX_LIMIT", "operands"]

INTEGER_KERNEL_INDEX_LIMIT = 2**31


def _contracted(func: str, a: np.ndarray, b: np.ndarray, axes: Any) -> int:
    if func != "tensordot":
        return a.shape[-1]
    if isinstance(axes, int):
        return math.prod(a.shape[a.ndim - axes :])
    return math.prod(a.shape[i] for i in np.atleast_1d(axes[0]))


def _gemm_sizes(func: str, a: np.ndarray, b: np.ndarray, axes: Any) -> tuple[int, int, int, bool]:
    """(rows, columns, k, batched) of each kernel call CuPy makes for ``func``."""
    if func == "matmul" and max(a.ndim, b.ndim) > 2:
        m = a.shape[-2] if a.ndim > 1 else 1
        n = b.shape[-1] if b.ndim > 1 else 1
        return m, n, a.shape[-1], True
    k = _contracted(func, a, b, axes)
    if k == 0:
        return 0, 0, 0, False
    return a.size // k, b.size // k, k, False


def _copied(func: str, x: ndarray, dtype: np.dtype, batched: bool) -> bool:
    """Whether CuPy casts or copies ``x`` (an elementwise kernel) before the GEMM."""
    if x.dtype != dtype:
        return True
    if batched or func == "tensordot" or x.ndim > 2:
        return not x.flags.c_contiguous
    return not (x.flags.c_contiguous or x.flags.f_contiguous)


def operands(func: str, a: object, b: object, axes: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """The data of ``cupy.<func>(a, b)``'s operands, after CuPy's checks and its GEMM's setup."""
    if not isinstance(a, ndarray):
        raise _type_error("a", a)
    if not isinstance(b, ndarray):
        raise _type_error("b", b)
    x, y = a._data, b._data
    if x.ndim == 0 or y.ndim == 0:  # dot multiplies elementwise
        a._check_device()
        b._check_device()
        return x, y
    if not x.size or not y.size:
        return x, y
    rows, cols, k, batched = _gemm_sizes(func, x, y, axes)
    dtype = np.promote_types(x.dtype, y.dtype)
    if rows == cols == 1 and not batched:  # (a.ravel() * b.ravel()).sum()
        a._check_device()
        b._check_device()
        return x, y
    for operand in (a, b):
        if _copied(func, operand, dtype, batched):
            operand._check_device()
    current = runtime.getDevice()
    if dtype.kind in "biu":
        limit = INTEGER_KERNEL_INDEX_LIMIT
        if rows * k >= limit or cols * k >= limit or rows * cols > limit:
            raise runtime.CUDARuntimeError(runtime.ILLEGAL_ADDRESS)
    else:
        get_cublas_handle()
    if a.device.id != current or b.device.id != current:
        raise runtime.CUDARuntimeError(runtime.ILLEGAL_ADDRESS)
    return x, y
