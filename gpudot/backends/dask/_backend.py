"""The Dask backend: lazy blocked products whose blocks run on gpudot's own backends.

Every error NumPy would raise is raised at call time; each block runs on the backend that owns
the chunk type (``_meta``); partials of a split contracted axis are summed in the accumulation
dtype. Chunk sizes come from `gpudot.backends.dask._chunks`; docs/dask.md describes the backend.
"""

from __future__ import annotations

import functools
import importlib
import math
import operator
import sys
from types import ModuleType
from typing import Any

import numpy as np

from gpudot._config.precision import current_precision, use_precision
from gpudot._config.transfer import check_transfer
from gpudot._core.descriptions import DOT, MATMUL, PRODUCTS, Description
from gpudot.backends._base import Backend
from gpudot.backends.dask._chunks import Footprint, Index, Layout, layout_of

__all__ = ["DASK_INSTALL_HINT", "DaskBackend"]

DASK_INSTALL_HINT = 'pip install "gpudot[dask]"'


class DaskBackend(Backend):
    """Lazy, chunked products with Dask; each block runs on the backend of its chunk type.

    Parameters
    ----------
    budget : int or str, optional
        Peak bytes one block task may hold (e.g. ``"64MiB"``); default: Dask's
        ``array.chunk-size`` setting (128 MiB unless configured), read at each call.
    """

    name = "dask"
    memory_layout = False

    def __init__(self, budget: int | str | None = None):
        self._budget = budget

    @property
    def budget(self) -> int:
        """The per-task memory budget in bytes."""
        import dask
        from dask.utils import parse_bytes

        budget = self._budget if self._budget is not None else dask.config.get("array.chunk-size")
        return int(parse_bytes(budget)) if isinstance(budget, str) else int(budget)

    @property
    def device(self) -> str:
        return "dask"

    @property
    def xp(self) -> ModuleType:
        return importlib.import_module("dask.array")

    def unavailable_reason(self) -> str | None:
        try:
            importlib.import_module("dask.array")
        except ImportError as error:
            return f"Dask is not installed ({error}); install it with {DASK_INSTALL_HINT}"
        return None

    def locate(self, x: object) -> str | None:
        da = sys.modules.get("dask.array")
        return "dask" if da is not None and isinstance(x, da.Array) else None

    def from_host(self, x: np.ndarray) -> Any:
        chunks = self.xp.core.normalize_chunks("auto", x.shape, limit=self.budget, dtype=x.dtype)
        return self.xp.from_array(x, chunks=chunks)

    def from_foreign(self, x: Any, source: Backend) -> Any:
        return self.from_host(x)  # chunks stay on source's device: from_array keeps the type

    def place_like(self, like: Any, result: Any, source: Backend) -> Any:
        """``result`` as a Dask array: NumPy's and CuPy's arrays (anything with NumPy's
        ``__array_function__``, which Dask wraps) where they are, others on the host first."""
        if not hasattr(result, "__array_function__"):
            result = source.to_numpy(result)
        return self.from_host(result)

    def asarray(self, x: object, argname: str = "x") -> Any:
        """``x`` as a Dask array; NumPy and CuPy arrays become its chunks where they are."""
        if self.owns(x):
            return x
        return self.from_host(_operand(x, argname))

    def to_numpy(self, x: Any) -> np.ndarray:
        """Compute ``x`` (with the scheduler in effect) and copy the result to the host."""
        if self.owns(x):
            x = x.compute()
        owner = self.dispatch.owner_of(x)
        return np.asarray(x) if owner is None else owner.to_numpy(x)

    def matmul(self, x1: Any, x2: Any, out: Any = None, dtype: Any = None) -> Any:
        a, b = _operand(x1, "x1"), _operand(x2, "x2")
        MATMUL.check_dtypes((a.dtype, b.dtype), None, self.name)  # NumPy: dtypes first
        loop = MATMUL.result_dtype(a.dtype, b.dtype, dtype)
        shape = MATMUL.result_shape(_known_shape(a, "x1"), _known_shape(b, "x2"))
        return self._contract(MATMUL, a, b, loop, dtype, shape, out)

    def dot(self, a: Any, b: Any, out: Any = None) -> Any:
        a, b = _operand(a, "a"), _operand(b, "b")
        shape = DOT.result_shape(_known_shape(a, "a"), _known_shape(b, "b"))
        DOT.check_dtypes((a.dtype, b.dtype), None, self.name)
        loop = DOT.result_dtype(a.dtype, b.dtype, None)
        return self._contract(DOT, a, b, loop, None, shape, out)

    def _contract(
        self,
        func: Description,
        a: Any,
        b: Any,
        loop: np.dtype,
        dtype: Any,
        shape: tuple[int, ...],
        out: Any,
    ) -> Any:
        """Validate, chunk and build the lazy product; write it to ``out`` if given."""
        block, a, b = _block_backend(func.arg_names, a, b)
        if block.supported_dtypes is not None:
            func.check_dtypes((a.dtype, b.dtype), block.supported_dtypes, block.name)
        out_owner = None
        if out is not None:
            out_owner = self.check_out(out)
            func.check_out(shape, loop, out)
        layout = layout_of(func.name, a.shape, b.shape)
        partial = np.dtype(np.float32) if loop == np.float16 else loop
        footprint = Footprint(
            left=_bytes_per_element(a.dtype, loop, partial),
            right=_bytes_per_element(b.dtype, loop, partial),
            partial=partial.itemsize,
        )
        a, b = self._chunked(a, b, layout, footprint)
        result = _blocked_product(func.name, a, b, layout, block, loop, dtype, partial)
        return self.deliver(result, out, out_owner)

    def deliver(self, result: Any, out: Any, out_owner: Backend | None) -> Any:
        if out is not None and out_owner is self:
            out[...] = result.astype(out.dtype)
            return out
        return super().deliver(result, out, out_owner)

    def _chunked(self, a: Any, b: Any, layout: Layout, footprint: Footprint) -> tuple[Any, Any]:
        """Both operands as Dask arrays whose chunks align and fit the budget."""
        budget = self.budget
        current = {**_chunk_sides(a, layout.left), **_chunk_sides(b, layout.right)}
        if _aligned(a, b, layout) and layout.task_bytes(current, footprint) <= budget:
            return self._wrapped(a, None), self._wrapped(b, None)
        sides = layout.plan(footprint, budget)
        return (
            self._wrapped(a, tuple(sides.get(i, 1) for i in layout.left)),
            self._wrapped(b, tuple(sides.get(i, 1) for i in layout.right)),
        )

    def _wrapped(self, x: Any, chunks: tuple[int, ...] | None) -> Any:
        """``x`` as a Dask array with ``chunks`` (``None``: its own chunks, or one chunk)."""
        if self.owns(x):
            if chunks is None or x.chunks == self.xp.core.normalize_chunks(chunks, x.shape):
                return x
            return x.rechunk(chunks)
        return self.xp.from_array(x, chunks=x.shape if chunks is None else chunks)


