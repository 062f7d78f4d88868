"""LLVM-level pieces of the half-precision kernels (numba intrinsics); numba must be installed.

`tile` is the register-blocked micro-kernel: ``MR x NR`` float32 sums held in ``MR * NR / 16``
vector registers (16 floats each) while k runs, so no sum is loaded or stored inside the k loop.
It is written as LLVM IR because numba has no vector type and would keep an accumulator array in
memory. A step is a fused multiply-add where every product is exact in float32 (then it equals
the C loops' multiply-then-add of NumPy's float16 matmul and of ml_dtypes' ``dot``), else a
multiply, then an add, as those loops do (a bfloat16 product can overflow or underflow float32).
On Zen 4 the fused form reaches the float32 peak (116 GFLOP/s per core in L1, 2026-12-08), the
separate one about 90: it cannot embed the broadcast factor.
`widen` turns float16 or bfloat16 bits into float32 exactly.
"""

from __future__ import annotations

from typing import Any

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["MR", "NR", "tile", "widen"]

#: Rows of a micro-tile (one broadcast factor of a packed A panel each).
MR = 8
#: Columns of a micro-tile: 3 vectors of 16 float32 (24 accumulator registers of the 32).
NR = 48
_LANES = 16
_F32 = ir.FloatType()
_VEC = ir.VectorType(_F32, _LANES)
_V16 = ir.VectorType(ir.IntType(16), _LANES)


def _data(context: Any, builder: Any, aty: Any, value: Any) -> Any:
    """The data pointer (float*) of a numba array value."""
    return context.make_array(aty)(context, builder, value).data


def _at(context: Any, builder: Any, fromty: Any, value: Any) -> Any:
    """An integer argument as an intp LLVM value."""
    return context.cast(builder, value, fromty, types.intp)


def _vector_at(builder: Any, base: Any, at: Any, vector: Any) -> Any:
    """Pointer to the vector of ``vector`` type at element ``at`` of ``base``."""
    return builder.bitcast(builder.gep(base, [at]), vector.as_pointer())


def _narrow(builder: Any, sums: Any, brain: Any) -> Any:
    """16 float32 rounded to nearest-even float16 or bfloat16 bits (ml_dtypes' NaN rule)."""
    i16, i32 = ir.IntType(16), ir.IntType(32)
    half = builder.bitcast(builder.fptrunc(sums, ir.VectorType(ir.HalfType(), _LANES)), _V16)
    bits = builder.bitcast(sums, ir.VectorType(i32, _LANES))

    def splat(value: int) -> Any:
        return ir.Constant(ir.VectorType(i32, _LANES), [value] * _LANES)

    odd = builder.and_(builder.lshr(bits, splat(16)), splat(1))
    rounded = builder.lshr(builder.add(bits, builder.add(splat(0x7FFF), odd)), splat(16))
    nan = builder.or_(builder.and_(builder.lshr(bits, splat(16)), splat(0x8000)), splat(0x7FC0))
    brain16 = builder.select(builder.fcmp_unordered("uno", sums, sums), nan, rounded)
    return builder.select(brain, builder.trunc(brain16, ir.VectorType(i16, _LANES)), half)


