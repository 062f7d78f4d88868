"""numba kernels summing 8- and 16-bit integer products with the dot-product instructions (VNNI).

Imported only through `gpudot.backends.numpy._kernels._load`, and used only where
`gpudot.backends.numpy._kernels._cpu_features` finds the instructions (`INSTRUCTIONS`: this CPU has
them; the routes also ask whether they are switched off). One instruction multiplies 4 byte pairs
(``vpdpbusd``: unsigned x signed) or 2 int16 pairs (``vpdpwssd``) per 32-bit lane and adds them to
the lane, wrapping modulo 2^32, so a lane holds its sum modulo 2^32 in any order and blocking:
NumPy's bits for every result of 32 bits or fewer.
`gpudot.backends.numpy._exact._integer.dot_product_matmul` turns signed x signed bytes into unsigned
x signed ones (offsets and the column- and row-sum corrections).

Layout, all C-contiguous: ``a`` (Ba, M, Kp) of bytes or int16, Kp a multiple of the ``group``
(4 bytes or 2 int16 per lane), read ``group`` k steps at a time as one broadcast 32-bit value;
``bp`` (Bb, panels, Kp / group, NR) int32: the panels of ``b``, each lane ``group`` consecutive k
values of one column (column padding and k padding zero); ``c`` (B, M, N) int32, set to each
row's start value in ``base`` (the corrections) plus its sums. A task is one block of `MB` output
rows by one panel.
`_tile` keeps ``MR`` x ``VECTORS`` accumulator vectors in registers for a k block of `KC` groups;
the row block's last tile starts ``MR`` rows before the end when fewer are left (rows computed
twice are stored once), and the last panel's columns are stored through masks.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from llvmlite import ir  # type: ignore[import-untyped]
from numba import prange, types
from numba.core import cgutils
from numba.extending import intrinsic

from gpudot._tuning import VNNI_TILE
from gpudot.backends.numpy._kernels._compile import threaded_and_serial
from gpudot.backends.numpy._kernels._cpu_features import cpu_vnni_bits

__all__ = [
    "INSTRUCTIONS",
    "KC",
    "LANES",
    "MB",
    "MR",
    "NR",
    "pack_panels",
    "row_blocks",
    "row_corrections",
    "vnni_matmul",
]

#: Vector width in bits (512: AVX512-VNNI, 256: AVX-VNNI), and 32-bit lanes per vector.
BITS = cpu_vnni_bits()
INSTRUCTIONS = BITS > 0
LANES = max(BITS, 256) // 32
#: Output rows of the register tile and its accumulator vectors per row (`VNNI_TILE`).
MR, VECTORS = VNNI_TILE[max(BITS, 256)]
#: Output rows per task (a multiple of MR), columns per panel, k groups per k block (a tile's
#: slice of a panel, ``KC * LANES * VECTORS * 4`` bytes, stays in L1 while the rows run).
MB = 16 * MR
NR = 2 * VECTORS * LANES
KC = 128
#: The instructions by operand width in bytes.
_NAMES = {1: "vpdpbusd", 2: "vpdpwssd"}


def _pointer(builder: ir.IRBuilder, array: Any, row: Any, col: Any) -> Any:
    """Address of ``array[row, col]`` for a C-contiguous 2-D numba array struct."""
    columns = builder.extract_value(array.shape, 1)
    return builder.gep(array.data, [builder.add(builder.mul(row, columns), col)])


def _opaque(builder: ir.IRBuilder, pointer: Any, element: Any) -> Any:
    """``pointer`` as an ``element`` pointer LLVM cannot relate to others (an empty asm): each
    row of ``a`` keeps its own base register, where LLVM would otherwise rebuild the rows from
    one base by adds inside the loop, on the ports the dot products need."""
    as_int = builder.ptrtoint(pointer, ir.IntType(64))
    identity = ir.FunctionType(ir.IntType(64), [ir.IntType(64)])
    hidden = builder.asm(identity, "", "=r,0", [as_int], False)
    return builder.inttoptr(hidden, element.as_pointer())


@intrinsic
def _tile(typingctx: Any, c: Any, a: Any, panel: Any, base: Any, at: Any, span: Any, signed: Any):  # type: ignore[no-untyped-def]  # noqa: E501
    """c[i+skip:i+MR, j:j+cols] += a[i:i+MR, k-block] @ panel[k-block, p:p+cols], masked;
    the first k block (k0 = 0) sets ``c`` to ``base[row]`` plus its sums instead.

    ``at = (i, j, p, skip)``, ``span = (cols, k0, k1)`` (k in groups); ``signed``: whether
    ``a``'s bytes are signed (then the panel's are the unsigned operand), for int16 any value.
    """
    if any(not isinstance(x, types.Array) or x.layout != "C" for x in (c, a, panel, base)):
        return None  # the pointer arithmetic below assumes C-contiguous rows
    sig = types.void(c, a, panel, base, at, span, signed)

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        c_arr, a_arr, p_arr = (
            context.make_array(ty)(context, builder, value)
            for ty, value in zip(signature.args[:3], args[:3], strict=True)
        )
        i_v, j_v, p_v, skip = cgutils.unpack_tuple(builder, args[4])
        cols, k0, k1 = cgutils.unpack_tuple(builder, args[5])
        signed_v = args[6]
        width = context.get_data_type(signature.args[1].dtype).width // 8
        i32 = ir.IntType(32)
        vector = ir.VectorType(i32, LANES)
        name = f"llvm.x86.avx512.{_NAMES[width]}.{LANES * 32}"
        fnty = ir.FunctionType(vector, [vector, vector, vector])
        dot = cgutils.get_or_insert_function(builder.module, fnty, name)  # type: ignore[no-untyped-call]
        intp = i_v.type
        zero = ir.Constant(vector, None)
        accs = [
            [cgutils.alloca_once_value(builder, zero) for _ in range(VECTORS)]  # type: ignore[no-untyped-call]
            for _ in range(MR)
        ]
        rows = [builder.add(i_v, ir.Constant(intp, r)) for r in range(MR)]
        undef = ir.Constant(vector, ir.Undefined)
        splat_mask = ir.Constant(ir.VectorType(i32, LANES), None)

        # Row pointers of ``a`` as 32-bit groups, and the panel's first vector: hoisted, so that
        # the loop's only integer work is one index step (its other ports run the dot products).
        a_rows = [
            _opaque(builder, _pointer(builder, a_arr, row, ir.Constant(intp, 0)), i32)
            for row in rows
        ]
        p_base = builder.bitcast(
            _pointer(builder, p_arr, ir.Constant(intp, 0), p_v), vector.as_pointer()
        )
        p_step = builder.sdiv(builder.extract_value(p_arr.shape, 1), ir.Constant(intp, LANES))

        def step(k: Any, splat_signed: bool) -> None:
            """One k group: VECTORS panel vectors times MR broadcast groups of ``a``."""
            at = builder.mul(k, p_step)
            loaded = [
                builder.load(
                    builder.gep(p_base, [builder.add(at, ir.Constant(intp, v))]), align=4
                )
                for v in range(VECTORS)
            ]
            for r in range(MR):
                scalar = builder.load(builder.gep(a_rows[r], [k]), align=width)
                splat = builder.shuffle_vector(
                    builder.insert_element(undef, scalar, ir.Constant(i32, 0)), undef, splat_mask
                )
                for v in range(VECTORS):
                    # vpdpbusd takes its 2nd operand's bytes as unsigned, its 3rd's as signed
                    # (vpdpwssd: both signed)
                    pair = [loaded[v], splat] if splat_signed else [splat, loaded[v]]
                    builder.store(builder.call(dot, [builder.load(accs[r][v]), *pair]), accs[r][v])

        def k_loop(splat_signed: bool) -> None:
            pairs = builder.sub(k1, builder.srem(builder.sub(k1, k0), ir.Constant(intp, 2)))
            with cgutils.for_range_slice(builder, k0, pairs, ir.Constant(intp, 2)) as (k, _):
                step(k, splat_signed)
                step(builder.add(k, ir.Constant(intp, 1)), splat_signed)
            with builder.if_then(builder.icmp_signed("<", pairs, k1)):
                step(pairs, splat_signed)

        is_signed = builder.icmp_unsigned("!=", signed_v, ir.Constant(signed_v.type, 0))
        with builder.if_else(is_signed) as (yes, no):
            with yes:
                k_loop(True)
            with no:
                k_loop(False)
        mask_ty = ir.VectorType(ir.IntType(1), LANES)
        vptr = vector.as_pointer()
        load_fn = cgutils.get_or_insert_function(  # type: ignore[no-untyped-call]
            builder.module,
            ir.FunctionType(vector, [vptr, i32, mask_ty, vector]),
            f"llvm.masked.load.v{LANES}i32.p0",
        )
        store_fn = cgutils.get_or_insert_function(  # type: ignore[no-untyped-call]
            builder.module,
            ir.FunctionType(ir.VoidType(), [vector, vptr, i32, mask_ty]),
            f"llvm.masked.store.v{LANES}i32.p0",
        )
        cols32 = builder.trunc(cols, i32)
        limit = builder.shuffle_vector(
            builder.insert_element(undef, cols32, ir.Constant(i32, 0)), undef, splat_mask
        )
        masks = [
            builder.icmp_signed(
                "<", ir.Constant(vector, [v * LANES + lane for lane in range(LANES)]), limit
            )
            for v in range(VECTORS)
        ]
        base_arr = context.make_array(signature.args[3])(context, builder, args[3])

        def store(first: bool) -> None:
            """Add the accumulators to ``c``, or (first k block) to the row's start value."""
            for r in range(MR):
                with builder.if_then(builder.icmp_signed(">=", ir.Constant(intp, r), skip)):
                    if first:
                        start = builder.load(builder.gep(base_arr.data, [rows[r]]))
                        start = builder.shuffle_vector(
                            builder.insert_element(undef, start, ir.Constant(i32, 0)),
                            undef,
                            splat_mask,
                        )
                    for v in range(VECTORS):
                        col = builder.add(j_v, ir.Constant(intp, v * LANES))
                        ptr = builder.bitcast(_pointer(builder, c_arr, rows[r], col), vptr)
                        if not first:
                            start = builder.call(
                                load_fn, [ptr, ir.Constant(i32, 4), masks[v], zero]
                            )
                        total = builder.add(start, builder.load(accs[r][v]))
                        builder.call(store_fn, [total, ptr, ir.Constant(i32, 4), masks[v]])

        with builder.if_else(builder.icmp_signed("==", k0, ir.Constant(intp, 0))) as (yes, no):
            with yes:
                store(True)
            with no:
                store(False)
        return context.get_dummy_value()

    return sig, codegen