def _operand(x: object, argname: str) -> Any:
    """``x`` as an array: Dask, NumPy and CuPy arrays as they are, other data as the NumPy
    backend takes it (another library's array through DLPack)."""
    dispatch = Backend.dispatch
    return x if dispatch.owner_of(x) is not None else dispatch.lookup("numpy").asarray(x, argname)


def _known_shape(x: Any, argname: str) -> tuple[int, ...]:
    shape = tuple(x.shape)
    if any(isinstance(side, float) and math.isnan(side) for side in shape):
        raise ValueError(
            f"{argname} is a Dask array of unknown shape {shape}; call "
            f"{argname}.compute_chunk_sizes() first so the product can be checked and chunked"
        )
    return shape


def _bytes_per_element(dtype: np.dtype, loop: np.dtype, partial: np.dtype) -> int:
    """Bytes a task holds per operand element: the block, plus its casting copies."""
    size = dtype.itemsize
    if dtype != loop:
        size += loop.itemsize
    if partial != loop:
        size += partial.itemsize
    return size


def _chunk_type_backend(x: Any) -> Backend:
    """The backend owning ``x``'s chunks (its ``_meta`` for a Dask array)."""
    dispatch = Backend.dispatch
    chunk = getattr(x, "_meta", x) if dispatch.lookup("dask").owns(x) else x
    owner = dispatch.owner_of(chunk)
    if owner is None:
        raise TypeError(f"gpudot has no backend for array chunks of type {type(chunk).__name__}")
    return owner


def _block_backend(names: tuple[str, str], a: Any, b: Any) -> tuple[Backend, Any, Any]:
    """The backend the blocks run on, and both operands with chunks it owns.

    Chunks of different libraries (NumPy and CuPy) meet on the device one, under the transfer
    policy: the host operand's chunks are copied there, block by block.
    """
    left, right = _chunk_type_backend(a), _chunk_type_backend(b)
    if type(left) is type(right):
        return left, a, b
    target = right if left.device == "cpu" else left
    moved = 0 if target is right else 1
    source = (left, right)[moved]
    check_transfer(names[moved], source.device, target.device)
    operands = [a, b]
    operands[moved] = _moved(operands[moved], source, target)
    return target, operands[0], operands[1]


