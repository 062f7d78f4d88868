"""LLVM-level pieces of the half-precision kernels (numba intrinsics); numba must be installed.

`tile` is the register-blocked micro-kernel: ``MR x NR`` float32 sums held in ``MR * NR / 16``
vector registers (16 floats each) while k runs, so no sum is loaded or stored inside the k loop.
It is written as LLVM IR because numba has no vector type and would keep an accumulator array in
memory. A step is a fused multiply-add where every product is exact in float32 (then it equals
the C loops' multiply-then-add of NumPy's float16 matmul and of ml_dtypes' ``dot``), else a
multiply, then an add, as those loops do (a bfloat16 product can overflow or underflow float32).
The fused form runs at the float32 FMA peak, the separate one at about three quarters of it
(docs/fast-paths.md). The inner loop compiles to 24 ``vfmadd...ps %zmm`` (or 24 ``vmulps``
and 24 ``vaddps``), 3 vector loads of B and 8 broadcasts of A per k step, with no accumulator
load or store. `widen` turns float16 or bfloat16 bits into float32 exactly.
"""

from __future__ import annotations

from typing import Any

from llvmlite import ir  # type: ignore[import-untyped]
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from gpudot._tuning import HALF_TILE

__all__ = ["MR", "NR", "tile", "widen"]

_LANES = 16
#: Rows (one broadcast factor of a packed A panel each) and columns (whole vectors of 16 float32)
#: of a micro-tile.
MR, NR = HALF_TILE
assert NR % _LANES == 0
_F32 = ir.FloatType()
_VEC = ir.VectorType(_F32, _LANES)
_V16 = ir.VectorType(ir.IntType(16), _LANES)


def _data(context: Any, builder: Any, aty: Any, value: Any) -> Any:
    """The data pointer (float*) of a numba array value."""
    return context.make_array(aty)(context, builder, value).data


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


def _splat(builder: Any, value: Any) -> Any:
    """A float32 broadcast to all 16 lanes."""
    lane0 = ir.Constant(ir.IntType(32), 0)
    one = builder.insert_element(ir.Constant(_VEC, ir.Undefined), value, lane0)
    zeros = ir.Constant(ir.VectorType(ir.IntType(32), _LANES), [0] * _LANES)
    return builder.shuffle_vector(one, ir.Constant(_VEC, ir.Undefined), zeros)


def _tile(typingctx, ap, bp, acc, out, at, flags):  # type: ignore[no-untyped-def]
    """One ``MR x NR`` micro-tile: sums of ``ap[a + k*MR + r] * bp[b + k*NR + j]``, k in order.

    ``ap``/``bp``: packed float32 panels, ``acc``: float32 carried sums, ``out``: uint16 result
    bits (all 1-D, C-contiguous). ``at`` = (a, b, steps, acc offset, acc row stride, out
    offset, out row stride); ``flags`` = (carry, final, brain, fused). The sums start at +0.0,
    or where ``carry`` (a later k block) from ``acc``. ``final``: round them to 16 bits
    (bfloat16 where ``brain``, else float16) into ``out``; otherwise store them in ``acc`` for
    the next k block. ``fused``: each step is one fused multiply-add, the same bits where every
    product is exact in float32 (always for float16; bfloat16 products that neither overflow nor
    fall below the float32 normal range); otherwise a multiply, then an add.
    """

    def codegen(context, builder, sig, args):  # type: ignore[no-untyped-def]
        intp = context.get_value_type(types.intp)
        index = [
            context.cast(builder, builder.extract_value(args[4], i), ty, types.intp)
            for i, ty in enumerate(sig.args[4])
        ]
        carry, final, brain, fused = (builder.extract_value(args[5], i) for i in range(4))
        a_ptr, b_ptr, acc_ptr, out_ptr = (
            builder.gep(_data(context, builder, sig.args[i], args[i]), [offset])
            for i, offset in enumerate((index[0], index[1], index[3], index[5]))
        )
        steps, acc_ld, out_ld = index[2], index[4], index[6]
        lanes = NR // _LANES

        def const(value: int) -> Any:
            return ir.Constant(intp, value)

        def vector(base: Any, ld: Any, r: int, v: int, of: Any) -> Any:
            return _vector_at(
                builder, base, builder.add(builder.mul(ld, const(r)), const(v * _LANES)), of
            )

        cells = [(r, v) for r in range(MR) for v in range(lanes)]
        sums = {cell: cgutils.alloca_once(builder, _VEC) for cell in cells}  # type: ignore[no-untyped-call]
        with builder.if_else(carry) as (carried, fresh):
            with carried:
                for r, v in cells:
                    loaded = builder.load(vector(acc_ptr, acc_ld, r, v, _VEC), align=4)
                    builder.store(loaded, sums[r, v])
            with fresh:
                for cell in cells:
                    builder.store(ir.Constant(_VEC, [0.0] * _LANES), sums[cell])
        fma = cgutils.get_or_insert_function(  # type: ignore[no-untyped-call]
            builder.module, ir.FunctionType(_VEC, [_VEC] * 3), "llvm.fma.v16f32"
        )

        def k_loop(fused: bool) -> None:
            with cgutils.for_range(builder, steps) as loop:
                b_row = builder.gep(b_ptr, [builder.mul(loop.index, const(NR))])
                a_col = builder.gep(a_ptr, [builder.mul(loop.index, const(MR))])
                b = [
                    builder.load(vector(b_row, const(0), 0, v, _VEC), align=4) for v in range(lanes)
                ]
                for r in range(MR):
                    factor = _splat(builder, builder.load(builder.gep(a_col, [const(r)])))
                    for v in range(lanes):
                        total = builder.load(sums[r, v])
                        if fused:
                            total = builder.call(fma, [factor, b[v], total])
                        else:
                            total = builder.fadd(total, builder.fmul(factor, b[v]))
                        builder.store(total, sums[r, v])

        with builder.if_else(fused) as (one_rounding, two_roundings):
            with one_rounding:
                k_loop(True)
            with two_roundings:
                k_loop(False)
        with builder.if_else(final) as (rounded, kept):
            with rounded:
                for r, v in cells:
                    bits = _narrow(builder, builder.load(sums[r, v]), brain)
                    builder.store(bits, vector(out_ptr, out_ld, r, v, _V16), align=2)
            with kept:
                for r, v in cells:
                    builder.store(
                        builder.load(sums[r, v]), vector(acc_ptr, acc_ld, r, v, _VEC), align=4
                    )
        return context.get_dummy_value()

    return types.none(ap, bp, acc, out, at, flags), codegen


#: numba calls it as ``tile(ap, bp, acc, out, at, flags)`` (typed here as Any: mypy would count
#: the typing context as an argument).
tile: Any = intrinsic(_tile)


def _widen(typingctx, bits, brain):  # type: ignore[no-untyped-def]
    """float32 value of 16 bits: bfloat16 (``brain``, the top half of a float32) or float16."""

    def codegen(context, builder, sig, args):  # type: ignore[no-untyped-def]
        bits16 = builder.trunc(args[0], ir.IntType(16)) if sig.args[0].bitwidth > 16 else args[0]
        half = builder.fpext(builder.bitcast(bits16, ir.HalfType()), _F32)
        wide = builder.shl(builder.zext(bits16, ir.IntType(32)), ir.Constant(ir.IntType(32), 16))
        return builder.select(args[1], builder.bitcast(wide, _F32), half)

    return types.float32(bits, brain), codegen


#: ``widen(bits, brain)``.
widen: Any = intrinsic(_widen)
