"""Chunk sizes for a blocked product, chosen from a memory budget per task.

`layout_of` gives a ``dot``'s or ``matmul``'s axes as Dask blockwise indices grouped into batch,
rows, contracted and columns (the product's description's `Labels`); `Layout.plan` turns a
budget into a chunk length per index, by the three steps of docs/dask.md, "Chunking". Pure
Python: nothing here imports Dask.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gpudot._core.descriptions import PRODUCTS, Index, Labels
from gpudot._tuning import MIN_TILE

__all__ = [
    "MIN_TILE",
    "Footprint",
    "Index",
    "Layout",
    "Plan",
    "even",
    "fill",
    "layout_of",
    "plan_blocks",
]


@dataclass(frozen=True)
class Footprint:
    """Bytes per element of each array a block task holds.

    Attributes
    ----------
    left, right : int
        Per element of a block of the first / second operand, casting copies included.
    partial : int
        Per element of a partial product (the accumulation dtype).
    """

    left: int
    right: int
    partial: int

    def task_bytes(self, batch: int, rows: int, inner: int, cols: int, split: bool) -> int:
        """Peak bytes of the largest task for blocks of these sides."""
        product = batch * (
            rows * inner * self.left + inner * cols * self.right + rows * cols * self.partial
        )
        summing = 3 * batch * rows * cols * self.partial if split else 0
        return max(product, summing)


@dataclass(frozen=True)
class Plan:
    """Block sides (in elements) along the batch, row, contracted and column groups of axes."""

    batch: int
    rows: int
    inner: int
    cols: int


def _largest(fits: Callable[[int], bool], upper: int) -> int:
    """Largest ``s`` in ``[1, upper]`` with ``fits(s)`` (1 if none): ``fits`` is monotone."""
    low, high = 1, max(upper, 1)
    while low < high:
        mid = (low + high + 1) // 2
        if fits(mid):
            low = mid
        else:
            high = mid - 1
    return low


def plan_blocks(
    batch: int, rows: int, inner: int, cols: int, footprint: Footprint, budget: int
) -> Plan:
    """Block sides for a ``(batch, rows, inner) @ (batch, inner, cols)`` product within ``budget``.

    Sizes are element counts of each group of axes (products of the axes' lengths). A block of
    one element per side is the floor: a budget smaller than that is exceeded, not refused.
    """
    rows1, inner1, cols1 = max(rows, 1), max(inner, 1), max(cols, 1)
    task = footprint.task_bytes
    if task(1, rows1, inner1, cols1, False) <= budget:
        per_entry = task(1, rows1, inner1, cols1, False)
        return Plan(min(max(batch, 1), max(budget // per_entry, 1)), rows1, inner1, cols1)

    def whole_inner(side: int) -> bool:
        return task(1, min(rows1, side), inner1, min(cols1, side), False) <= budget

    side = _largest(whole_inner, max(rows1, cols1))
    if whole_inner(side) and side >= min(MIN_TILE, max(rows1, cols1)):
        r = min(rows1, side)
        c = _largest(lambda s: task(1, r, inner1, s, False) <= budget, cols1)
        return Plan(1, r, inner1, c)

    def cube(side: int) -> bool:
        return task(1, min(rows1, side), min(inner1, side), min(cols1, side), True) <= budget

    side = _largest(cube, max(rows1, inner1, cols1))
    r, c = min(rows1, side), min(cols1, side)
    k = _largest(lambda s: task(1, r, s, c, s < inner1) <= budget, inner1)
    return Plan(1, r, k, c)


def fill(sizes: Sequence[int], elements: int) -> tuple[int, ...]:
    """Chunk lengths for axes ``sizes`` (innermost first) holding about ``elements`` per block.

    The innermost axis is chunked first; an outer axis gets more than one entry per chunk only
    once every inner axis is whole.
    """
    chunks = []
    left = max(elements, 1)
    for size in sizes:
        take = min(max(size, 1), left)
        chunks.append(take)
        left = max(left // max(size, 1), 1) if take == max(size, 1) else 1
    return tuple(chunks)


class Layout(Labels):
    """A product's blockwise indices (its description's `Labels`), planned into chunk sides."""

    def _group(self, indices: Index, sides: dict[str, int]) -> int:
        return math.prod(sides.get(i, 1) for i in indices)

    def task_bytes(self, sides: dict[str, int], footprint: Footprint) -> int:
        """Peak task bytes for blocks with these sides (elements per index)."""
        inner = self._group(self.inner, sides)
        return footprint.task_bytes(
            self._group(self.batch, sides),
            self._group(self.rows, sides),
            inner,
            self._group(self.cols, sides),
            inner < self._group(self.inner, self.sizes),
        )

    def plan(self, footprint: Footprint, budget: int) -> dict[str, int]:
        """Block side per index from the budget (see `gpudot.backends.dask._chunks`)."""
        plan = plan_blocks(
            self._group(self.batch, self.sizes),
            self._group(self.rows, self.sizes),
            self._group(self.inner, self.sizes),
            self._group(self.cols, self.sizes),
            footprint,
            budget,
        )
        sides: dict[str, int] = {}
        for group, elements in (
            (self.batch, plan.batch),
            (self.rows, plan.rows),
            (self.inner, plan.inner),
            (self.cols, plan.cols),
        ):
            sides.update(zip(group, fill([self.sizes[i] for i in group], elements), strict=True))
        return {index: even(self.sizes[index], side) for index, side in sides.items()}


def layout_of(func: str, shape1: tuple[int, ...], shape2: tuple[int, ...]) -> Layout:
    """Indices for ``func(x1, x2)``: the product description's labels of its axes."""
    return Layout(*PRODUCTS[func].labels(shape1, shape2))


def even(size: int, side: int) -> int:
    """The chunk length that splits ``size`` into as many chunks as ``side`` does, evenly."""
    if size <= side:
        return max(size, 1)
    return -(-size // -(-size // side))
