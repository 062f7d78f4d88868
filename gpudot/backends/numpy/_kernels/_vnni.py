"""numba kernels summing 8- and 16-bit integer products with the dot-product instructions (VNNI).

Imported only through `gpudot.backends.numpy._kernels._load`, and used only where
`gpudot.backends.numpy._kernels._cpu_features` finds the instructions (`INSTRUCTIONS`: this CPU has
them; the routes also ask whether they are switched off). One instruction multiplies 4 byte pairs
(``vpdpbusd``: unsigned x signed) or 2 int16 pairs (``vpdpwssd``) per 32-bit lane and adds them to
the lane, wrapping modulo 2^32, so a lane holds its sum modulo 2^32 in any order and blocking:
NumPy's bits for every result of 32 bits or fewer.
`gpudot.backends.numpy._exact._integer.dot_product_matmul` turns signed x signed bytes into unsigned
x signed ones (which operand is flipped, and by what the row sums are scaled).

Layout, all C-contiguous: ``a`` (Ba, M, Kp) of bytes or int16, Kp a multiple of the ``group``
(4 bytes or 2 int16 per lane), read ``group`` k steps at a time as one broadcast 32-bit value;
``bp`` (Bb, panels, Kp / group, NR) int32: the panels of ``b``, each lane ``group`` consecutive k
values of one column (column padding and k padding zero); ``c`` (B, M, N) int32, set to each
row's start value (the corrections) plus its sums. `vnni_product` packs ``b``, sums the rows of
``a`` and runs the tasks, each one block of about `MB` output rows by one panel, in one parallel
region whose threads take tasks from shared atomic counters (a thread that wakes late takes
fewer).
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
from gpudot.backends.numpy._kernels._compile import threaded_and_serial, threads
from gpudot.backends.numpy._kernels._cpu_features import cpu_vnni_bits
from gpudot.backends.numpy._kernels._ir import accumulators, element_pointer, next_task, splat

__all__ = [
    "INSTRUCTIONS",
    "KC",
    "LANES",
    "MB",
    "MR",
    "NR",
    "row_blocks",
    "threads",
    "vnni_product",
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
        accs = accumulators(builder, vector, MR, VECTORS)
        rows = [builder.add(i_v, ir.Constant(intp, r)) for r in range(MR)]

        # Row pointers of ``a`` as 32-bit groups, and the panel's first vector: hoisted, so that
        # the loop's only integer work is one index step (its other ports run the dot products).
        a_rows = [
            _opaque(builder, element_pointer(builder, a_arr, row, ir.Constant(intp, 0)), i32)
            for row in rows
        ]
        p_base = builder.bitcast(
            element_pointer(builder, p_arr, ir.Constant(intp, 0), p_v), vector.as_pointer()
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
                broadcast = splat(builder, scalar, vector)
                for v in range(VECTORS):
                    # vpdpbusd takes its 2nd operand's bytes as unsigned, its 3rd's as signed
                    # (vpdpwssd: both signed)
                    pair = [loaded[v], broadcast] if splat_signed else [broadcast, loaded[v]]
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
        limit = splat(builder, cols32, vector)
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
                        start = splat(builder, start, vector)
                    for v in range(VECTORS):
                        col = builder.add(j_v, ir.Constant(intp, v * LANES))
                        ptr = builder.bitcast(element_pointer(builder, c_arr, rows[r], col), vptr)
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


#: Spins (``pause``) `_wait_for` makes before it yields its core at each further check: a
#: thread it waits for may be waiting for this very core.
SPINS = 1000


@intrinsic
def _wait_for(typingctx: Any, counters: Any, index: Any, value: Any):  # type: ignore[no-untyped-def]  # noqa: E501
    """Wait until ``counters[index] >= value``; what other threads wrote before they counted is
    then visible (acquire). Spins with ``pause`` `SPINS` times, then calls ``sched_yield``
    between checks (the awaited thread may be descheduled on this core)."""
    sig = types.void(counters, index, value)

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        array = context.make_array(signature.args[0])(context, builder, args[0])
        pointer = builder.gep(array.data, [args[1]])
        pause = cgutils.get_or_insert_function(  # type: ignore[no-untyped-call]
            builder.module, ir.FunctionType(ir.VoidType(), []), "llvm.x86.sse2.pause"
        )
        give_up_core = cgutils.get_or_insert_function(  # type: ignore[no-untyped-call]
            builder.module, ir.FunctionType(ir.IntType(32), []), "sched_yield"
        )
        i64 = ir.IntType(64)
        spins = cgutils.alloca_once_value(builder, ir.Constant(i64, 0))  # type: ignore[no-untyped-call]  # noqa: E501
        check = builder.append_basic_block("wait.check")
        spin = builder.append_basic_block("wait.spin")
        done = builder.append_basic_block("wait.done")
        builder.branch(check)
        builder.position_at_end(check)
        seen = builder.load_atomic(pointer, "acquire", 8)
        builder.cbranch(builder.icmp_signed(">=", seen, args[2]), done, spin)
        builder.position_at_end(spin)
        count = builder.add(builder.load(spins), ir.Constant(i64, 1))
        builder.store(count, spins)
        with builder.if_else(builder.icmp_signed(">", count, ir.Constant(i64, SPINS))) as (
            long,
            short,
        ):
            with long:
                builder.call(give_up_core, [])
            with short:
                builder.call(pause, [])
        builder.branch(check)
        builder.position_at_end(done)
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def _byte_sum(typingctx: Any, row: Any, vectors: Any, xor: Any):  # type: ignore[no-untyped-def]
    """The sum of the first ``vectors * LANES * 4`` bytes of the C-contiguous 1-D ``row``, each
    XOR ``xor`` first, as an int64: one ``vpsadbw`` (bytes summed in 8 groups of 8) per
    vector."""
    if not isinstance(row, types.Array) or row.layout != "C":
        return None
    sig = types.int64(row, vectors, xor)

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        data = context.make_array(signature.args[0])(context, builder, args[0]).data
        width = LANES * 4
        i8, i64 = ir.IntType(8), ir.IntType(64)
        bytes_ty, sums_ty = ir.VectorType(i8, width), ir.VectorType(i64, width // 8)
        name = "llvm.x86.avx512.psad.bw.512" if width == 64 else "llvm.x86.avx2.psad.bw"
        sad = cgutils.get_or_insert_function(  # type: ignore[no-untyped-call]
            builder.module, ir.FunctionType(sums_ty, [bytes_ty, bytes_ty]), name
        )
        i32 = ir.IntType(32)
        flips = splat(builder, builder.trunc(args[2], i8), bytes_ty)
        zero = ir.Constant(sums_ty, None)
        total = cgutils.alloca_once_value(builder, zero)  # type: ignore[no-untyped-call]
        with cgutils.for_range(builder, args[1]) as loop:  # type: ignore[no-untyped-call]
            at = builder.gep(data, [builder.mul(loop.index, ir.Constant(loop.index.type, width))])
            chunk = builder.load(builder.bitcast(at, bytes_ty.as_pointer()), align=1)
            summed = builder.call(sad, [builder.xor(chunk, flips), ir.Constant(bytes_ty, None)])
            builder.store(builder.add(builder.load(total), summed), total)
        sums = builder.load(total)
        result = builder.extract_element(sums, ir.Constant(i32, 0))
        for lane in range(1, width // 8):
            result = builder.add(result, builder.extract_element(sums, ir.Constant(i32, lane)))
        return result

    return sig, codegen


@numba.njit(cache=True, inline="always")
def _rows_of_block(m: int, blocks: int, block: int) -> tuple[int, int]:
    """Rows ``[i0, i1)`` of row block ``block`` of ``blocks``: whole register tiles, as many as
    the others or one more."""
    tiles = (m + MR - 1) // MR
    return block * tiles // blocks * MR, min((block + 1) * tiles // blocks * MR, m)


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
    """Row block ``block`` of ``blocks``, panel ``p`` of matrix ``q``, for the task number."""
    panels = bp.shape[1]
    m = c.shape[1]
    q, rest = task // (blocks * panels), task % (blocks * panels)
    block, p = rest // panels, rest % panels
    aq = a[q if a.shape[0] > 1 else 0]
    panel = bp[q if bp.shape[0] > 1 else 0, p]
    cq = c[q]
    start = base[q if base.shape[0] > 1 else 0]
    i0, i1 = _rows_of_block(m, blocks, block)
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


@numba.njit(cache=True, inline="always")
def _pack_one(b: np.ndarray, out: np.ndarray, flip: int, task: int) -> None:
    """Panel ``task`` (matrix, panel) of ``out`` from ``b`` (Bb, K, N).

    Each lane of ``out`` gets ``group`` consecutive k values of a column (bytes XOR ``flip``, or
    int16), the first in its low bits; k values past ``b``'s are zero. Lanes past ``b``'s
    columns are left as they are: `_tile` never stores their sums (writing them cost more than
    the product for a stack of narrow matrices). Whole groups in one pass over the column run
    (a loop LLVM turns into vector code).
    """
    panels = out.shape[1]
    q, p = task // panels, task % panels
    k, n = b.shape[1], b.shape[2]
    group = 4 // b.itemsize
    j0 = p * NR
    width = min(NR, n - j0)
    src = b[q]
    panel = out[q, p]
    xor = np.uint32(flip)
    xors = np.uint32(flip * 0x01010101)  # the same XOR in each byte of a lane
    start = 0
    if width < LANES * VECTORS:  # narrow: indexing beats slicing each group
        start = k // group
        for g in range(start):
            k0 = g * group
            for j in range(width):
                if group == 4:
                    out[q, p, g, j] = np.int32(
                        (
                            np.uint32(src[k0, j0 + j])
                            | (np.uint32(src[k0 + 1, j0 + j]) << np.uint32(8))
                            | (np.uint32(src[k0 + 2, j0 + j]) << np.uint32(16))
                            | (np.uint32(src[k0 + 3, j0 + j]) << np.uint32(24))
                        )
                        ^ xors
                    )
                else:
                    out[q, p, g, j] = np.int32(
                        np.uint32(np.uint16(src[k0, j0 + j]))
                        | (np.uint32(np.uint16(src[k0 + 1, j0 + j])) << np.uint32(16))
                    )
    for g in range(start, panel.shape[0]):
        row = panel[g]
        k0 = g * group
        if k0 + group > k:  # the last, partial group
            for j in range(NR):
                row[j] = 0
            for t in range(k - k0):
                shift = np.uint32(8 * b.itemsize * t)
                for j in range(width):
                    row[j] |= np.int32((np.uint32(np.uint16(src[k0 + t, j0 + j])) ^ xor) << shift)
        elif group == 4:
            r0, r1 = src[k0, j0 : j0 + width], src[k0 + 1, j0 : j0 + width]
            r2, r3 = src[k0 + 2, j0 : j0 + width], src[k0 + 3, j0 : j0 + width]
            for j in range(width):
                row[j] = np.int32(
                    (
                        np.uint32(r0[j])
                        | (np.uint32(r1[j]) << np.uint32(8))
                        | (np.uint32(r2[j]) << np.uint32(16))
                        | (np.uint32(r3[j]) << np.uint32(24))
                    )
                    ^ xors
                )
        else:
            r0, r1 = src[k0, j0 : j0 + width], src[k0 + 1, j0 : j0 + width]
            for j in range(width):
                row[j] = np.int32(
                    np.uint32(np.uint16(r0[j])) | (np.uint32(np.uint16(r1[j])) << np.uint32(16))
                )


@numba.njit(cache=True, inline="always")
def _row_starts(a: np.ndarray, base: np.ndarray, scale: int, blocks: int, task: int) -> None:
    """``base[q, i] = scale * sum(a[q, i])`` modulo 2^32 for the rows of row block ``task``
    (matrix, block); ``a``'s bytes read as int8 where ``scale < 0`` (signed x signed), else as
    uint8 (`_byte_sum`; exact in int64)."""
    q, block = task // blocks, task % blocks
    i0, i1 = _rows_of_block(a.shape[1], blocks, block)
    width = LANES * 4
    for i in range(i0, i1):
        if scale == 0:
            base[q, i] = 0
            continue
        row = a[q, i]
        xor = 0x80 if scale < 0 else 0
        vectors = row.size // width
        total = _byte_sum(row, vectors, xor)
        for k in range(vectors * width, row.size):
            total += np.int64(row[k] ^ xor)
        if scale < 0:
            total -= 128 * row.size  # a signed byte x is (x ^ 0x80) - 128
        base[q, i] = np.int32(np.uint32(np.int64(scale) * total & 0xFFFFFFFF))


@numba.njit(cache=True, inline="always")
def _matrix_tasks(a: np.ndarray, panels: np.ndarray, c: np.ndarray, threads: int) -> bool:
    """Whether each matrix of the stack is one task (`_one_matrix`): matrices of one panel and
    one row block, none broadcast, at least one per thread. Splitting those into the phases'
    tasks would cost more in task bookkeeping than their arithmetic."""
    count = c.shape[0]
    return (
        panels.shape[1] == 1
        and c.shape[1] <= MB
        and count >= threads
        and a.shape[0] == count
        and panels.shape[0] == count
    )


@numba.njit(cache=True, inline="always")
def _one_matrix(
    a: np.ndarray,
    b: np.ndarray,
    panels: np.ndarray,
    c: np.ndarray,
    base: np.ndarray,
    flip: int,
    scale: int,
    signed: bool,
    q: int,
) -> None:
    """Matrix ``q`` of a stack whole, while its data is in cache: its panel packed, its rows'
    starts (as `_row_starts`, summed by a plain loop: its rows are short) and its tiles."""
    _pack_one(b, panels, flip, q)
    k = a.shape[2]
    for i in range(a.shape[1]):
        total = 0
        if scale < 0:  # signed bytes
            for t in range(k):
                total += np.int8(a[q, i, t])
        elif scale > 0:
            for t in range(k):
                total += a[q, i, t]
        base[q, i] = np.int32(np.uint32(np.int64(scale) * total & 0xFFFFFFFF))
    _task(a, panels, c, base, signed, q, 1)


def vnni_product(
    a: np.ndarray,
    b: np.ndarray,
    panels: np.ndarray,
    c: np.ndarray,
    flip: int,
    scale: int,
    signed: bool,
    blocks: int,
    threads: int,
) -> None:
    """``c = a @ b`` modulo 2^32 by dot-product instructions: ``b`` packed, the rows'
    corrections and the sums, in one parallel region (one wake-up of numba's threads).

    ``a`` (Ba, M, Kp) bytes or int16; ``b`` (Bb, K, N) of the same type, packed into ``panels``
    XOR ``flip`` (`_pack_one`); each row of ``c`` starts from ``scale`` times the row's sum of
    ``a`` (0x80 and -128 turn signed x signed bytes into unsigned x signed ones, 0x80 and 128
    unsigned x unsigned; `_row_starts`). Bytes:
    ``signed`` says whether ``a``'s are signed (the panels' are then unsigned, else signed;
    int16: both signed, ``signed`` is not read). ``blocks``: the row blocks, `row_blocks`;
    ``threads``: the loops run (numba's threads; an argument, not read from numba inside: a
    kernel that calls ``numba.get_num_threads`` cannot be kept in numba's disk cache).

    Each loop takes tasks from shared counters, so a thread that wakes late takes fewer:
    first every panel and every row block's starts, then (once all are done) the
    (row block, panel) tasks of `_task`; a stack of small matrices (`_matrix_tasks`) instead
    one task per matrix (`_one_matrix`). K must not be zero; ``c`` has at least `MR` rows.
    """
    base = np.empty((a.shape[0], a.shape[1]), np.int32)
    counters = np.empty(3, np.int64)  # next first-phase task, first-phase tasks done, next task
    for i in range(3):
        counters[i] = 0
    if _matrix_tasks(a, panels, c, threads):
        for _ in prange(threads):
            q = next_task(counters, 0)
            while q < c.shape[0]:
                _one_matrix(a, b, panels, c, base, flip, scale, signed, q)
                q = next_task(counters, 0)
        return
    prepare = panels.shape[0] * panels.shape[1]
    first = prepare + a.shape[0] * blocks
    second = c.shape[0] * blocks * panels.shape[1]
    for _ in prange(threads):
        task = next_task(counters, 0)
        while task < first:
            if task < prepare:
                _pack_one(b, panels, flip, task)
            else:
                _row_starts(a, base, scale, blocks, task - prepare)
            next_task(counters, 1)
            task = next_task(counters, 0)
        _wait_for(counters, 1, first)
        task = next_task(counters, 2)
        while task < second:
            _task(a, panels, c, base, signed, task, blocks)
            task = next_task(counters, 2)


def row_blocks(m: int, threads: int) -> int:
    """Row blocks of ``m`` rows for ``threads`` threads: about `MB` rows each, their number a
    multiple of ``threads`` (each thread about the same rows), at most one block per register
    tile."""
    tiles = (m + MR - 1) // MR
    blocks = (m + MB - 1) // MB
    blocks = (blocks + threads - 1) // threads * threads
    return max(1, min(blocks, tiles))


vnni_product, vnni_product_serial = threaded_and_serial(vnni_product)