def _moved(x: Any, source: Backend, target: Backend) -> Any:
    """``x`` with its chunks copied from ``source``'s device to ``target``'s, lazily."""
    da = Backend.dispatch.lookup("dask").xp
    if not isinstance(x, da.Array):
        return target.from_foreign(x, source)
    meta = target.from_host(np.empty((0,) * x.ndim, dtype=x.dtype))
    return x.map_blocks(_move_block, _kind(source), _kind(target), dtype=x.dtype, meta=meta)


def _kind(backend: Backend) -> str:
    """Registry name of ``backend`` without a device index: a worker uses its current device."""
    return backend.name.partition(":")[0]


def _move_block(block: Any, source: str, target: str) -> Any:
    lookup = Backend.dispatch.lookup
    return lookup(target).from_foreign(block, lookup(source))


def _chunk_sides(x: Any, indices: Index) -> dict[str, int]:
    """Largest chunk per index of ``x`` (its whole length if it is not a Dask array yet)."""
    sides = getattr(x, "chunksize", None) or x.shape
    return dict(zip(indices, sides, strict=True))


def _aligned(a: Any, b: Any, layout: Layout) -> bool:
    """Whether the chunks of ``a`` and ``b`` agree on every index they share."""
    chunks1 = dict(zip(layout.left, getattr(a, "chunks", ((s,) for s in a.shape)), strict=True))
    chunks2 = dict(zip(layout.right, getattr(b, "chunks", ((s,) for s in b.shape)), strict=True))
    return all(chunks1[i] == chunks2[i] for i in chunks1.keys() & chunks2.keys())


def _blocked_product(
    func: str,
    a: Any,
    b: Any,
    layout: Layout,
    block: Backend,
    loop: np.dtype,
    dtype: Any,
    partial: np.dtype,
) -> Any:
    """The lazy product: one block product per block pair, partials summed if ``k`` is split."""
    da = importlib.import_module("dask.array")
    meta_from_array = da.utils.meta_from_array
    split = any(len(a.chunks[layout.left.index(k)]) > 1 for k in layout.inner)
    kind, precision = _kind(block), current_precision()
    ndim = len(layout.out)

    def blocks(
        indices: Index, token: str, cast: Any, partial: np.dtype | None, **extra: Any
    ) -> Any:
        return da.blockwise(
            _block_product,
            indices,
            a,
            layout.left,
            b,
            layout.right,
            op=func,
            backend=kind,
            cast=cast,
            precision=precision,
            partial=partial,
            meta=meta_from_array(a, ndim=len(indices), dtype=loop if partial is None else partial),
            concatenate=True,
            token=token,
            **extra,
        )

    if not split:
        return blocks(layout.out, f"gpudot-{func}", dtype, None)
    partials = blocks(
        (*layout.inner, *layout.out),
        f"gpudot-{func}-partial",
        None if dtype is None else loop,
        partial,
        adjust_chunks=dict.fromkeys(layout.inner, 1),
    )
    return da.reduction(
        partials,
        _keep,
        functools.partial(_total, result=loop),
        combine=_total,
        axis=0,
        keepdims=False,
        dtype=loop,
        split_every=2,
        concatenate=False,
        meta=meta_from_array(a, ndim=ndim, dtype=loop),
        name=f"gpudot-{func}-sum",
    )


def _block_product(
    x: Any,
    y: Any,
    *,
    op: str,
    backend: str,
    cast: Any,
    precision: str,
    partial: np.dtype | None,
) -> Any:
    """One block product on the chunk type's backend, computed in ``cast`` if given (matmul's
    ``dtype=``); with ``partial``, a partial product in that dtype with a leading axis."""
    runner = Backend.dispatch.lookup(backend)
    with use_precision(precision):
        if partial is None:
            return PRODUCTS[op].call(runner, x, y, None, cast)
        loop = np.result_type(x.dtype, y.dtype) if cast is None else np.dtype(cast)
        if partial != loop:
            x, y = x.astype(loop).astype(partial), y.astype(loop).astype(partial)
            cast = None
        product = PRODUCTS[op].call(runner, x, y, None, cast)
    return product[None]


def _keep(x: Any, axis: object, keepdims: bool) -> Any:
    return x


def _total(blocks: list[Any], axis: object, keepdims: bool, result: np.dtype | None = None) -> Any:
    """Sum partial products: wraps for integers, OR for bools; the last step casts once."""
    total = functools.reduce(operator.add, blocks)
    if keepdims:
        return total
    total = total[0]
    return total if result is None or total.dtype == result else total.astype(result)
