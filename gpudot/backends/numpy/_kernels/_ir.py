"""LLVM IR pieces the integer kernels' register tiles share (`_integer`, `_vnni`)."""

from __future__ import annotations

from typing import Any

from llvmlite import ir  # type: ignore[import-untyped]
from numba.core import cgutils

__all__ = ["accumulators", "element_pointer", "splat"]


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
