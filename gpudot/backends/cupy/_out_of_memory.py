"""The CUDA backend's out-of-memory executor: free CuPy's pools, retry, then the policy in effect
(`gpudot._config.out_of_memory`: raise, tile with `gpudot._core.tiling`, or the host). Every form of
out of memory counts (`gpudot.backends.cupy._backend.CupyBackend.is_out_of_memory`); any other error
is raised as it is. Inputs and ``out=`` are never modified by a failed attempt.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from types import ModuleType
from typing import Any, Protocol

import numpy as np

from gpudot._config.out_of_memory import get_oom_policy
from gpudot._config.transfer import use_transfer_policy
from gpudot._core import tiling as _tiling
from gpudot._core.descriptions import Description
from gpudot._errors import DeviceMemoryError, GpudotFallbackWarning
from gpudot._tuning import TILE_BUDGET
from gpudot._user_warnings import warn
from gpudot.backends._base import Backend, Dispatch

__all__ = ["run_with_memory_policy"]

Product = Callable[[Any, Any, Any], Any]


class Device(Protocol):
    """What the executor needs of `gpudot.backends.cupy._backend.CupyBackend`."""

    @property
    def device(self) -> str: ...
    @property
    def xp(self) -> ModuleType: ...
    @property
    def dispatch(self) -> Dispatch: ...
    def is_out_of_memory(self, error: BaseException) -> bool: ...
    def free_cached_memory(self) -> None: ...
    def memory_info(self) -> tuple[int, int]: ...
    def fill_from_host(self, out: Any, host: np.ndarray) -> None: ...
    def context(self) -> AbstractContextManager[object]: ...
    def check_out(self, out: object) -> Backend: ...
    def deliver(self, result: Any, out: Any, out_owner: Backend | None) -> Any: ...


def _dtype(x: Any) -> np.dtype:
    dtype = getattr(x, "dtype", None)
    return np.dtype(dtype) if dtype is not None else np.asarray(x).dtype


def _result(func: Description, x1: Any, x2: Any, dtype: Any) -> tuple[tuple[int, ...], np.dtype]:
    shape = func.result_shape(_tiling.operand_shape(x1), _tiling.operand_shape(x2))
    return shape, func.result_dtype(_dtype(x1), _dtype(x2), dtype)


def _check_out(func: Description, x1: Any, x2: Any, out: Any, dtype: Any) -> None:
    """Raise NumPy's error for a bad ``out=`` (the failed attempt may not have checked it)."""
    if out is None:
        return
    shape, result_dtype = _result(func, x1, x2, dtype)
    func.check_out(shape, result_dtype, out)


def _describe(
    backend: Device, func: Description, x1: Any, x2: Any, dtype: Any, failure: BaseException
) -> str:
    shape, result_dtype = _result(func, x1, x2, dtype)
    nbytes = [int(np.prod(_tiling.operand_shape(x))) * _dtype(x).itemsize for x in (x1, x2)]
    needed = sum(nbytes) + int(np.prod(shape)) * result_dtype.itemsize
    free, total = backend.memory_info()
    return (
        f"{func.name} on {backend.device} ran out of device memory: "
        f"{_dtype(x1)} {_tiling.operand_shape(x1)} and {_dtype(x2)} {_tiling.operand_shape(x2)} "
        f"-> {result_dtype} {shape} needs about {needed:,} bytes for operands and result "
        f"({failure}); the device has {free:,} of {total:,} bytes free after freeing CuPy's "
        "cached blocks. Use gpudot.set_oom_policy('tile') to compute in blocks, or 'cpu' to "
        "compute on the host"
    )


def _attempt(
    backend: Device, run: Callable[..., Any], *args: Any
) -> tuple[Any, BaseException | None]:
    """``run(*args)``, or its out-of-memory error without the frames that hold memory (arguments,
    not a closure, which would allocate cells on every product); other errors propagate."""
    try:
        return run(*args), None
    except Exception as error:
        if not backend.is_out_of_memory(error):
            raise
        _drop_frames(error)
        return None, error


