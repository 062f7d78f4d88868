"""numba kernels; imported only through `gpudot.backends.numpy._kernels._load` when numba is
installed.

float16 and bfloat16 products with NumPy's bits (and ml_dtypes' for bfloat16 ``dot``): every
output element is a float32 sum of its products in k order from +0.0, and products of 16-bit
floats are exact in float32, so only that order matters, not which elements are computed
together. The kernel packs A into float32 panels of `MR` rows and B into panels of `NR` columns
(zero-padded; inf/NaN counted and, for bfloat16, exponent ranges noted on the way), then runs the
register micro-kernel (`gpudot.backends.numpy._kernels._half_tiles.tile`) over blocks of `MC` x `NC`
outputs in parallel (``prange``), rounding each tile to 16 bits straight into the result. K is cut
into blocks of ``kc`` steps: a later block starts from the float32 sums the previous one stored (one
`MC` x `NC` block per task), so each sum still runs through k in order; no split of K, no tree.
Compiled on first use, cached on disk (`gpudot.backends.numpy._kernels._load.warmup`).
"""

from __future__ import annotations

import numba
import numpy as np
from numba import prange

from gpudot.backends.numpy._kernels._compile import threaded_and_serial
from gpudot.backends.numpy._kernels._half_tiles import MR, NR, tile, widen

__all__ = ["KC", "MC", "MR", "NC", "NR", "ordered_product", "ordered_product_serial"]

#: Rows and columns of the output block one task computes (a multiple of `MR` and `NR`), and k
#: steps per k block (a B micro-panel, ``KC * NR`` floats = 96 KiB, stays in L2 across the rows).
#: Not critical: blocks of 48-192 rows, 96-480 columns and KC of 256-1024 run within a few
#: percent of each other (`gpudot._tuning` names the machine).
MC = 12 * MR
NC = 4 * NR
KC = 512


@numba.njit(cache=True, inline="always")
def _widen_run(bits: np.ndarray, out: np.ndarray, brain: bool, stats: np.ndarray, at: int) -> None:
    """``out[:] = bits`` widened to float32; inf/NaN counted in ``stats[at, 0]``, and for
    bfloat16 the largest and smallest nonzero exponent field kept in ``stats[at, 1:]``.

    Plain reductions over locals, so that LLVM vectorises the loop.
    """
    bad, high, low = 0, stats[at, 1], stats[at, 2]
    if brain:
        for j in range(bits.size):
            exponent = (bits[j] >> 7) & 0xFF
            bad += exponent == 0xFF
            nonzero = (bits[j] & 0x7FFF) != 0
            high = max(high, exponent if nonzero else -1)
            low = min(low, exponent if nonzero else 0xFF)
            out[j] = widen(bits[j], True)
    else:
        for j in range(bits.size):
            bad += (bits[j] & 0x7C00) == 0x7C00
            out[j] = widen(bits[j], False)
    stats[at, 0] += bad
    stats[at, 1], stats[at, 2] = high, low


@numba.njit(cache=True, inline="always")
def _pack_rows(
    a: np.ndarray, out: np.ndarray, brain: bool, task: int, stats: np.ndarray, row: np.ndarray
) -> None:
    """Panel ``task`` of ``out`` (Ba, M/MR, K, MR) from rows of ``a`` (Ba, M, K).

    Each row is widened into ``row`` (K float32), then spread at stride MR.
    """
    panels, k = out.shape[1], a.shape[2]
    p, panel = task // panels, task % panels
    for r in range(MR):
        i = panel * MR + r
        if i < a.shape[1]:
            _widen_run(a[p, i], row, brain, stats, task)
            for kk in range(k):
                out[p, panel, kk, r] = row[kk]
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
        _widen_run(b[p, kk, j0 : j0 + width], out[p, panel, kk, :width], brain, stats, at)
        out[p, panel, kk, width:] = 0.0


@numba.njit(cache=True, inline="always")
def _pack(
    a: np.ndarray,
    b: np.ndarray,
    ap: np.ndarray,
    bp: np.ndarray,
    brain: bool,
    task: int,
    stats: np.ndarray,
) -> None:
    """Packing task ``task``: a panel of A's rows, then (from ``a`` tasks on) of B's columns."""
    stats[task, 0], stats[task, 1], stats[task, 2] = 0, -1, 0xFF
    a_tasks = ap.shape[0] * ap.shape[1]
    if task < a_tasks:
        _pack_rows(a, ap, brain, task, stats, np.empty(a.shape[2], np.float32))
    else:
        _pack_columns(b, bp, brain, task - a_tasks, stats, task)


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
    return bool(a_high + b_high <= 380 and a_low >= 1 and b_low >= 1 and a_low + b_low >= 128)


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
                flags = (k0 > 0, final, brain, fused)
                if i + MR <= m and j + NR <= n:
                    o_at = (p * m + i) * n + j
                    tile(
                        a_flat,
                        b_flat,
                        carried,
                        out_flat,
                        (a_at, b_at, steps, at, NC, o_at, n),
                        flags,
                    )
                else:
                    tile(a_flat, b_flat, carried, edge, (a_at, b_at, steps, at, NC, 0, NR), flags)
                    if final:
                        for r in range(min(MR, m - i)):
                            for jj in range(min(NR, n - j)):
                                out[p, i + r, j + jj] = edge[r * NR + jj]


def ordered_product(
    a: np.ndarray,
    b: np.ndarray,
    ap: np.ndarray,
    bp: np.ndarray,
    out: np.ndarray,
    brain: bool,
    kc: int,
) -> int:
    """``out[p] = a[p] @ b[p]`` summed in float32, k in order; the count of inf/NaN operands.

    a: (Ba, M, K), b: (Bb, K, N): float16 (or bfloat16 where ``brain``) bits as C-contiguous
    uint16, Ba and Bb 1 or B, K > 0; ap: (Ba, ceil(M/MR), K, MR) and bp: (Bb, ceil(N/NR), K,
    NR) float32 for the panels; out: (B, M, N) uint16 for the rounded result, left unwritten
    where an operand holds inf or NaN. Packing, then every output block, run in parallel.
    """
    stats = np.empty((ap.shape[0] * ap.shape[1] + bp.shape[0] * bp.shape[1], 3), np.int64)
    for task in prange(stats.shape[0]):
        _pack(a, b, ap, bp, brain, task, stats)
    if stats[:, 0].sum():
        return int(stats[:, 0].sum())
    fused = _exact_products(stats, ap.shape[0] * ap.shape[1], brain)
    for task in prange(out.shape[0] * _blocks(out)[0] * _blocks(out)[1]):
        _block(ap, bp, out, task, kc, brain, fused)
    return 0


ordered_product, ordered_product_serial = threaded_and_serial(ordered_product)
