"""Products computed in blocks of the output, for products that do not fit in device memory at once.

A block is a range of output rows, output columns or the first batch axis; the contracted axis is
never split, so each output element is the same sum of the same products as in the untiled
product (bit-identical wherever the device computes one element the same way whatever the block
size: always for integers and bools, and for floats whenever the GEMM does not change its
summation order with the matrix size).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gpudot import _checks

__all__ = ["TileAxis", "block_slices", "plan", "split_until_fits"]

Product = Callable[[Any, Any], Any]


@dataclass(frozen=True)
class TileAxis:
    """An output axis that can be split, and the operand axes sliced with it (``None``: none)."""

    result_axis: int
    length: int
    x1_axis: int | None
    x2_axis: int | None


def _matmul_axes(s1: tuple[int, ...], s2: tuple[int, ...], nresult: int) -> list[TileAxis]:
    axes = []
    nbatch = nresult - (len(s1) >= 2) - (len(s2) >= 2)
    if nbatch > 0:
        length = max(s[-nbatch - 2] if len(s) - 2 == nbatch else 1 for s in (s1, s2))

        def batch_axis(s: tuple[int, ...]) -> int | None:
            return 0 if len(s) - 2 == nbatch and s[0] == length else None

        axes.append(TileAxis(0, length, batch_axis(s1), batch_axis(s2)))
    if len(s1) >= 2:
        axes.append(TileAxis(nresult - 1 - (len(s2) >= 2), s1[-2], len(s1) - 2, None))
    if len(s2) >= 2:
        axes.append(TileAxis(nresult - 1, s2[-1], None, len(s2) - 1))
    return axes


def plan(
    func: str, s1: tuple[int, ...], s2: tuple[int, ...]
) -> tuple[tuple[int, ...], list[TileAxis]]:
    """Result shape and splittable axes of ``func`` (``"dot"`` or ``"matmul"``) on these shapes."""
    if func == "matmul":
        shape = _checks.matmul_shape(s1, s2)
        return shape, _matmul_axes(s1, s2, len(shape))
    shape = _checks.dot_shape(s1, s2)
    axes = []
    if len(s1) >= 2:
        axes.append(TileAxis(0, s1[0], 0, None))
    if len(s2) >= 2:
        axes.append(TileAxis(len(shape) - 1, s2[-1], None, len(s2) - 1))
    return shape, axes


def block_slices(
    axes: Sequence[TileAxis], sizes: Sequence[int], ndims: tuple[int, int, int]
) -> Iterator[tuple[tuple[slice, ...], tuple[slice, ...], tuple[slice, ...]]]:
    """Index tuples (result, x1, x2) of every block: ``sizes[i]`` elements along ``axes[i]``."""
    starts = [range(0, axis.length, size) for axis, size in zip(axes, sizes, strict=True)]
    for corner in itertools.product(*starts):
        index = [[slice(None)] * n for n in ndims]
        for axis, start, size in zip(axes, corner, sizes, strict=True):
            part = slice(start, min(start + size, axis.length))
            for which, position in enumerate((axis.result_axis, axis.x1_axis, axis.x2_axis)):
                if position is not None:
                    index[which][position] = part
        yield tuple(index[0]), tuple(index[1]), tuple(index[2])


def split_until_fits(sizes: list[int]) -> bool:
    """Halve the largest block size in place; ``False`` when every block is one element already."""
    largest = max(range(len(sizes)), key=sizes.__getitem__, default=None)
    if largest is None or sizes[largest] == 1:
        return False
    sizes[largest] = (sizes[largest] + 1) // 2
    return True


def initial_sizes(
    axes: Sequence[TileAxis], block_bytes: Callable[[list[int]], int], budget: int
) -> list[int]:
    """Largest block sizes (halving the largest axis first) whose estimated bytes fit ``budget``."""
    sizes = [max(axis.length, 1) for axis in axes]
    while block_bytes(sizes) > budget and split_until_fits(sizes):
        pass
    return sizes


def operand_shape(x: Any) -> tuple[int, ...]:
    """Shape of an operand without copying it (device arrays, NumPy arrays, host data)."""
    shape = getattr(x, "shape", None)
    return tuple(shape) if shape is not None else np.shape(x)