def _drop_frames(error: BaseException) -> None:
    """Drop the tracebacks of ``error`` and of the errors chained to it: each traceback's frames
    link back to the product's, whose locals hold the failed attempt's device arrays (CuPy
    raises ``OutOfMemoryError`` while handling ``CUDARuntimeError``)."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        current.__traceback__ = None
        pending += [current.__cause__, current.__context__]


def run_with_memory_policy(
    backend: Device,
    func: Description,
    product: Product,
    x1: Any,
    x2: Any,
    out: Any,
    dtype: Any = None,
) -> Any:
    """Run ``product(x1, x2, out)``; on OOM free CuPy's cached blocks, retry once, apply the
    policy."""
    result, failure = _attempt(backend, product, x1, x2, out)
    if failure is None:
        return result
    backend.free_cached_memory()
    result, failure = _attempt(backend, product, x1, x2, out)
    if failure is None:
        return result
    policy = get_oom_policy()
    _check_out(func, x1, x2, out, dtype)  # NumPy's errors come before any policy action
    message = _describe(backend, func, x1, x2, dtype, failure)
    if policy == "cpu":
        return _on_host(backend, func, x1, x2, out, dtype, message)
    if policy == "tile":
        tiled = _tiled(backend, func, product, x1, x2, dtype)
        if tiled is not None:
            return backend.deliver(tiled, out, None if out is None else backend.check_out(out))
        message += (
            "; tiling did not help: even the smallest block, or the result itself, does not fit"
        )
    raise DeviceMemoryError(message) from failure


def _on_host(
    backend: Device, func: Description, x1: Any, x2: Any, out: Any, dtype: Any, why: str
) -> Any:
    warn(
        f"gpudot: {why}. Computing it on the host with NumPy instead (out-of-memory policy 'cpu').",
        GpudotFallbackWarning,
    )
    host = backend.dispatch.lookup("numpy")
    device_out = out is not None and not isinstance(out, np.ndarray)
    host_out = np.empty(out.shape, out.dtype) if device_out else out
    with use_transfer_policy("allow"):  # the policy asked for these copies, there and back
        result = func.call(host, x1, x2, host_out, dtype)
        if not device_out:  # the operands' kind: a device result for device operands
            placed, failure = _attempt(backend, backend.dispatch.follow_operands, result, (x1, x2))
            if failure is not None:
                raise DeviceMemoryError(
                    f"{why}; computed on the host (out-of-memory policy 'cpu'), the result does "
                    f"not fit on {backend.device} either, where its device operands want it. "
                    "Pass host operands (gpudot.to_numpy) to get it as a NumPy array"
                ) from failure
            return placed
    backend.fill_from_host(out, result)
    return out


def _tiled(
    backend: Device, func: Description, product: Product, x1: Any, x2: Any, dtype: Any
) -> Any:
    """The product computed block by block into one device array, or ``None`` if nothing fits."""
    x1 = x1 if hasattr(x1, "shape") else np.asarray(x1)
    x2 = x2 if hasattr(x2, "shape") else np.asarray(x2)
    shape, axes = func.tiling(tuple(x1.shape), tuple(x2.shape))
    _, result_dtype = _result(func, x1, x2, dtype)
    if not axes:
        return None
    with backend.context():
        result, failure = _attempt(backend, backend.xp.empty, shape, result_dtype)
    if failure is not None:
        return None
    arrays = ((shape, result_dtype), (tuple(x1.shape), _dtype(x1)), (tuple(x2.shape), _dtype(x2)))

    def block_bytes(sizes: list[int]) -> int:
        total = 0
        for which, (full, item) in enumerate(arrays):
            count = float(np.prod(full))
            for axis, size in zip(axes, sizes, strict=True):
                if (axis.result_axis, axis.x1_axis, axis.x2_axis)[which] is not None:
                    count *= size / max(axis.length, 1)
            total += int(count) * item.itemsize
        return total

    sizes = _tiling.initial_sizes(axes, block_bytes, int(backend.memory_info()[0] * TILE_BUDGET))
    ndims = (len(shape), x1.ndim, x2.ndim)

    def fill() -> None:
        for at, at1, at2 in _tiling.block_slices(axes, sizes, ndims):
            result[at] = product(x1[at1], x2[at2], None)

    with use_transfer_policy("allow"):  # the operands' policy was applied by the first attempt
        while True:
            _, failure = _attempt(backend, fill)
            if failure is None:
                return result
            backend.free_cached_memory()
            if not _tiling.split_until_fits(sizes):
                return None