@numba.njit(cache=True, inline="always")
def _task(
    a: np.ndarray,
    bp: np.ndarray,
    c: np.ndarray,
    base: np.ndarray,
    signed: bool,
    task: int,
    blocks: int,
) -> None:
    """Row block ``block`` of ``blocks`` (whole register tiles, as many as the others or one
    more), panel ``p`` of matrix ``q``, for the task number."""
    panels = bp.shape[1]
    m = c.shape[1]
    q, rest = task // (blocks * panels), task % (blocks * panels)
    block, p = rest // panels, rest % panels
    aq = a[q if a.shape[0] > 1 else 0]
    panel = bp[q if bp.shape[0] > 1 else 0, p]
    cq = c[q]
    start = base[q if base.shape[0] > 1 else 0]
    tiles = (m + MR - 1) // MR
    i0 = block * tiles // blocks * MR
    i1 = min((block + 1) * tiles // blocks * MR, m)
    j0 = p * NR
    width = min(NR, c.shape[2] - j0)
    step = VECTORS * LANES
    groups = panel.shape[0]
    for k0 in range(0, groups, KC):
        k1 = min(k0 + KC, groups)
        for t in range(0, width, step):
            i = i0
            while i < i1:
                first = min(i, m - MR)
                span = (min(step, width - t), k0, k1)
                _tile(cq, aq, panel, start, (first, j0 + t, t, i - first), span, signed)  # type: ignore[call-arg]  # noqa: E501
                i = first + MR


def vnni_matmul(
    a: np.ndarray, bp: np.ndarray, c: np.ndarray, base: np.ndarray, signed: bool, blocks: int
) -> None:
    """c = base[:, :, None] + a @ b modulo 2^32 by dot-product instructions, tasks in parallel.

    ``base``: (Ba, M) int32, a start value per row (the corrections). K must not be zero.
    Bytes: ``signed`` says whether ``a``'s are signed; the panels' are then unsigned, else
    signed (int16: both signed, ``signed`` is not read). ``blocks``: the row blocks,
    `row_blocks` (an argument, not read from numba inside: a kernel that calls
    ``numba.get_num_threads`` cannot be kept in numba's disk cache).

    ``c`` has at least `MR` rows (layout in the module docstring).
    """
    panels = bp.shape[1]
    for task in prange(c.shape[0] * blocks * panels):
        _task(a, bp, c, base, signed, task, blocks)


def row_blocks(m: int, parallel: bool) -> int:
    """The row blocks `vnni_matmul` splits ``m`` rows into: one thread's, or numba's threads'."""
    return _row_blocks(m, numba.get_num_threads() if parallel else 1)


@numba.njit(cache=True)
def _row_blocks(m: int, threads: int) -> int:
    """Row blocks of ``m`` rows: about `MB` rows each, their number a multiple of ``threads``
    (numba hands each thread an equal run of tasks, so each gets the same rows), at most one
    block per register tile."""
    tiles = (m + MR - 1) // MR
    blocks = (m + MB - 1) // MB
    blocks = (blocks + threads - 1) // threads * threads
    return max(1, min(blocks, tiles))


@numba.njit(cache=True, inline="always")
def _pack_one(b: np.ndarray, out: np.ndarray, flip: int, task: int) -> None:
    """Panel ``task`` (matrix, panel) of ``out`` from ``b`` (Bb, K, N).

    Each lane of ``out`` gets ``group`` consecutive k values of a column (bytes XOR ``flip``, or
    int16), the first in its low bits; k values past K are zero.
    """
    panels = out.shape[1]
    q, p = task // panels, task % panels
    k, n = b.shape[1], b.shape[2]
    group = 4 // b.itemsize
    bits, low = 8 * b.itemsize, (1 << 8 * b.itemsize) - 1
    j0 = p * NR
    width = min(NR, n - j0)
    panel = out[q, p]
    for g in range(panel.shape[0]):
        row = panel[g]
        row[:] = 0
        for t in range(min(group, k - g * group)):
            src = b[q, g * group + t, j0 : j0 + width]
            for j in range(width):
                row[j] |= np.int32(((np.int32(src[j]) ^ flip) & low) << (bits * t))


def pack_panels(b: np.ndarray, out: np.ndarray, flip: int) -> None:
    """``out`` (Bb, panels, Kp / group, NR) int32 = the panels of ``b`` (Bb, K, N) XOR ``flip``
    (0x80 maps signed bytes to unsigned ones plus 128, unsigned ones to signed ones minus 128),
    padded with zeros. Panels in parallel."""
    for task in prange(out.shape[0] * out.shape[1]):
        _pack_one(b, out, flip, task)


@numba.njit(cache=True)
def row_corrections(a: np.ndarray, signed: bool, scale: int, out: np.ndarray) -> None:
    """``out[q, i] = scale * sum(a[q, i])`` in int64, ``a``'s bytes read as int8 where
    ``signed``, else as uint8 (the rows' corrections). Summed in int32: exact for K below 2^23,
    modulo 2^32 beyond (all an int32 result needs; an int64 one comes in K blocks of 2^16)."""
    for q in range(a.shape[0]):
        for i in range(a.shape[1]):
            row = a[q, i]
            total = np.int32(0)
            if signed:
                for k in range(row.size):
                    total += np.int32(np.int8(row[k]))
            else:
                for k in range(row.size):
                    total += np.int32(row[k])
            out[q, i] = scale * np.int64(total)


vnni_matmul, vnni_matmul_serial = threaded_and_serial(vnni_matmul)
pack_panels, pack_panels_serial = threaded_and_serial(pack_panels)
