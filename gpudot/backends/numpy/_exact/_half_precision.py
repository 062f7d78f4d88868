"""float16 and bfloat16 products with NumPy's bits: float32 sums in k order, rounded once.

NumPy widens each factor to float32, adds the products to a float32 sum in k order and rounds the
sum once. Products of two float16 (or bfloat16) values are exact in float32, so every route that
keeps the k order per output element gives the same bits:

- `ordered_rank1`: array code, ``c += a[:, k] * b[k, :]`` for k in order on cache-sized row blocks.
- `ordered_compiled`: the numba kernel (`gpudot.backends.numpy._kernels._half`), blocked like a
  BLAS gemm with float32 sums in registers and k kept in order.
- `blas_rounded`: precision ``"fast"`` only. One float32 BLAS gemm, rounded once: not NumPy's bits
  (BLAS reorders the sums), within the bound docs/fast-paths.md states and the tests check.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from gpudot._core.shapes import broadcast_batch, matmul_shape
from gpudot._tuning import BLOCK_ELEMENTS, PARALLEL_MIN_WORK
from gpudot.backends.numpy._exact._workspace import scratch

__all__ = [
    "all_finite",
    "as_matrices",
    "blas_rounded",
    "ordered_compiled",
    "ordered_rank1",
]

_float32 = np.dtype(np.float32)


def all_finite(xp: ModuleType, x: Any) -> bool:
    """Whether ``x`` holds no inf or NaN."""
    return bool(xp.isfinite(x).all())


def as_matrices(a: Any, b: Any) -> tuple[Any, Any, tuple[int, ...]]:
    """Operands as stacks of matrices (vectors become 1-row / 1-column) and the result shape.

    Shared with the integer routes (`gpudot.backends.numpy._exact._integer`).
    """
    shape = matmul_shape(a.shape, b.shape)
    return (a if a.ndim > 1 else a[None, :]), (b if b.ndim > 1 else b[:, None]), shape


def ordered_rank1(xp: ModuleType, a: Any, b: Any, dtype: np.dtype) -> Any:
    """``matmul(a, b)`` rounded to ``dtype`` from float32 rank-1 updates in k order.

    Peak memory: the float32 operands, the float32 accumulator and one row block.
    """
    a, b, shape = as_matrices(a, b)
    a32, b32 = a.astype(_float32), b.astype(_float32)
    batch = broadcast_batch(a.shape[:-2], b.shape[:-2])
    m, k, n = a.shape[-2], a.shape[-1], b.shape[-1]
    total = xp.zeros(batch + (m, n), dtype=_float32)
    rows = max(1, m if batch else min(m, BLOCK_ELEMENTS // max(n, 1)))
    scratch = xp.empty(batch + (rows, n), dtype=_float32)
    for start in range(0, m, rows):
        block = total[..., start : start + rows, :]
        a_block = a32[..., start : start + rows, :]
        step = scratch[..., : block.shape[-2], :]
        for kk in range(k):
            xp.multiply(a_block[..., kk : kk + 1], b32[..., kk : kk + 1, :], out=step)
            xp.add(block, step, out=block)
    return total.astype(dtype).reshape(shape)


def _bits(x: Any, batch: tuple[int, ...]) -> Any:
    """``x``'s 16 bits as a C-contiguous uint16 (1 or B, rows, cols) stack for the kernel.

    A stack whose batch shape differs from ``batch`` (broadcast against the other operand) is
    copied at full size; a single matrix is not.
    """
    if x.ndim > 2 and x.shape[:-2] != batch:
        x = np.broadcast_to(x, batch + x.shape[-2:])
    x = np.ascontiguousarray(x).view(np.uint16)
    x = x.reshape((-1,) + x.shape[-2:]) if x.ndim > 2 else x[None]
    x.flags.writeable = False  # one kernel signature whether or not the caller's array is
    return x


def ordered_compiled(kernels: ModuleType, a: Any, b: Any, dtype: np.dtype) -> Any | None:
    """`ordered_rank1` with the numba kernel (NumPy arrays), or None if an operand has inf/NaN.

    ``kernels``: `gpudot.backends.numpy._kernels._half`. Peak memory: the packed float32 panels of
    both operands (padded to whole panels) and the result; where K exceeds ``KC``, one block of
    float32 sums (``MC x NC``) per running task.
    """
    a, b, shape = as_matrices(a, b)
    batch = broadcast_batch(a.shape[:-2], b.shape[:-2])
    m, k, n = a.shape[-2], a.shape[-1], b.shape[-1]
    count = int(np.prod(batch, dtype=np.int64))
    if count * m * n == 0 or k == 0:
        return np.zeros(shape, dtype)
    a_bits, b_bits = _bits(a, batch), _bits(b, batch)
    mr, nr = kernels.MR, kernels.NR
    # the panels on memory kept between calls (`gpudot.backends.numpy._exact._workspace`)
    a_panels = scratch("half-a", (a_bits.shape[0], -(-m // mr), k, mr), _float32)
    b_panels = scratch("half-b", (b_bits.shape[0], -(-n // nr), k, nr), _float32)
    result = np.empty((count, m, n), dtype)
    parallel = count * m * n * k >= PARALLEL_MIN_WORK
    kernel = kernels.ordered_product if parallel else kernels.ordered_product_serial
    brain = dtype.name == "bfloat16"
    if kernel(a_bits, b_bits, a_panels, b_panels, result.view(np.uint16), brain, kernels.KC):
        return None
    return result.reshape(shape)


def blas_rounded(xp: ModuleType, a: Any, b: Any, dtype: np.dtype) -> Any:
    """Precision ``"fast"``: one float32 BLAS product rounded to ``dtype`` (see the bound above)."""
    return xp.matmul(a.astype(_float32), b.astype(_float32)).astype(dtype)
