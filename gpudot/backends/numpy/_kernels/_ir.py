"""LLVM IR pieces the integer kernels share (`_integer`, `_vnni`): register-tile building blocks
and the atomic task counter their threads take work from."""

from __future__ import annotations

from typing import Any

from llvmlite import ir  # type: ignore[import-untyped]
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["accumulators", "element_pointer", "next_task", "splat"]


def element_pointer(builder: ir.IRBuilder, array: Any, row: Any, col: Any) -> Any:
    """Address of ``array[row, col]`` for a C-contiguous 2-D numba array struct."""
    columns = builder.extract_value(array.shape, 1)
    return builder.gep(array.data, [builder.add(builder.mul(row, columns), col)])


def accumulators(builder: ir.IRBuilder, vector: ir.VectorType, rows: int, vectors: int) -> Any:
    """``rows`` x ``vectors`` zeroed ``vector`` slots (allocas LLVM promotes to registers)."""
    zero = ir.Constant(vector, None)
    slot = cgutils.alloca_once_value
    return [
        [slot(builder, zero) for _ in range(vectors)]  # type: ignore[no-untyped-call]
        for _ in range(rows)
    ]


def splat(builder: ir.IRBuilder, scalar: Any, vector: ir.VectorType) -> Any:
    """``scalar`` in every lane of a ``vector``."""
    undef = ir.Constant(vector, ir.Undefined)
    i32 = ir.IntType(32)
    first = builder.insert_element(undef, scalar, ir.Constant(i32, 0))
    return builder.shuffle_vector(first, undef, ir.Constant(ir.VectorType(i32, vector.count), None))


@intrinsic
def next_task(typingctx: Any, counters: Any, index: Any):  # type: ignore[no-untyped-def]
    """``counters[index] += 1`` as one atomic step; returns the value before (a task number no
    other thread gets)."""
    sig = types.int64(counters, index)

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        array = context.make_array(signature.args[0])(context, builder, args[0])
        pointer = builder.gep(array.data, [args[1]])
        return builder.atomic_rmw("add", pointer, ir.Constant(ir.IntType(64), 1), "seq_cst")

    return sig, codegen
