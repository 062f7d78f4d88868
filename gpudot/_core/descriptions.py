"""Each product described once: ``dot`` and ``matmul`` as data that every layer reads.

A `Description` holds a product's rules: its argument names, result shape and (m, n, k, batch)
sizes for the cost models (the shape rules of `gpudot._core.shapes`), dtype and ``out=`` rules
(`gpudot._core.checks`), the output axes that tiling may split, its axes as blockwise indices
for the Dask planner, the dtypes the exact routes sum in float32 in order, and how to call it on
a backend. The checks, the out-of-memory executor, ``"auto"``, the exact routes' cost rule, the
profiler and the Dask backend look a product up here (`PRODUCTS`) instead of comparing its name.
The rest of the family is reduced to these two.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

import numpy as np

from gpudot._core import checks as _checks
from gpudot._core import shapes as _shapes
from gpudot._core.shapes import Shape, Sizes
from gpudot._core.tiling import TileAxis

__all__ = [
    "DOT",
    "MATMUL",
    "PRODUCTS",
    "Description",
    "Index",
    "Labels",
    "Sizes",
]

#: Blockwise index names of an array's axes.
Index = tuple[str, ...]


class Labels(NamedTuple):
    """A product's axes as blockwise indices, grouped as batch, rows, contracted and columns.

    Groups list their indices innermost first; ``inner`` is empty when nothing is contracted
    (a 0-d operand of ``dot``). A broadcast length-1 batch axis gets an index of its own.
    """

    left: Index
    right: Index
    out: Index
    sizes: dict[str, int]
    batch: Index
    rows: Index
    inner: Index
    cols: Index


class Products(Protocol):
    """What `Description.call` needs of a backend."""

    def matmul(self, x1: Any, x2: Any, out: Any = None, dtype: Any = None) -> Any: ...
    def dot(self, a: Any, b: Any, out: Any = None) -> Any: ...


class OutCheck(Protocol):
    """A product's ``out=`` check (`gpudot._core.checks.check_matmul_out`, ``check_dot_out``)."""

    def __call__(
        self, shape: Shape, dtype: np.dtype, out: object, *, out_dtype: np.dtype | None = None
    ) -> None: ...


@dataclass(frozen=True)
class Description:
    """One product's rules (see the module docstring); `MATMUL` and `DOT` are the two.

    Attributes
    ----------
    name : str
        The NumPy function's name, as errors and records spell it.
    arg_names : tuple of str
        Its operands' names in NumPy's signature, as errors name them.
    result_shape : callable
        ``(shape1, shape2) -> shape``; raises NumPy's `ValueError` where there is none.
    result_dtype : callable
        ``(dtype1, dtype2, dtype) -> dtype``: the dtype computed in (``dtype`` is matmul's
        ``dtype=``; ``dot`` has none and ignores it).
    check_out : callable
        Raises NumPy's error for an ``out=`` that cannot take the result.
    sizes : callable
        ``(shape1, shape2) -> (m, n, k, batch)``, or ``None`` when the shapes are not a matrix
        product (a 0-d operand, mismatched or unbroadcastable shapes).
    tile_axes : callable
        ``(shape1, shape2, result_ndim) -> [TileAxis]``: the output axes tiling may split.
    labels : callable
        ``(shape1, shape2) -> Labels`` for shapes that multiply.
    half_loops : frozenset of str
        Names of the dtypes whose NumPy loop sums in float32 in k order (the exact routes'
        ordered half family); other floats go to BLAS.
    call : callable
        ``(backend, x1, x2, out, dtype) -> result``: the product on ``backend``.
    """

    name: str
    arg_names: tuple[str, str]
    result_shape: Callable[[Shape, Shape], Shape]
    result_dtype: Callable[[np.dtype, np.dtype, object], np.dtype]
    check_out: OutCheck
    sizes: Callable[[Shape, Shape], Sizes | None]
    tile_axes: Callable[[Shape, Shape, int], list[TileAxis]]
    labels: Callable[[Shape, Shape], Labels]
    half_loops: frozenset[str]
    call: Callable[[Products, Any, Any, Any, Any], Any]

    def check_dtypes(
        self,
        dtypes: tuple[np.dtype, np.dtype],
        supported: Collection[np.dtype] | None,
        backend: str,
    ) -> None:
        """`gpudot._core.checks.check_dtypes` for this product's operands."""
        _checks.check_dtypes(self.name, dtypes, supported, backend, self.arg_names)

    def tiling(self, shape1: Shape, shape2: Shape) -> tuple[Shape, list[TileAxis]]:
        """Result shape and splittable axes of this product on operands of these shapes."""
        shape = self.result_shape(shape1, shape2)
        return shape, self.tile_axes(shape1, shape2, len(shape))


# matmul: (n?,k),(k,m?)->(n?,m?) with broadcast loop (batch) dimensions in front.


