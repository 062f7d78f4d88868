"""numba integer matmul kernels; imported only through `gpudot.backends.numpy._kernels._load`.

NumPy's integer product is the sum of the products modulo 2^w in the result type. These kernels
take the operands viewed as *unsigned* integers of the same width (the same residues modulo 2^w)
and compute in w-bit lanes whose multiplies and adds wrap: the micro-kernel `_tile` is written in
LLVM IR with plain ``mul``/``add`` (no ``nsw``: no overflow assumption LLVM could exploit), and
numba itself marks only signed arithmetic ``nsw``. Wrapping addition is associative, so the
blocking and thread split below cannot change a bit.

Layout, all C-contiguous: ``a`` is a (Ba, M, K) stack, ``b`` packed into column panels
(``(Bb, panels, K, width)``; the last panel's padding is never read), ``c`` the zeroed (B, M, N)
output; Ba and Bb are 1 or B. A task is one block of `MB` output rows by one panel (the threads
take them in turn from an atomic counter); within it the
k axis runs in blocks of `KC` (the panel's block stays in L2). `_tile` keeps an `MR` x
``VECTORS * lanes`` block of ``c`` in vector registers for a whole k block (lanes = 64 bytes /
width: one AVX-512 register); the rows and columns left over take the plain loop `_row`.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from llvmlite import ir  # type: ignore[import-untyped]
from numba import prange, types
from numba.core import cgutils
from numba.extending import intrinsic

from gpudot._tuning import INTEGER_TILE, VECTOR_BYTES
from gpudot.backends.numpy._kernels._compile import threaded_and_serial, threads
from gpudot.backends.numpy._kernels._ir import accumulators, element_pointer, next_task, splat

#: Output rows of the register tile, and its vector registers per row.
MR, VECTORS = INTEGER_TILE
#: Output rows per parallel task.
MB = 96
#: k steps per block: a panel block of ``KC * width`` elements stays in L2 while the rows run.
KC = 256
#: Panel width in tiles (a panel row is ``PANEL_TILES * VECTORS * VECTOR_BYTES`` bytes).
PANEL_TILES = 2


def panel_width(itemsize: int) -> int:
    """Columns of a packed ``b`` panel for elements of ``itemsize`` bytes."""
    return PANEL_TILES * VECTORS * VECTOR_BYTES // itemsize


@intrinsic
def _tile(typingctx: Any, c: Any, a: Any, panel: Any, i: Any, j: Any, p: Any, k0: Any, k1: Any):  # type: ignore[no-untyped-def]
    """c[i:i+MR, j:j+T] += a[i:i+MR, k0:k1] @ panel[k0:k1, p:p+T], T = VECTORS * lanes.

    The MR x VECTORS accumulator vectors live in allocas that LLVM promotes to registers; each
    k step loads VECTORS panel vectors and multiplies them by MR broadcast ``a`` values.
    """
    if any(not isinstance(x, types.Array) or x.layout != "C" for x in (c, a, panel)):
        return None  # the pointer arithmetic below assumes C-contiguous rows
    sig = types.void(c, a, panel, i, j, p, k0, k1)

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        c_arr, a_arr, p_arr = (
            context.make_array(ty)(context, builder, value)
            for ty, value in zip(signature.args[:3], args[:3], strict=True)
        )
        i_v, j_v, p_v, k0_v, k1_v = args[3:]
        element = context.get_data_type(signature.args[0].dtype)
        lanes = VECTOR_BYTES // (element.width // 8)
        vector = ir.VectorType(element, lanes)
        align = element.width // 8
        intp = i_v.type
        accs = accumulators(builder, vector, MR, VECTORS)
        rows = [builder.add(i_v, ir.Constant(intp, r)) for r in range(MR)]
        with cgutils.for_range_slice(builder, k0_v, k1_v, ir.Constant(intp, 1)) as (k, _):
            loaded = []
            for v in range(VECTORS):
                col = builder.add(p_v, ir.Constant(intp, v * lanes))
                ptr = builder.bitcast(element_pointer(builder, p_arr, k, col), vector.as_pointer())
                loaded.append(builder.load(ptr, align=align))
            for r in range(MR):
                scalar = builder.load(element_pointer(builder, a_arr, rows[r], k), align=align)
                broadcast = splat(builder, scalar, vector)
                for v in range(VECTORS):
                    total = builder.add(builder.load(accs[r][v]), builder.mul(broadcast, loaded[v]))
                    builder.store(total, accs[r][v])
        for r in range(MR):
            for v in range(VECTORS):
                col = builder.add(j_v, ir.Constant(intp, v * lanes))
                ptr = builder.bitcast(
                    element_pointer(builder, c_arr, rows[r], col), vector.as_pointer()
                )
                total = builder.add(builder.load(ptr, align=align), builder.load(accs[r][v]))
                builder.store(total, ptr, align=align)
        return context.get_dummy_value()

    return sig, codegen


@numba.njit(cache=True, inline="always")
def _row(
    c: np.ndarray,
    a: np.ndarray,
    panel: np.ndarray,
    i: int,
    j0: int,
    cols: tuple[int, int],
    k0: int,
    k1: int,
) -> None:  # noqa: E501
    """c[i, j0+lo:j0+hi] += a[i, k0:k1] @ panel[k0:k1, lo:hi] for ``cols = (lo, hi)``.

    The rows and columns the register tile leaves over (unsigned operands: no ``nsw``).
    """
    lo, hi = cols
    out = c[i, j0 + lo : j0 + hi]
    for k in range(k0, k1):
        aik = a[i, k]
        row = panel[k, lo:hi]
        for j in range(hi - lo):
            out[j] += aik * row[j]


@numba.njit(cache=True, inline="always")
def _task(a: np.ndarray, bp: np.ndarray, c: np.ndarray, task: int) -> None:
    """Output rows ``MB * block`` onwards, panel ``p`` of matrix ``q``, for the task number."""
    panels = bp.shape[1]
    blocks = (c.shape[1] + MB - 1) // MB
    q, rest = task // (blocks * panels), task % (blocks * panels)
    block, p = rest // panels, rest % panels
    aq = a[q if a.shape[0] > 1 else 0]
    panel = bp[q if bp.shape[0] > 1 else 0, p]
    cq = c[q]
    i0, i1 = block * MB, min(block * MB + MB, c.shape[1])
    j0 = p * bp.shape[3]
    width = min(bp.shape[3], c.shape[2] - j0)
    step = VECTORS * VECTOR_BYTES // c.itemsize
    tiled = width - width % step
    depth = aq.shape[1]
    for k0 in range(0, depth, KC):
        k1 = min(k0 + KC, depth)
        i = i0
        while i + MR <= i1:
            for jj in range(0, tiled, step):
                _tile(cq, aq, panel, i, j0 + jj, jj, k0, k1)  # type: ignore[call-arg]
            if tiled < width:
                for r in range(MR):
                    _row(cq, aq, panel, i + r, j0, (tiled, width), k0, k1)
            i += MR
        while i < i1:
            _row(cq, aq, panel, i, j0, (0, width), k0, k1)
            i += 1


@numba.njit(cache=True, inline="always")
def _tasks(bp: np.ndarray, c: np.ndarray) -> int:
    """Number of tasks: matrices x row blocks x panels."""
    return int(c.shape[0] * ((c.shape[1] + MB - 1) // MB) * bp.shape[1])


def wrapping_matmul(a: np.ndarray, bp: np.ndarray, c: np.ndarray, threads: int) -> None:
    """c += a @ b modulo 2^w (layout in the module docstring) on ``threads`` threads (numba's,
    passed in: a kernel reading them cannot be kept in numba's disk cache), each taking tasks
    from a shared atomic counter: a thread that wakes late, or shares its core with other work,
    takes fewer, and the call does not wait for its share."""
    tasks = _tasks(bp, c)
    counter = np.empty(1, np.int64)
    counter[0] = 0
    for _ in prange(threads):
        task = next_task(counter, 0)
        while task < tasks:
            _task(a, bp, c, task)
            task = next_task(counter, 0)


wrapping_matmul, wrapping_matmul_serial = threaded_and_serial(wrapping_matmul)
