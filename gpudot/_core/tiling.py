"""Products computed in blocks of the output, for products that do not fit in device memory.

The contracted axis is never split, so each element is the same sum as untiled (docs/gpus.md,
"Out of memory"). Which axes a product may split is its description's
(`gpudot._core.descriptions.Description.tiling`); this module cuts and sizes the blocks. It also
sizes the calls an integer product is split into when a kernel indexes with 32-bit ``int``
(`index_blocks`, used by `gpudot._core.algorithms`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "TileAxis",
    "block_slices",
    "index_blocks",
    "initial_sizes",
    "operand_shape",
    "split_until_fits",
]


@dataclass(frozen=True)
class TileAxis:
    """An output axis that can be split, and the operand axes sliced with it (``None``: none)."""

    result_axis: int
    length: int
    x1_axis: int | None
    x2_axis: int | None


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


def index_blocks(m: int, n: int, k: int, limit: int) -> tuple[int, int, int]:
    """Block sizes (rows, columns, contracted) for a (m, k) @ (k, n) product computed in calls
    whose three matrices (rows·k, k·columns, rows·columns elements) each stay below ``limit``.

    The contracted axis is split only when ``k`` alone reaches the limit: for integers and bools
    the partial products then add up (wrapping, or OR-ing) to NumPy's bits in any order.
    """
    depth = min(k, limit - 1)
    rows = max(1, min(m, (limit - 1) // max(depth, 1)))
    cols = max(1, min(n, (limit - 1) // max(depth, 1)))
    while rows * cols >= limit:
        if rows >= cols:
            rows = (rows + 1) // 2
        else:
            cols = (cols + 1) // 2
    return rows, cols, depth
