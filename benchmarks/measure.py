"""One row of results: a case at one size and dtype, on one backend in one mode, against raw.

Both results are compared with NumPy's (`benchmarks.oracle`), so that a row where they differ says
which side disagrees with NumPy.

Modes: ``"host"`` for the NumPy backend; for a CUDA backend ``"device"`` (operands already on the
GPU, CUDA-event times) and ``"with copies"`` (NumPy in, NumPy out: host-to-device and
device-to-host copies included, host times); for any other backend (Dask, plugins) ``"with
copies"`` on the host clock, so that a lazy result is computed inside the timing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

import gpudot
from benchmarks import oracle
from benchmarks.cases import Case
from benchmarks.timing import Pair, Sampler, cuda_sampler, host_sampler, time_pair
from gpudot.backends import Backend
from gpudot.backends.cupy._backend import CupyBackend
from gpudot.backends.numpy._backend import NumpyBackend
from gpudot.testing._inputs import make

__all__ = ["Row", "add_float32_limits", "measure", "modes", "unmeasured_reason"]


@dataclass
class Row:
    """A result row; timings (seconds per call) and rates are ``None`` unless measured."""

    case: str
    func: str
    layout: str
    n: int
    shape_a: list[int]
    shape_b: list[int]
    dtype: str
    backend: str
    mode: str
    raw: str
    status: str
    operations: int
    unit: str
    gpudot_s: dict[str, float] | None = None
    raw_s: dict[str, float] | None = None
    calls_per_sample: int | None = None
    repeats: int | None = None
    gpudot_rate: float | None = None
    raw_rate: float | None = None
    ratio: float | None = None
    identical: bool | None = None
    #: "matches", "within rounding" or "disagrees": each side against NumPy (None: not compared).
    gpudot_vs_numpy: str | None = None
    raw_vs_numpy: str | None = None
    #: Which side disagrees with NumPy, in words; empty when both give NumPy's bits.
    note: str = ""
    #: gpudot's median over the raw float32 median of the same case, size, backend and mode in
    #: this run: how far this dtype is from the float32 limit (None: no such float32 row).
    float32_limit: float | None = None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def modes(backend: Backend) -> tuple[str, ...]:
    """The timing modes of a backend (see the module docstring)."""
    if isinstance(backend, NumpyBackend):
        return ("host",)
    return ("device", "with copies") if isinstance(backend, CupyBackend) else ("with copies",)


def unmeasured_reason(backend: Backend, dtype: np.dtype) -> str | None:
    """``"not measured: ..."`` when ``backend`` cannot run ``dtype`` here, else ``None``."""
    reason = backend.unavailable_reason()
    if reason is not None:
        return f"not measured: {reason}"
    if backend.supported_dtypes is not None and dtype not in backend.supported_dtypes:
        return f"not measured: backend {backend.name!r} does not support {dtype}"
    return None


def empty_row(case: Case, n: int, dtype: np.dtype, backend: Backend, mode: str, status: str) -> Row:
    """A row with its description filled in and no numbers."""
    shape_a, shape_b = case.shapes(n)
    return Row(
        case=case.name,
        func=case.func,
        layout=case.layout,
        n=n,
        shape_a=list(shape_a),
        shape_b=list(shape_b),
        dtype=str(dtype),
        backend=backend.name,
        mode=mode,
        raw=f"{_raw_library(backend)}.{case.func}",
        status=status,
        operations=case.operations(n, dtype),
        unit="GFLOP/s" if dtype.kind in "fcV" else "GOP/s",
    )


def _raw_library(backend: Backend) -> str:
    """Name of the library a backend wraps, without importing it when it cannot run."""
    if isinstance(backend, CupyBackend):
        return "cupy"
    try:
        return backend.xp.__name__
    except ImportError:  # an optional library that is not installed: its rows say so
        return backend.name


def _calls(
    backend: Backend, mode: str, func: str, a: np.ndarray, b: np.ndarray
) -> tuple[Callable[[], Any], Callable[[], Any]]:
    """(gpudot call, raw call) for ``mode``; both return the product."""
    ours, raw = getattr(gpudot, func), getattr(backend.xp, func)
    if mode == "with copies":
        to_device, to_host = backend.from_host, backend.to_numpy
        return (
            lambda: gpudot.to_numpy(ours(a, b)),
            lambda: to_host(raw(to_device(a), to_device(b))),
        )
    if mode == "device":
        a, b = backend.from_host(a), backend.from_host(b)
    return (lambda: ours(a, b)), (lambda: raw(a, b))


def _sampler(backend: Backend, mode: str, call: Callable[[], Any]) -> Sampler:
    if not isinstance(backend, CupyBackend):
        return host_sampler(call)
    from cupyx.profiler import benchmark  # type: ignore[import-untyped]

    return cuda_sampler(call, "gpu" if mode == "device" else "cpu", benchmark)


def _compare(row: Row, backend: Backend, a: np.ndarray, b: np.ndarray, ours: Any, raw: Any) -> None:
    """Fill ``row``'s comparisons: gpudot with raw (bits), and each with NumPy."""
    mine, theirs = gpudot.to_numpy(ours), np.asarray(backend.to_numpy(raw))
    row.identical = oracle.same_bits(mine, theirs)
    numpy_result = theirs if isinstance(backend, NumpyBackend) else None
    reference = oracle.numpy_reference(row.func, a, b, numpy_result)
    versus_gpudot, versus_raw = oracle.compare(mine, reference), oracle.compare(theirs, reference)
    row.gpudot_vs_numpy, row.raw_vs_numpy = versus_gpudot.agreement, versus_raw.agreement
    row.note = oracle.note(versus_gpudot, versus_raw, row.raw)


def measure(
    case: Case,
    n: int,
    dtype: np.dtype,
    backend: Backend,
    mode: str,
    repeats: int,
    min_sample_s: float,
) -> Row:
    """Time gpudot and the raw library on one product, interleaved; never raises."""
    row = empty_row(case, n, dtype, backend, mode, "measured")
    try:
        a, b = make(tuple(row.shape_a), dtype, seed=1), make(tuple(row.shape_b), dtype, seed=2)
        with gpudot.use_backend(backend, strict=True), backend.context():
            ours, raw = _calls(backend, mode, case.func, a, b)
            _compare(row, backend, a, b, ours(), raw())  # also the warm-up
            samplers = _sampler(backend, mode, ours), _sampler(backend, mode, raw)
            pair = time_pair(*samplers, repeats, min_sample_s)
    except Exception as error:  # a benchmark reports a failing case and goes on
        row.status = f"failed: {type(error).__name__}: {error}"
        return row
    _fill(row, pair)
    return row


def _fill(row: Row, pair: Pair) -> None:
    row.gpudot_s, row.raw_s = asdict(pair.gpudot), asdict(pair.raw)
    row.calls_per_sample, row.repeats = pair.calls_per_sample, pair.repeats
    row.gpudot_rate = row.operations / pair.gpudot.median / 1e9
    row.raw_rate = row.operations / pair.raw.median / 1e9
    row.ratio = pair.ratio


def add_float32_limits(rows: list[Row]) -> None:
    """Set each measured row's `Row.float32_limit` from the float32 row of the same product."""
    float32 = {
        (r.case, r.n, r.backend, r.mode): r.raw_s["median"]
        for r in rows
        if r.dtype == "float32" and r.raw_s is not None
    }
    for row in rows:
        reference = float32.get((row.case, row.n, row.backend, row.mode))
        if row.gpudot_s is not None and reference:
            row.float32_limit = row.gpudot_s["median"] / reference
