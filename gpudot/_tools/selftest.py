"""``python -m gpudot selftest``: exactness checks and speed figures on each usable CUDA device.

Exit codes: 0 passed, 1 a check failed, 3 no usable CUDA device, 2 usage. The JSON report, for
bug reports, is written in every case; its fields: docs/gpus.md, "Self-test". Over a module
that is not an installed CuPy (the tests' stand-in) the figures are labelled as not GPU figures.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

import numpy as np

import gpudot
from gpudot._api.profile import gpu_timer
from gpudot._config.precision import use_precision
from gpudot._dispatch.backend_setting import use_backend
from gpudot._dispatch.registry import lookup
from gpudot._tools.report import Check, float_bound, print_outcomes, run_checks, versions
from gpudot.backends._cost_model import product_flops
from gpudot.backends.cupy._backend import CupyBackend

__all__ = [
    "EXIT_CHECK_FAILED",
    "EXIT_NO_GPU",
    "Sizes",
    "check_names",
    "checks",
    "is_installed_cupy",
    "measure",
    "run",
    "selftest",
]

EXIT_CHECK_FAILED = 1
EXIT_NO_GPU = 3
OUT_CHECK = "out= and dot into out="


@dataclass(frozen=True)
class Sizes:
    """Problem sizes of the measurements (small ones keep CI fast)."""

    transfer_bytes: int = 256 << 20
    gemm: int = 4096
    gemm_int: int = 2048
    repeats: int = 5


QUICK = Sizes(transfer_bytes=1 << 20, gemm=64, gemm_int=32, repeats=2)
_RNG_SEED = 20261125
_NOT_FIGURES = ["copy GB/s and GEMM TFLOP/s"]
#: The distributions that install the ``cupy`` package: NVIDIA's CUDA 12 and 13 wheels, and the
#: plain ``cupy`` of conda-forge and source builds.
_CUPY_DISTRIBUTIONS = ("cupy-cuda12x", "cupy-cuda13x", "cupy")
Shape = tuple[int, ...]


def _bits(*_: Any) -> None:
    """No bound: NumPy's bits are required."""


def _half_bound(func: Callable[..., Any], a: Any, b: Any, expected: np.ndarray) -> Any:
    """Two roundings to float16 after a float32 sum: ``(2**-10 + k 2**-23) sum|a*b|``."""
    magnitude = func(np.abs(a).astype(np.float64), np.abs(b).astype(np.float64))
    return (2.0**-10 + np.shape(a)[-1] * 2.0**-23) * magnitude + 2.0**-24


def _cases() -> Iterator[Check]:
    """The exactness checks: (name, NumPy function, a, b, bound)."""
    rng = np.random.default_rng(_RNG_SEED)

    def ints(dtype: str, shape1: Shape, shape2: Shape) -> tuple[np.ndarray, np.ndarray]:
        info = np.iinfo(dtype)
        a, b = (rng.integers(info.min, info.max, s, endpoint=True) for s in (shape1, shape2))
        return a.astype(dtype), b.astype(dtype)

    def normal(dtype: str, shape1: Shape, shape2: Shape) -> tuple[np.ndarray, np.ndarray]:
        return rng.standard_normal(shape1).astype(dtype), rng.standard_normal(shape2).astype(dtype)

    def complex_normal(dtype: str, shape1: Shape, shape2: Shape) -> tuple[np.ndarray, np.ndarray]:
        a, b = ((rng.standard_normal(s) + 1j * rng.standard_normal(s)) for s in (shape1, shape2))
        return a.astype(dtype), b.astype(dtype)

    yield "int8 2-D overflow wraps like NumPy", np.matmul, ints("int8", (48, 40), (40, 24)), _bits
    int32 = ints("int32", (3, 24, 40), (3, 40, 16))
    yield "int32 batched overflow wraps like NumPy", np.matmul, int32, _bits
    uint16 = ints("uint16", (4, 16, 32), (4, 32, 8))
    yield "uint16 batched overflow (cupy#6715)", np.matmul, uint16, _bits
    yield "int64 dot N-D", np.dot, ints("int64", (3, 5, 7), (2, 7, 4)), _bits
    bools = rng.random((2, 30, 50)) < 0.05, rng.random((50, 20)) < 0.05
    yield "bool 2-D and batched", np.matmul, bools, _bits
    half = normal("f2", (64, 512), (512, 32))
    yield "float16 2-D within bound of sum|a*b|", np.matmul, half, _half_bound
    half = normal("f2", (3, 32, 256), (3, 256, 16))
    yield "float16 batched within bound of sum|a*b|", np.matmul, half, _half_bound
    # CuPy rounds a one-output float16 product to float16 (300 * 300 is inf); gpudot sums in float32
    cancel = np.array([300, 300], "f2"), np.array([300, -300], "f2")
    yield "float16 one output: [300, 300] . [300, -300] is 0", np.dot, cancel, _bits
    yield "complex64 2-D", np.matmul, complex_normal("c8", (32, 64), (64, 16)), float_bound
    yield "complex128 dot", np.dot, complex_normal("c16", (20, 30), (30, 10)), float_bound
    views = rng.standard_normal((40, 60))[::2, 1::2], rng.standard_normal((50, 30)).T[::-1]
    yield "non-contiguous views", np.matmul, views, float_bound
    batch = normal("f8", (1, 16, 24), (5, 24, 8))
    yield "broadcast batch (1,n,k) @ (b,k,m)", np.matmul, batch, float_bound
    yield "broadcast batch (n,k) @ (b,k,m)", np.matmul, ints("int16", (16, 24), (5, 24, 8)), _bits
    # 1 + 2**-20 is a float32 but not a TF32 number: every sum is exact in float32; 16 under TF32
    ones = np.full((8, 16), 1 + 2.0**-20, "f4"), np.ones((16, 8), "f4")
    yield "float32 under 'highest' keeps all 24 bits (no TF32)", np.matmul, ones, _bits


