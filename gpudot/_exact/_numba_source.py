"""numba kernels; imported only through `gpudot._exact._numba_kernels` when numba is installed.

float16 and bfloat16 products with NumPy's bits (and ml_dtypes' for bfloat16 ``dot``): every
output element is a float32 sum of its products in k order from +0.0, and products of 16-bit
floats are exact in float32, so only that order matters, not which elements are computed
together. The kernel packs A into float32 panels of `MR` rows and B into panels of `NR` columns
(zero-padded, inf/NaN counted on the way), then runs the register micro-kernel
(`gpudot._exact._numba_tiles.tile`) over blocks of `MC` x `NC` outputs in parallel (``prange``).
K is cut into blocks of ``kc`` steps: a later block starts from the float32 sums the previous one
stored, so each sum still runs through k in order. Compiled on first use, cached on disk.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import prange

from gpudot._exact._numba_tiles import MR, NR, tile, widen

__all__ = ["KC", "MC", "MR", "NC", "NR", "ordered_product", "ordered_product_serial"]

#: Rows and columns of the output block one task computes (a multiple of `MR` and `NR`).
MC = 12 * MR
NC = 4 * NR
#: k steps per block: a B micro-panel (``KC * NR`` floats, 96 KiB) stays in L2 across the rows.
KC = 512


@numba.njit(cache=True, inline="always")
def _tally(bits: int, brain: bool, stats: np.ndarray, at: int) -> None:
    """Count an inf/NaN in ``stats[at, 0]``; keep the largest and smallest nonzero exponent
    field of bfloat16 bits in ``stats[at, 1]`` and ``stats[at, 2]``."""
    if brain:
        exponent = (bits >> 7) & 0xFF
        if exponent == 0xFF:
            stats[at, 0] += 1
        elif bits & 0x7FFF:
            stats[at, 1] = max(stats[at, 1], exponent)
            stats[at, 2] = min(stats[at, 2], exponent)
    elif bits & 0x7C00 == 0x7C00:
        stats[at, 0] += 1


@numba.njit(cache=True, inline="always")
def _pack_rows(a: np.ndarray, out: np.ndarray, brain: bool, task: int, stats: np.ndarray) -> None:
    """Panel ``task`` of ``out`` (Ba, M/MR, K, MR) from rows of ``a`` (Ba, M, K)."""
    panels, k = out.shape[1], a.shape[2]
    p, panel = task // panels, task % panels
    for r in range(MR):
        i = panel * MR + r
        if i < a.shape[1]:
            for kk in range(k):
                bits = a[p, i, kk]
                _tally(bits, brain, stats, task)
                out[p, panel, kk, r] = widen(bits, brain)
        else:
            for kk in range(k):
                out[p, panel, kk, r] = 0.0


@numba.njit(cache=True, inline="always")
def _pack_columns(
    b: np.ndarray, out: np.ndarray, brain: bool, task: int, stats: np.ndarray, at: int
) -> None:
    """Panel ``task`` of ``out`` (Bb, N/NR, K, NR) from columns of ``b`` (Bb, K, N)."""
    panels, n = out.shape[1], b.shape[2]
    p, panel = task // panels, task % panels
    j0 = panel * NR
    width = min(NR, n - j0)
    for kk in range(b.shape[1]):
        for j in range(width):
            bits = b[p, kk, j0 + j]
            _tally(bits, brain, stats, at)
            out[p, panel, kk, j] = widen(bits, brain)
        for j in range(width, NR):
            out[p, panel, kk, j] = 0.0


@numba.njit(cache=True, inline="always")
def _exact_products(stats: np.ndarray, a_tasks: int, brain: bool) -> bool:
    """Whether every product of an A and a B value is exact in float32 (so a fused multiply-add
    rounds as a multiply then an add): always for float16; for bfloat16 when, by the exponent
    fields e (value below 2^(e-126), at least 2^(e-127) for e > 0), no product can reach 2^128
    or fall below the float32 normal range 2^-126 (subnormal inputs, e = 0, fail the test)."""
    if not brain:
        return True
    a_high, a_low = stats[:a_tasks, 1].max(), stats[:a_tasks, 2].min()
    b_high, b_low = stats[a_tasks:, 1].max(), stats[a_tasks:, 2].min()
    if a_high < 0 or b_high < 0:  # an operand of zeros only: every product is +-0
        return True
    return a_high + b_high <= 380 and a_low >= 1 and b_low >= 1 and a_low + b_low >= 128


@numba.njit(cache=True, inline="always")
def _blocks(out: np.ndarray) -> tuple[int, int]:
    """Row and column blocks of one output matrix."""
    return (out.shape[1] + MC - 1) // MC, (out.shape[2] + NC - 1) // NC


@numba.njit(cache=True, inline="always")
def _block(
    ap: np.ndarray, bp: np.ndarray, out: np.ndarray, task: int, kc: int, brain: bool, fused: bool
) -> None:
    """Output block ``task`` (matrix, row block, column block) of ``out`` (B, M, N).

    Micro-tiles that overhang ``out`` round into a small buffer, then copy their valid part.
    The block's float32 sums wait in ``carried`` between k blocks.
    """
    rows, cols = _blocks(out)
    p, rest = task // (rows * cols), task % (rows * cols)
    i0, j0 = (rest // cols) * MC, (rest % cols) * NC
    m, n, k = out.shape[1], out.shape[2], ap.shape[2]
    a_flat, b_flat, out_flat = ap.reshape(ap.size), bp.reshape(bp.size), out.reshape(out.size)
    a_base = (p if ap.shape[0] > 1 else 0) * ap.shape[1] * k * MR
    b_base = (p if bp.shape[0] > 1 else 0) * bp.shape[1] * k * NR
    carried = np.empty(MC * NC if k > kc else 0, np.float32)
    edge = np.empty(MR * NR, np.uint16)
    for k0 in range(0, k, kc):
        steps = min(kc, k - k0)
        final = k0 + steps == k
        for j in range(j0, min(j0 + NC, n), NR):
            b_at = b_base + ((j // NR) * k + k0) * NR
            for i in range(i0, min(i0 + MC, m), MR):
                a_at = a_base + ((i // MR) * k + k0) * MR
                at = (i - i0) * NC + (j - j0)
                if i + MR <= m and j + NR <= n:
                    o_at, o_ld = (p * m + i) * n + j, n
                    tile(a_flat, a_at, b_flat, b_at, steps, carried, at, NC, k0 > 0, out_flat, o_at, o_ld, final, brain, fused)  # noqa: E501
                else:
                    tile(a_flat, a_at, b_flat, b_at, steps, carried, at, NC, k0 > 0, edge, 0, NR, final, brain, fused)  # noqa: E501
                    if final:
                        for r in range(min(MR, m - i)):
                            for jj in range(min(NR, n - j)):
                                out[p, i + r, j + jj] = edge[r * NR + jj]


@numba.njit(parallel=True, cache=True)
def ordered_product(
    a: np.ndarray, b: np.ndarray, ap: np.ndarray, bp: np.ndarray, out: np.ndarray, brain: bool, kc: int
) -> int:
    """``out[p] = a[p] @ b[p]`` summed in float32, k in order; the count of inf/NaN operands.

    a: (Ba, M, K), b: (Bb, K, N): float16 (or bfloat16 where ``brain``) bits as C-contiguous
    uint16, Ba and Bb 1 or B, K > 0; ap: (Ba, ceil(M/MR), K, MR) and bp: (Bb, ceil(N/NR), K,
    NR) float32 for the panels; out: (B, M, N) uint16 for the rounded result, left unwritten
    where an operand holds inf or NaN. Packing, then every output block, run in parallel.
    """
    a_tasks, b_tasks = ap.shape[0] * ap.shape[1], bp.shape[0] * bp.shape[1]
    stats = np.empty((a_tasks + b_tasks, 3), np.int64)
    for task in prange(a_tasks + b_tasks):
        stats[task, 0], stats[task, 1], stats[task, 2] = 0, -1, 0xFF
        if task < a_tasks:
            _pack_rows(a, ap, brain, task, stats)
        else:
            _pack_columns(b, bp, brain, task - a_tasks, stats, task)
    bad = stats[:, 0].sum()
    if bad:
        return bad
    rows, cols = _blocks(out)
    fused = _exact_products(stats, a_tasks, brain)
    for task in prange(out.shape[0] * rows * cols):
        _block(ap, bp, out, task, kc, brain, fused)
    return 0


@numba.njit(cache=True)
def ordered_product_serial(
    a: np.ndarray, b: np.ndarray, ap: np.ndarray, bp: np.ndarray, out: np.ndarray, brain: bool, kc: int
) -> int:
    """`ordered_product` on the calling thread (small products: no thread wake-up cost)."""
    a_tasks, b_tasks = ap.shape[0] * ap.shape[1], bp.shape[0] * bp.shape[1]
    stats = np.empty((a_tasks + b_tasks, 3), np.int64)
    for task in range(a_tasks + b_tasks):
        stats[task, 0], stats[task, 1], stats[task, 2] = 0, -1, 0xFF
        if task < a_tasks:
            _pack_rows(a, ap, brain, task, stats)
        else:
            _pack_columns(b, bp, brain, task - a_tasks, stats, task)
    bad = stats[:, 0].sum()
    if bad:
        return bad
    rows, cols = _blocks(out)
    fused = _exact_products(stats, a_tasks, brain)
    for task in range(out.shape[0] * rows * cols):
        _block(ap, bp, out, task, kc, brain, fused)
    return 0