def _matmul_tile_axes(s1: Shape, s2: Shape, nresult: int) -> list[TileAxis]:
    axes = []
    nbatch = nresult - (len(s1) >= 2) - (len(s2) >= 2)
    if nbatch > 0:
        length = max(s[-nbatch - 2] if len(s) - 2 == nbatch else 1 for s in (s1, s2))

        def batch_axis(s: Shape) -> int | None:
            return 0 if len(s) - 2 == nbatch and s[0] == length else None

        axes.append(TileAxis(0, length, batch_axis(s1), batch_axis(s2)))
    if len(s1) >= 2:
        axes.append(TileAxis(nresult - 1 - (len(s2) >= 2), s1[-2], len(s1) - 2, None))
    if len(s2) >= 2:
        axes.append(TileAxis(nresult - 1, s2[-1], None, len(s2) - 1))
    return axes


def _matmul_labels(shape1: Shape, shape2: Shape) -> Labels:
    k = "k"
    sizes: dict[str, int] = {k: shape1[-1]}
    batch_shape = _shapes.broadcast_batch(shape1[:-2], shape2[:-2])
    batch = tuple(f"batch{i}" for i in range(len(batch_shape)))
    sizes.update(zip(batch, batch_shape, strict=True))

    def batch_indices(shape: Shape, name: str) -> Index:
        own = shape[:-2]
        offset = len(batch_shape) - len(own)
        indices = []
        for axis, side in enumerate(own):
            index = batch[offset + axis]
            if side == 1 and sizes[index] != 1:
                index = f"{name}_{axis}"  # broadcast: contracted away as a single block
                sizes[index] = 1
            indices.append(index)
        return tuple(indices)

    rows = ("m",) if len(shape1) >= 2 else ()
    cols = ("n",) if len(shape2) >= 2 else ()
    if rows:
        sizes["m"] = shape1[-2]
    if cols:
        sizes["n"] = shape2[-1]
    ind1 = (*batch_indices(shape1, "x1"), *rows, k)
    ind2 = (*batch_indices(shape2, "x2"), k, *cols)
    return Labels(ind1, ind2, batch + rows + cols, sizes, batch[::-1], rows, (k,), cols)


def _call_matmul(backend: Products, x1: Any, x2: Any, out: Any, dtype: Any) -> Any:
    return backend.matmul(x1, x2, out, dtype)


# dot: tensordot over the last axis of a and the second-to-last of b (its only axis when 1-D);
# a 0-d operand multiplies elementwise.


def _dot_dtype(dtype1: np.dtype, dtype2: np.dtype, dtype: object = None) -> np.dtype:
    """NumPy's promotion of the operands' dtypes (``dot`` takes no ``dtype=``)."""
    return np.result_type(dtype1, dtype2)


def _dot_tile_axes(s1: Shape, s2: Shape, nresult: int) -> list[TileAxis]:
    axes = []
    if len(s1) >= 2:
        axes.append(TileAxis(0, s1[0], 0, None))
    if len(s2) >= 2:
        axes.append(TileAxis(nresult - 1, s2[-1], None, len(s2) - 1))
    return axes


def _dot_labels(shape1: Shape, shape2: Shape) -> Labels:
    sizes: dict[str, int] = {}
    if not shape1 or not shape2:
        ind1 = tuple(f"a{i}" for i in range(len(shape1)))
        ind2 = tuple(f"b{i}" for i in range(len(shape2)))
        sizes.update(zip(ind1, shape1, strict=True))
        sizes.update(zip(ind2, shape2, strict=True))
        free = ind1 or ind2
        return Labels(ind1, ind2, free, sizes, (), (), (), free[::-1])
    k = "k"
    sizes[k] = shape1[-1]
    rows = tuple(f"a{i}" for i in range(len(shape1) - 1))
    lead = tuple(f"b{i}" for i in range(len(shape2) - 2))
    cols = (*lead, "n") if len(shape2) >= 2 else ()
    sizes.update(zip(rows, shape1[:-1], strict=True))
    sizes.update(zip(cols, (*shape2[:-2], shape2[-1]) if cols else (), strict=True))
    ind2 = (*lead, k, "n") if cols else (k,)
    return Labels((*rows, k), ind2, rows + cols, sizes, (), rows[::-1], (k,), cols[::-1])


def _call_dot(backend: Products, a: Any, b: Any, out: Any, dtype: Any) -> Any:
    return backend.dot(a, b, out)


MATMUL = Description(
    name="matmul",
    arg_names=("x1", "x2"),
    result_shape=_shapes.matmul_shape,
    result_dtype=_checks.matmul_dtype,
    check_out=_checks.check_matmul_out,
    sizes=_shapes.matmul_sizes,
    tile_axes=_matmul_tile_axes,
    labels=_matmul_labels,
    half_loops=frozenset({"float16"}),  # bfloat16's matmul is sgemm
    call=_call_matmul,
)

DOT = Description(
    name="dot",
    arg_names=("a", "b"),
    result_shape=_shapes.dot_shape,
    result_dtype=_dot_dtype,
    check_out=_checks.check_dot_out,
    sizes=_shapes.dot_sizes,
    tile_axes=_dot_tile_axes,
    labels=_dot_labels,
    half_loops=frozenset({"float16", "bfloat16"}),  # ml_dtypes' bfloat16 dot sums like float16
    call=_call_dot,
)

#: The descriptions by product name.
PRODUCTS: dict[str, Description] = {product.name: product for product in (MATMUL, DOT)}