def checks(backend: CupyBackend) -> list[tuple[str, str | None]]:
    """(description, ``None`` or the problem) for each exactness check on ``backend``."""
    with use_backend(backend), use_precision("highest"):
        return [*run_checks(backend, _cases()), (OUT_CHECK, _out_problem(backend))]


def _out_problem(backend: CupyBackend) -> str | None:
    a = np.arange(20.0).reshape(4, 5)
    out, dot_out = backend.from_host(np.zeros((4, 4))), backend.from_host(np.zeros((4, 4)))
    returned = gpudot.matmul(a, a.T, out=out)
    gpudot.dot(a, a.T, out=dot_out)
    if returned is not out:
        return "matmul(out=) did not return out"
    same = all(np.array_equal(backend.to_numpy(o), a @ a.T) for o in (out, dot_out))
    return None if same else "out= holds values that differ from NumPy"


def _seconds(backend: CupyBackend, run: Callable[[], object], repeats: int) -> float:
    """Median CUDA-event seconds of ``run`` (after one warm-up)."""
    run()
    times = []
    for _ in range(repeats):
        with gpu_timer(backend) as elapsed:
            run()
        times.extend(elapsed)
    return float(np.median(times))


def measure(backend: CupyBackend, sizes: Sizes) -> dict[str, float]:
    """Host<->device GB/s and GEMM TFLOP/s per dtype (median of ``sizes.repeats``)."""
    xp = backend.xp
    figures: dict[str, float] = {}
    with backend.context():
        host = np.ones(sizes.transfer_bytes // 8)
        figures["H2D GB/s"] = (
            host.nbytes / _seconds(backend, lambda: xp.asarray(host), sizes.repeats) / 1e9
        )
        device = xp.asarray(host)
        figures["D2H GB/s"] = (
            host.nbytes / _seconds(backend, lambda: xp.asnumpy(device), sizes.repeats) / 1e9
        )
        for dtype, precision in (
            ("float16", "highest"),
            ("float32", "highest"),
            ("float32", "tf32"),
            ("float64", "highest"),
            ("complex64", "highest"),
            ("int8", "highest"),
            ("int32", "highest"),
        ):
            n = sizes.gemm_int if dtype.startswith("int") else sizes.gemm
            a = xp.asarray(np.ones((n, n), dtype))
            with use_precision(precision):
                seconds = _seconds(backend, partial(backend.matmul, a, a), sizes.repeats)
            label = f"{dtype}{' tf32' if precision == 'tf32' else ''} TFLOP/s"
            figures[label] = product_flops(n, n, n, 1, np.dtype(dtype)) / seconds / 1e12
    return figures


def _device_facts(backend: CupyBackend) -> dict[str, Any]:
    xp = backend.xp
    facts: dict[str, Any] = {"device": backend.device, "cupy": getattr(xp, "__version__", "?")}
    probes: dict[str, Callable[[], Any]] = {
        "name": lambda: xp.cuda.runtime.getDeviceProperties(int(backend.device[5:]))["name"],
        "driver": lambda: xp.cuda.runtime.driverGetVersion(),
        "cuda_runtime": lambda: xp.cuda.runtime.runtimeGetVersion(),
        "cublas": lambda: __import__(
            "cupy_backends.cuda.libs.cublas", fromlist=["getVersion"]
        ).getVersion(xp.cuda.device.get_cublas_handle()),
        "memory_total": lambda: backend.memory_info()[1],
        "float32 compute type under 'highest'": lambda: (
            xp._core._routines_linalg.compute_type_to_str(backend.compute_type(np.dtype("float32")))
        ),
        "tf32": lambda: backend.tf32_available(),  # False below compute capability 8.0
    }
    for key, probe in probes.items():
        try:
            value = probe()
        except Exception as error:  # report what could not be read instead of failing
            value = f"unavailable ({type(error).__name__})"
        facts[key] = value.decode() if isinstance(value, bytes) else value
    return facts


def check_names() -> list[str]:
    """The exactness checks run on each device, by name."""
    return [name for name, *_ in _cases()] + [OUT_CHECK]


def _versions() -> dict[str, str]:
    """The report's versions (gpudot, Python, NumPy, BLAS), the CuPy distributions installed (a
    wheel's name says which CUDA it needs) and the platform, without touching a device."""
    found = {name.lower(): value for name, value in versions() if name != "CuPy"}
    wheels = {name: _distribution_version(name) for name in _CUPY_DISTRIBUTIONS}
    found["cupy"] = ", ".join(f"{n} {v}" for n, v in wheels.items() if v) or "not installed"
    found["platform"] = platform.platform()
    return found


def _distribution_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def is_installed_cupy(xp: ModuleType) -> bool:
    """Whether ``xp`` is the ``cupy`` package of an installed CuPy distribution.

    Only then are the timings a GPU's: any other module (the test suite's stand-in, a mock) gets
    its figures labelled as not GPU figures, whatever it calls itself.
    """
    location = getattr(xp, "__file__", None)
    if location is None:
        return False
    for name in _CUPY_DISTRIBUTIONS:
        try:
            package = metadata.distribution(name).locate_file("cupy/__init__.py")
        except metadata.PackageNotFoundError:
            continue
        if Path(str(package)).resolve() == Path(location).resolve():
            return True
    return False


def _write(report: Path | None, stream: TextIO, code: int, reason: str | None, devices: Any) -> int:
    """Write the JSON report of a run that exits with ``code``; return ``code``."""
    names = check_names() + _NOT_FIGURES
    results = {
        "status": {0: "passed", EXIT_CHECK_FAILED: "failed", EXIT_NO_GPU: "no_gpu"}[code],
        "exit_code": code,
        "reason": reason,
        **_versions(),
        "checked": [] if code == EXIT_NO_GPU else names,
        "not_checked": names if code == EXIT_NO_GPU else [],
        "devices": devices,
    }
    if report is not None:
        report.write_text(json.dumps(results, indent=2, default=str) + "\n")
        print(f"JSON report written to {report}", file=stream)
    return code


def selftest(
    backends: list[CupyBackend], stream: TextIO, report: Path | None, sizes: Sizes = Sizes()
) -> int:
    """Check and measure each backend, print a table, write the JSON report; return exit code."""
    devices: list[dict[str, Any]] = []
    failures = 0
    for backend in backends:
        standin = not is_installed_cupy(backend.xp)
        facts = _device_facts(backend)
        label = " [not an installed CuPy: figures below are NOT GPU figures]" if standin else ""
        print(f"{facts['device']} {facts['name']}{label}", file=stream)
        outcome = checks(backend)
        failures += print_outcomes(outcome, stream)
        figures = measure(backend, sizes)
        for key, value in figures.items():
            print(f"  {key:<22} {value:10.3f}{'  (stand-in)' if standin else ''}", file=stream)
        facts.update(
            standin=standin,
            figures=figures,
            checks=[{"check": n, "passed": p is None, "problem": p} for n, p in outcome],
        )
        devices.append(facts)
    reason = f"{failures} check(s) failed" if failures else None
    code = _write(report, stream, EXIT_CHECK_FAILED if failures else 0, reason, devices)
    print("all checks passed" if not failures else f"{failures} check(s) FAILED", file=stream)
    return code


def run(report: Path | None, quick: bool, stream: TextIO) -> int:
    """``python -m gpudot selftest``: every usable CUDA device, or exit `EXIT_NO_GPU` saying why
    (the JSON report then lists every check as not checked)."""
    reason = lookup("cuda").unavailable_reason()
    if reason is not None:
        print(f"gpudot selftest: no usable CUDA device: {reason}", file=stream)
        return _write(report, stream, EXIT_NO_GPU, f"no usable CUDA device: {reason}", [])
    count = lookup("cuda").xp.cuda.runtime.getDeviceCount()
    backends = [lookup(f"cuda:{i}") for i in range(count)]
    return selftest(backends, stream, report, QUICK if quick else Sizes())  # type: ignore[arg-type]