@intrinsic
def tile(typingctx, ap, a_at, bp, b_at, steps, acc, acc_at, acc_ld, carry, out, out_at, out_ld, final, brain, fused):  # type: ignore[no-untyped-def]  # noqa: E501
    """One ``MR x NR`` micro-tile: sums of ``ap[a_at + k*MR + r] * bp[b_at + k*NR + j]``, k in order.

    ``ap``/``bp``: packed float32 panels (1-D, C-contiguous); the sums start at +0.0, or from
    float32 ``acc[acc_at + r*acc_ld + j]`` where ``carry`` (a later k block). ``final``: round
    them to 16 bits (bfloat16 where ``brain``, else float16) into uint16
    ``out[out_at + r*out_ld + j]``; otherwise store them in ``acc`` for the next k block.
    ``fused``: each step is one fused multiply-add, the same bits where every product is exact
    in float32 (always for float16; bfloat16 products that neither overflow nor fall below the
    float32 normal range); otherwise a multiply, then an add.
    """

    def codegen(context, builder, sig, args):  # type: ignore[no-untyped-def]
        tys = sig.args
        intp = context.get_value_type(types.intp)

        def pointer(array: int, at: int) -> Any:
            data = _data(context, builder, tys[array], args[array])
            return builder.gep(data, [_at(context, builder, tys[at], args[at])])

        a_ptr, b_ptr = pointer(0, 1), pointer(2, 3)
        acc_ptr, out_ptr = pointer(5, 6), pointer(9, 10)
        count = _at(context, builder, tys[4], args[4])
        acc_ld = _at(context, builder, tys[7], args[7])
        out_ld = _at(context, builder, tys[11], args[11])
        lanes = NR // _LANES

        def const(value: int) -> Any:
            return ir.Constant(intp, value)

        def place(ld: Any, r: int, v: int) -> Any:
            return builder.add(builder.mul(ld, const(r)), const(v * _LANES))

        sums = [[cgutils.alloca_once(builder, _VEC) for _ in range(lanes)] for _ in range(MR)]
        with builder.if_else(args[8]) as (carried, fresh):
            with carried:
                for r in range(MR):
                    for v in range(lanes):
                        loaded = builder.load(_vector_at(builder, acc_ptr, place(acc_ld, r, v), _VEC), align=4)
                        builder.store(loaded, sums[r][v])
            with fresh:
                for r in range(MR):
                    for v in range(lanes):
                        builder.store(ir.Constant(_VEC, [0.0] * _LANES), sums[r][v])
        fma = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(_VEC, [_VEC] * 3), "llvm.fma.v16f32"
        )

        def steps_of(fused: bool) -> None:
            with cgutils.for_range(builder, count) as loop:
                b_row = builder.gep(b_ptr, [builder.mul(loop.index, const(NR))])
                a_col = builder.gep(a_ptr, [builder.mul(loop.index, const(MR))])
                b = [
                    builder.load(_vector_at(builder, b_row, const(v * _LANES), _VEC), align=4)
                    for v in range(lanes)
                ]
                for r in range(MR):
                    factor = builder.load(builder.gep(a_col, [const(r)]))
                    spread = builder.shuffle_vector(
                        builder.insert_element(
                            ir.Constant(_VEC, ir.Undefined), factor, ir.Constant(ir.IntType(32), 0)
                        ),
                        ir.Constant(_VEC, ir.Undefined),
                        ir.Constant(ir.VectorType(ir.IntType(32), _LANES), [0] * _LANES),
                    )
                    for v in range(lanes):
                        total = builder.load(sums[r][v])
                        if fused:
                            total = builder.call(fma, [spread, b[v], total])
                        else:
                            total = builder.fadd(total, builder.fmul(spread, b[v]))
                        builder.store(total, sums[r][v])

        with builder.if_else(args[14]) as (fused, separate):
            with fused:
                steps_of(True)
            with separate:
                steps_of(False)
        with builder.if_else(args[12]) as (rounded, kept):
            with rounded:
                for r in range(MR):
                    for v in range(lanes):
                        bits = _narrow(builder, builder.load(sums[r][v]), args[13])
                        builder.store(bits, _vector_at(builder, out_ptr, place(out_ld, r, v), _V16), align=2)
            with kept:
                for r in range(MR):
                    for v in range(lanes):
                        target = _vector_at(builder, acc_ptr, place(acc_ld, r, v), _VEC)
                        builder.store(builder.load(sums[r][v]), target, align=4)
        return context.get_dummy_value()

    signature = types.none(
        ap, a_at, bp, b_at, steps, acc, acc_at, acc_ld, carry, out, out_at, out_ld, final, brain, fused
    )
    return signature, codegen


@intrinsic
def widen(typingctx, bits, brain):  # type: ignore[no-untyped-def]
    """float32 value of 16 bits: bfloat16 (``brain``, the top half of a float32) or float16."""

    def codegen(context, builder, sig, args):  # type: ignore[no-untyped-def]
        bits16 = builder.trunc(args[0], ir.IntType(16)) if sig.args[0].bitwidth > 16 else args[0]
        half = builder.fpext(builder.bitcast(bits16, ir.HalfType()), _F32)
        wide = builder.shl(builder.zext(bits16, ir.IntType(32)), ir.Constant(ir.IntType(32), 16))
        return builder.select(args[1], builder.bitcast(wide, _F32), half)

    return types.float32(bits, brain), codegen
