"""numba kernels; imported only through `gpudot._exact._numba_kernels` when numba is installed.

Compiled on first use and cached on disk (``cache=True``), parallel over blocks of output rows
(``prange``). Each output element accumulates its products in k order from +0.0 in float32, so
the bits equal NumPy's float16 loop (float16 and bfloat16 products are exact in float32).
"""

from __future__ import annotations

import numba
import numpy as np
from numba import prange

#: Output rows per parallel task (one B row feeds this many accumulator rows).
ROWS = 4
#: Output columns per tile: an accumulator row segment stays in L1 while k runs.
COLS = 256


@numba.njit(cache=True, inline="always")
def _accumulate(c: np.ndarray, a: np.ndarray, b: np.ndarray, i: int, j0: int, j1: int) -> None:
    """c[i, j0:j1] += a[i, k] * b[k, j0:j1] for k in order (the slices let LLVM vectorise)."""
    row = c[i, j0:j1]
    for k in range(a.shape[1]):
        aik = a[i, k]
        brow = b[k, j0:j1]
        for j in range(row.shape[0]):
            row[j] += aik * brow[j]


@numba.njit(cache=True, inline="always")
def _accumulate4(c: np.ndarray, a: np.ndarray, b: np.ndarray, i: int, j0: int, j1: int) -> None:
    """`_accumulate` for rows i..i+3 at once: each loaded B element feeds four rows."""
    r0, r1, r2, r3 = c[i, j0:j1], c[i + 1, j0:j1], c[i + 2, j0:j1], c[i + 3, j0:j1]
    for k in range(a.shape[1]):
        a0, a1, a2, a3 = a[i, k], a[i + 1, k], a[i + 2, k], a[i + 3, k]
        brow = b[k, j0:j1]
        for j in range(brow.shape[0]):
            bkj = brow[j]
            r0[j] += a0 * bkj
            r1[j] += a1 * bkj
            r2[j] += a2 * bkj
            r3[j] += a3 * bkj


@numba.njit(cache=True, inline="always")
def _task(a: np.ndarray, b: np.ndarray, c: np.ndarray, task: int, blocks: int) -> None:
    """Rows ``ROWS * (task % blocks)`` onwards of matrix ``task // blocks`` of the stack."""
    p = task // blocks
    i0 = (task % blocks) * ROWS
    m, n = c.shape[1], c.shape[2]
    ap = a[p if a.shape[0] > 1 else 0]
    bp = b[p if b.shape[0] > 1 else 0]
    cp = c[p]
    for j0 in range(0, n, COLS):
        j1 = min(j0 + COLS, n)
        if i0 + ROWS <= m:
            _accumulate4(cp, ap, bp, i0, j0, j1)
        else:
            for i in range(i0, m):
                _accumulate(cp, ap, bp, i, j0, j1)


@numba.njit(parallel=True, cache=True)
def ordered_float32(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> None:
    """c[p] = a[p] @ b[p] summed in k order in float32; ``c`` arrives zeroed.

    a: (Ba, M, K), b: (Bb, K, N), c: (B, M, N), all float32 and C-contiguous, Ba and Bb 1 or B.
    Blocks of `ROWS` output rows run in parallel.
    """
    blocks = (c.shape[1] + ROWS - 1) // ROWS
    for task in prange(c.shape[0] * blocks):
        _task(a, b, c, task, blocks)


@numba.njit(cache=True)
def ordered_float32_serial(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> None:
    """`ordered_float32` on the calling thread (small products: no thread wake-up cost)."""
    blocks = (c.shape[1] + ROWS - 1) // ROWS
    for task in range(c.shape[0] * blocks):
        _task(a, b, c, task, blocks)
