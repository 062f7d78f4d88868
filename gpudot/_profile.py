"""``with gpudot.profile() as p:``: a record of every product computed inside the block.

While at least one profile is open, `gpudot._linalg` runs products on a recording wrapper of the
backend (`gpudot._linalg.wrap_backends_with`); when none is open they run on the backend itself
again, so products pay nothing for the feature. Calls from every thread are recorded while a
profile is open. On a GPU each call is bracketed by CUDA events and synchronised, so the wall
time covers the device work (profiling therefore changes the timing it measures).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from gpudot import _linalg
from gpudot._precision import current_precision
from gpudot._tiling import operand_shape
from gpudot.backends._auto import AutoBackend
from gpudot.backends._base import Backend

__all__ = ["CallRecord", "Profile", "profile"]


@dataclass(frozen=True)
class CallRecord:
    """One product: what ran where, on what, and how long it took."""

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


class Profile:
    """The calls recorded by one `profile` block: ``records`` (rows) and ``str()`` (a table)."""

    def __init__(self) -> None:
        self.records: list[CallRecord] = []

    def __str__(self) -> str:
        header = (
            "#",
            "function",
            "backend",
            "device",
            "shapes",
            "dtypes",
            "precision",
            "H2D B",
            "D2H B",
            "wall ms",
            "GPU ms",
            "route",
        )
        rows = [header]
        for i, r in enumerate(self.records):
            rows.append(
                (
                    str(i),
                    r.function,
                    r.backend,
                    r.device,
                    " x ".join(map(str, r.shapes)),
                    ", ".join(r.dtypes),
                    r.precision,
                    f"{r.h2d_bytes:,}",
                    f"{r.d2h_bytes:,}",
                    f"{r.wall_s * 1e3:.3f}",
                    "-" if r.gpu_s is None else f"{r.gpu_s * 1e3:.3f}",
                    r.route,
                )
            )
        widths = [max(len(row[c]) for row in rows) for c in range(len(header))]
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


def _copies(target: Backend, arrays: tuple[Any, Any], out: Any) -> tuple[int, int, int]:
    """Bytes a product on ``target`` copies host->device, device->host and between devices.

    Operands not on ``target``'s device are read there; ``out=`` elsewhere is written back.
    """
    from gpudot.backends._registry import owner_of

    counts = {"h2d": 0, "d2h": 0, "peer": 0}
    here = "cpu" if target.device == "cpu" else "gpu"
    for x, reads in ((arrays[0], True), (arrays[1], True), (out, False)):
        if x is None or target.owns(x):
            continue
        owner = owner_of(x)
        there = "cpu" if owner is None or owner.device == "cpu" else "gpu"
        if here == there == "cpu":
            continue
        kind = "peer" if here == there else ("h2d" if (there == "cpu") == reads else "d2h")
        counts[kind] += _host_bytes(x)
    return counts["h2d"], counts["d2h"], counts["peer"]


@contextmanager
def _gpu_timer(target: Backend) -> Iterator[list[float]]:
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


def _record(func: str, backend: Backend, x1: Any, x2: Any, out: Any, dtype: Any) -> Any:
    route = ""
    target = backend
    if isinstance(backend, AutoBackend):
        target, route = backend.route(func, x1, x2, out, dtype)
    h2d, d2h, peer = _copies(target, (x1, x2), out)
    start = time.perf_counter()
    with _gpu_timer(target) as gpu:
        result = target.matmul(x1, x2, out, dtype) if func == "matmul" else target.dot(x1, x2, out)
    wall = time.perf_counter() - start
    result_array = result if out is None else out
    record = CallRecord(
        function=func,
        backend=target.name,
        device=target.device,
        route=route,
        shapes=tuple(operand_shape(x) for x in (x1, x2, result_array)),
        dtypes=tuple(_dtype_name(x) for x in (x1, x2, result_array)),
        precision=current_precision(),
        h2d_bytes=h2d,
        d2h_bytes=d2h,
        peer_bytes=peer,
        wall_s=wall,
        gpu_s=gpu[0] if gpu else None,
    )
    with _LOCK:
        for opened in _OPEN:
            opened.records.append(record)
    return result


class _Recording:
    """The backend in effect, seen through the profiler: its products are recorded."""

    def __init__(self, backend: Backend):
        self._backend = backend

    def matmul(self, x1: Any, x2: Any, out: Any = None, dtype: Any = None) -> Any:
        return _record("matmul", self._backend, x1, x2, out, dtype)

    def dot(self, a: Any, b: Any, out: Any = None) -> Any:
        return _record("dot", self._backend, a, b, out, None)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backend, name)


@contextmanager
def profile() -> Iterator[Profile]:
    """Record every `gpudot.dot` and `gpudot.matmul` call made while the block runs.

    Yields
    ------
    Profile
        ``p.records`` holds one `CallRecord` per call (function, backend and device used, route
        reason under ``"auto"``, shapes of operands and result, dtypes, precision, bytes copied
        host->device, device->host and between devices, wall seconds and CUDA-event seconds on a
        GPU); ``print(p)`` shows them as a table.

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
        _linalg.wrap_backends_with(_Recording)
    try:
        yield opened
    finally:
        with _LOCK:
            _OPEN.remove(opened)
            if not _OPEN:
                _linalg.wrap_backends_with(None)
