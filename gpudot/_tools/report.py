"""``python -m gpudot``: what is installed, which backends can run, and a short check of each."""

from __future__ import annotations

import os
import platform
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO

import numpy as np

import gpudot
from gpudot._core.comparison import mismatch
from gpudot._core.error_bounds import error_bound
from gpudot._dispatch.backend_setting import use_backend
from gpudot._dispatch.calibration import profile_path
from gpudot.backends import Backend, backend_names, lookup
from gpudot.backends.cupy._backend import CupyBackend

__all__ = ["float_bound", "gpus", "print_outcomes", "report", "run_checks", "versions"]

#: (description, NumPy function, (a, b), bound): gpudot's function of the same name must give
#: NumPy's result, within ``bound(func, a, b, expected)`` (``None``: NumPy's bits).
Check = tuple[str, Callable[..., Any], tuple[Any, Any], Callable[..., Any]]


def versions() -> Iterator[tuple[str, str]]:
    """(name, version) of gpudot, Python, NumPy, its BLAS and the importable ``cupy`` module."""
    yield "gpudot", gpudot.__version__
    yield "Python", platform.python_version()
    yield "NumPy", np.__version__
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    yield "BLAS", f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    try:
        import cupy  # type: ignore[import-untyped]
    except ImportError:
        yield "CuPy", "not installed"
    else:
        yield "CuPy", cupy.__version__


def gpus(backend: Backend) -> Iterator[str]:
    """One line per GPU the CuPy ``backend`` sees: its name, free memory and compute capability
    (and whether it has TF32)."""
    cp = backend.xp
    for index in range(cp.cuda.runtime.getDeviceCount()):
        name = cp.cuda.runtime.getDeviceProperties(index)["name"]
        name = name.decode() if isinstance(name, bytes) else name
        with cp.cuda.Device(index) as device:
            free, total = device.mem_info
            capability = int(device.compute_capability)
        tf32 = "" if capability >= 80 else '; no TF32: "tf32" and "fast" run in full float32'
        yield (
            f"cuda:{index} {name}, {free / 2**30:.1f} of {total / 2**30:.1f} GiB free, "
            f"compute capability {capability // 10}.{capability % 10}{tf32}"
        )


def float_bound(func: Callable[..., Any], a: Any, b: Any, expected: np.ndarray) -> Any:
    """`error_bound` for a float or complex result, ``None`` (NumPy's bits) for any other."""
    return error_bound(func, a, b, expected.dtype) if expected.dtype.kind in "fc" else None


def _checks() -> Iterator[Check]:
    rng = np.random.default_rng(0)
    yield "dot([1, 3, 5], [2, 4, 6]) == 44", np.dot, ([1, 3, 5], [2, 4, 6]), float_bound
    square = [[1, 2], [3, 4]], [[5, 6], [7, 8]]
    yield "dot([[1, 2], [3, 4]], [[5, 6], [7, 8]])", np.dot, square, float_bound
    ints = rng.integers(-1000, 1000, (64, 48)), rng.integers(-1000, 1000, (48, 32))
    yield "int64 matmul 64x48 @ 48x32", np.matmul, ints, float_bound
    floats = rng.standard_normal((8, 64, 48)), rng.standard_normal((48, 32))
    yield "float64 batched matmul 8x64x48 @ 48x32", np.matmul, floats, float_bound


def run_checks(backend: Backend, checks: Iterable[Check]) -> list[tuple[str, str | None]]:
    """(description, ``None`` if it passed, else the problem) for each check on ``backend``."""
    outcomes: list[tuple[str, str | None]] = []
    with use_backend(backend):
        for description, func, (a, b), bound in checks:
            expected = np.asarray(func(a, b))
            try:
                result = gpudot.to_numpy(getattr(gpudot, func.__name__)(a, b))
            except Exception as error:  # a self-check reports every failure instead of stopping
                outcomes.append((description, f"raised {type(error).__name__}: {error}"))
                continue
            outcomes.append((description, mismatch(result, expected, bound(func, a, b, expected))))
    return outcomes


def print_outcomes(outcomes: Iterable[tuple[str, str | None]], stream: TextIO) -> int:
    """Print a PASS or FAIL line per outcome (with the problem); return the number of failures."""
    failures = 0
    for description, problem in outcomes:
        failures += problem is not None
        verdict = "PASS" if problem is None else "FAIL"
        print(f"  {verdict}  {description}" + (f": {problem}" if problem else ""), file=stream)
    return failures


def _settings() -> Iterator[tuple[str, str]]:
    """GPU-relevant settings in effect: precision (and its meaning), OOM policy, auto profile."""
    precision = gpudot.get_precision()
    if precision == "highest":
        meaning = "GPU float32/complex64 products in full float32, no TF32"
        if os.environ.get("CUPY_TF32", "0") not in ("", "0"):
            meaning += " (CUPY_TF32 is set; gpudot overrides it per call)"
    else:
        meaning = "GPU float32/complex64 2-D products may use TF32; batched ones stay float32"
    yield "Precision", f"{precision}: {meaning}"
    yield "OOM policy", gpudot.get_oom_policy()
    path = profile_path()
    yield "Auto profile", str(path) if path.exists() else f"documented defaults ({path} not found)"


def report(stream: TextIO) -> int:
    """Print versions, backends and the self-check of each usable backend; return the exit code."""
    for name, version in versions():
        print(f"{name:<8} {version}", file=stream)
    print(file=stream)
    for name, value in _settings():
        print(f"{name + ':':<13} {value}", file=stream)
    print("\nBackends:", file=stream)
    usable = []
    for name in backend_names():
        backend = lookup(name)
        reason = backend.unavailable_reason()
        print(
            f"  {name:<14} {'available' if reason is None else 'unavailable: ' + reason}",
            file=stream,
        )
        if reason is None:
            usable.append(backend)
            if isinstance(backend, CupyBackend):
                for line in gpus(backend):
                    print(f"    {line}", file=stream)
    failures = 0
    for backend in usable:
        print(f"\nCheck on {backend.name}:", file=stream)
        failures += print_outcomes(run_checks(backend, _checks()), stream)
    print(
        f"\n{'all checks passed' if not failures else f'{failures} check(s) FAILED'}", file=stream
    )
    return 1 if failures else 0
