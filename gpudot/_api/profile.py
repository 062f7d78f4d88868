"""``with gpudot.profile() as p:``: a record of every product computed inside the block.

While a profile is open, `gpudot._api.products` runs ``dot`` and ``matmul`` on a recording wrapper
of the backend, and the full path of the rest of the family and ``multi_dot``
(`gpudot._api.products.run_product`) records each call, with the ``dot``/``matmul`` products it
was reduced to as ``components``; with none open, products pay nothing. What is recorded and how
GPU time is taken: docs/gpus.md, "Profiling".
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import numpy as np

from gpudot._api import products as _products
from gpudot._config.precision import current_precision
from gpudot._core.descriptions import PRODUCTS
from gpudot._core.tiling import operand_shape
from gpudot._dispatch.auto import AutoBackend
from gpudot._dispatch.backend_setting import current_backend
from gpudot._dispatch.conversions import follow_operands, location
from gpudot._dispatch.registry import owner_of
from gpudot.backends._base import Backend

__all__ = ["CallRecord", "Profile", "gpu_timer", "profile", "record_call"]


@dataclass(frozen=True)
class CallRecord:
    """One product: what ran where, on what, and how long it took.

    ``route`` is the reason ``"auto"`` gave for its choice of backend, or for a product of the
    family, how it was computed; ``components`` are the records of the ``dot``/``matmul``
    products a family call or ``multi_dot`` was reduced to.
    """

    function: str
    backend: str
    device: str
    route: str
    shapes: tuple[tuple[int, ...], ...]
    dtypes: tuple[str, ...]
    precision: str
    h2d_bytes: int
    d2h_bytes: int
    peer_bytes: int
    wall_s: float
    gpu_s: float | None
    components: tuple[CallRecord, ...] = ()


#: The table's columns after ``#`` and ``function``: heading, and a record's cell.
_COLUMNS: tuple[tuple[str, Callable[[CallRecord], str]], ...] = (
    ("backend", lambda r: r.backend),
    ("device", lambda r: r.device),
    ("shapes", lambda r: " x ".join(map(str, r.shapes))),
    ("dtypes", lambda r: ", ".join(r.dtypes)),
    ("precision", lambda r: r.precision),
    ("H2D B", lambda r: f"{r.h2d_bytes:,}"),
    ("D2H B", lambda r: f"{r.d2h_bytes:,}"),
    ("wall ms", lambda r: f"{r.wall_s * 1e3:.3f}"),
    ("GPU ms", lambda r: "-" if r.gpu_s is None else f"{r.gpu_s * 1e3:.3f}"),
    ("route", lambda r: r.route),
)


class Profile:
    """The calls recorded by one `profile` block: ``records`` (rows) and ``str()`` (a table)."""

    def __init__(self) -> None:
        self.records: list[CallRecord] = []

    def __str__(self) -> str:
        rows = [("#", "function", *(heading for heading, _ in _COLUMNS))]
        for i, call in enumerate(self.records):
            for j, r in enumerate((call, *call.components)):
                number, function = (f"{i}.{j}", "  " + r.function) if j else (str(i), r.function)
                rows.append((number, function, *(cell(r) for _, cell in _COLUMNS)))
        widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
        lines = [
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            for row in rows
        ]
        total = sum(r.wall_s for r in self.records)
        lines.append(f"{len(self.records)} call(s), {total * 1e3:.3f} ms wall in total")
        return "\n".join(lines)


_LOCK = threading.Lock()
_OPEN: list[Profile] = []


def _host_bytes(x: Any) -> int:
    nbytes = getattr(x, "nbytes", None)
    return int(nbytes) if nbytes is not None else int(np.asarray(x).nbytes)


def _dtype_name(x: Any) -> str:
    dtype = getattr(x, "dtype", None)
    return str(dtype if dtype is not None else np.asarray(x).dtype)


def _copies(target: Backend, arrays: Sequence[Any], out: Any) -> tuple[int, int, int]:
    """Bytes a product on ``target`` copies host->device, device->host and between devices.

    Operands not on ``target``'s device are read there; ``out=`` elsewhere is written back.
    """
    counts = {"h2d": 0, "d2h": 0, "peer": 0}
    here = "cpu" if target.device == "cpu" else "gpu"
    for x, reads in (*((x, True) for x in arrays), (out, False)):
        if x is None or target.owns(x):
            continue
        owner = owner_of(x)
        there = "cpu" if owner is None or owner.device == "cpu" else "gpu"
        if here == there == "cpu":
            continue
        kind = "peer" if here == there else ("h2d" if (there == "cpu") == reads else "d2h")
        counts[kind] += _host_bytes(x)
    return counts["h2d"], counts["d2h"], counts["peer"]


def _copied_back(before: Any, after: Any) -> tuple[int, int, int]:
    """Bytes copied host->device, device->host and between devices when a result ``before`` was
    given the kind its operands decide, ``after``
    (`gpudot._dispatch.conversions.follow_operands`)."""
    if after is before:
        return 0, 0, 0
    source, target = location(before), location(after)
    nbytes = _host_bytes(after)
    if source == target == "cpu":
        return 0, 0, 0
    if source == "cpu" or target == "cpu":
        return (nbytes, 0, 0) if source == "cpu" else (0, nbytes, 0)
    return (0, 0, nbytes) if source != target else (0, 0, 0)


def _plus(*counts: tuple[int, int, int]) -> tuple[int, int, int]:
    h2d, d2h, peer = zip(*counts, strict=True)
    return sum(h2d), sum(d2h), sum(peer)


@contextmanager
def gpu_timer(target: Backend) -> Iterator[list[float]]:
    """Yield a list that receives the CUDA-event seconds of the block on ``target`` (if a GPU)."""
    elapsed: list[float] = []
    if target.device == "cpu":
        yield elapsed
        return
    cuda = target.xp.cuda
    with target.context():
        start, end = cuda.Event(), cuda.Event()
        start.record()
    yield elapsed
    with target.context():
        end.record()
        end.synchronize()
        elapsed.append(cuda.get_elapsed_time(start, end) / 1e3)


#: Where the records of this thread's products go while a family call is recorded (else None).
_COMPONENTS: ContextVar[list[CallRecord] | None] = ContextVar("gpudot_components", default=None)


def _publish(
    function: str,
    where: tuple[str, str],
    route: str,
    arrays: Sequence[Any],
    copies: tuple[int, int, int],
    wall: float,
    gpu: float | None,
    components: tuple[CallRecord, ...] = (),
) -> None:
    """Record a call that ran on ``where`` (backend, device) on ``arrays`` (operands, result)."""
    record = CallRecord(
        function=function,
        backend=where[0],
        device=where[1],
        route=route,
        shapes=tuple(operand_shape(x) for x in arrays),
        dtypes=tuple(_dtype_name(x) for x in arrays),
        precision=current_precision(),
        h2d_bytes=copies[0],
        d2h_bytes=copies[1],
        peer_bytes=copies[2],
        wall_s=wall,
        gpu_s=gpu,
        components=components,
    )
    components_of_call = _COMPONENTS.get()
    if components_of_call is not None:
        components_of_call.append(record)
        return
    with _LOCK:
        for opened in _OPEN:
            opened.records.append(record)


def _record(func: str, backend: Backend, x1: Any, x2: Any, out: Any, dtype: Any) -> Any:
    route = ""
    target = backend
    if isinstance(backend, AutoBackend):
        target, route = backend.route(func, x1, x2, out, dtype)
    copies = _copies(target, (x1, x2), out)
    start = time.perf_counter()
    with gpu_timer(target) as gpu:
        computed = PRODUCTS[func].call(target, x1, x2, out, dtype)
        result = follow_operands(computed, (x1, x2), out)
    wall = time.perf_counter() - start
    copies = _plus(copies, _copied_back(computed, result))
    arrays = (x1, x2, result if out is None else out)
    _publish(
        func, (target.name, target.device), route, arrays, copies, wall, gpu[0] if gpu else None
    )
    return result


def record_call(
    name: str, compute: Callable[[], Any], operands: Sequence[Any], out: Any, scalar: bool
) -> Any:
    """Run ``compute`` (the product ``name`` of ``operands``) collecting its component records,
    give its result the kind its operands decide (copying it back, counted), then publish one
    record of the call."""
    in_effect = current_backend()
    target, placed_because = in_effect.placement(*operands)
    copies = _copies(target, operands, out)
    components: list[CallRecord] = []
    token = _COMPONENTS.set(components)
    start = time.perf_counter()
    try:
        computed = compute()
    finally:
        _COMPONENTS.reset(token)
    result = follow_operands(computed, operands, out, scalar=scalar)
    wall = time.perf_counter() - start
    copies = _plus(copies, _copied_back(computed, result))
    ran_on = {(c.backend, c.device) for c in components}
    where = ran_on.pop() if len(ran_on) == 1 else (in_effect.name, in_effect.device)
    if placed_because or components:
        route = placed_because or "; ".join(dict.fromkeys(c.route for c in components if c.route))
    else:  # vdot, vecdot... of floats on NumPy (its own loops, for its bits); outer anywhere
        route = "NumPy's own loop" if target.xp is np else "elementwise, no dot or matmul"
    arrays = (*operands, result if out is None else out)
    gpu_times = [c.gpu_s for c in components if c.gpu_s is not None]
    gpu = sum(gpu_times) if gpu_times else None
    _publish(name, where, route, arrays, copies, wall, gpu, tuple(components))
    return result


class _Recording:
    """The backend in effect, seen through the profiler: its products are recorded.

    A family method (`Backend.vdot`...) runs on the recorder itself, so that the ``dot`` and
    ``matmul`` products it reduces to are recorded as the call's components.
    """

    def __init__(self, backend: Backend):
        self._backend = backend

    def matmul(self, x1: Any, x2: Any, out: Any = None, dtype: Any = None) -> Any:
        return _record("matmul", self._backend, x1, x2, out, dtype)

    def dot(self, a: Any, b: Any, out: Any = None) -> Any:
        return _record("dot", self._backend, a, b, out, None)

    def __getattr__(self, name: str) -> Any:
        if name in _FAMILY_METHODS:
            return functools.partial(getattr(type(self._backend), name), self)
        return getattr(self._backend, name)


#: The family's `Backend` methods, which `_Recording` runs on itself.
_FAMILY_METHODS = frozenset(
    method.__name__
    for method in (
        Backend.vdot,
        Backend.inner,
        Backend.outer,
        Backend.tensordot,
        Backend.vecdot,
        Backend.matvec,
        Backend.vecmat,
    )
)


@contextmanager
def profile() -> Iterator[Profile]:
    """Record every product (the whole family and ``multi_dot``) called while the block runs.

    Yields
    ------
    Profile
        ``p.records`` holds one `CallRecord` per call the user made, a family call's or
        ``multi_dot``'s with its ``dot``/``matmul`` products as ``components``; ``print(p)``
        shows them as a table.

    Examples
    --------
    >>> import gpudot, numpy as np
    >>> with gpudot.profile() as p:
    ...     _ = gpudot.matmul(np.ones((2, 3)), np.ones((3, 4)))
    >>> p.records[0].function, p.records[0].shapes
    ('matmul', ((2, 3), (3, 4), (2, 4)))
    """
    opened = Profile()
    with _LOCK:
        _OPEN.append(opened)
        _products.wrap_backends_with(_Recording, record_call)
    try:
        yield opened
    finally:
        with _LOCK:
            _OPEN.remove(opened)
            if not _OPEN:
                _products.wrap_backends_with(None)
