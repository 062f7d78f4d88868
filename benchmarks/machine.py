"""The machine description stored with every result set: CPU, BLAS and threads, GPUs, versions.

Versions come from gpudot's own report (`python -m gpudot`), so both say the same thing.
"""

from __future__ import annotations

import os
import platform
from typing import Any

from gpudot._tools.report import gpus, versions
from gpudot.backends import Backend
from gpudot.backends.cupy._backend import CupyBackend

__all__ = ["ENVIRONMENT_VARIABLES", "blas_kernel", "cpu_line", "describe", "simd_features"]

#: CPU flags that change which kernels NumPy, its BLAS and numba can use.
SIMD_FLAGS = (
    "avx2",
    "fma",
    "avx512f",
    "avx512bw",
    "avx512vl",
    "avx512_vnni",
    "avx512_bf16",
    "avx512_fp16",
    "amx_tile",
    "amx_bf16",
    "amx_int8",
)

#: Variables that change which BLAS kernel runs, its threads, or GPU float32 precision.
ENVIRONMENT_VARIABLES = (
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "CUPY_TF32",
    "NVIDIA_TF32_OVERRIDE",
    "GPUDOT_BACKEND",
)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def simd_features() -> list[str]:
    """The `SIMD_FLAGS` this CPU reports in ``/proc/cpuinfo`` (empty where that is not readable)."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return [flag for flag in SIMD_FLAGS if flag in flags]
    except OSError:
        pass
    return []


def cpu_line() -> str:
    """The CPU model and its SIMD features, the line printed beside every published figure."""
    features = ", ".join(simd_features()) or "SIMD features unknown"
    return f"{_cpu_model()} ({features})"


def _thread_pools() -> list[dict[str, Any]] | str:
    """threadpoolctl's view of the loaded BLAS/OpenMP libraries: name, version, threads, kernel."""
    try:
        import threadpoolctl  # type: ignore[import-untyped]
    except ImportError:
        return "threadpoolctl not installed (pip install 'gpudot[bench]')"
    keys = ("internal_api", "version", "num_threads", "architecture", "threading_layer", "filepath")
    return [{k: pool.get(k) for k in keys} for pool in threadpoolctl.threadpool_info()]


def blas_kernel(pools: list[dict[str, Any]] | str) -> str:
    """The BLAS kernel in use, e.g. ``"openblas SkylakeX, 2 threads"``, from `_thread_pools`."""
    if isinstance(pools, str):
        return f"unknown: {pools}"
    blas = [p for p in pools if p["internal_api"] in ("openblas", "mkl", "blis", "flexiblas")]
    if not blas:
        return "unknown: threadpoolctl found no BLAS library loaded"
    return "; ".join(
        f"{p['internal_api']} {p.get('architecture') or '?'}, {p['num_threads']} threads"
        for p in blas
    )


def _cuda(backends: list[Backend]) -> dict[str, Any]:
    """CUDA runtime/driver versions and the GPUs, or why there are none, per CuPy backend."""
    described: dict[str, Any] = {}
    for backend in backends:
        if not isinstance(backend, CupyBackend):
            continue
        reason = backend.unavailable_reason()
        if reason is not None:
            described[backend.name] = {"gpus": [], "reason": reason}
            continue
        runtime = backend.xp.cuda.runtime
        described[backend.name] = {
            "gpus": list(gpus(backend)),
            "cuda_runtime": runtime.runtimeGetVersion(),
            "cuda_driver": runtime.driverGetVersion(),
        }
    return described


def describe(backends: list[Backend]) -> dict[str, Any]:
    """Everything that explains the numbers of this run on this machine."""
    pools = _thread_pools()
    return {
        "cpu_model": _cpu_model(),
        "simd_features": simd_features(),
        "platform": platform.platform(),
        "logical_cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "load_average_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "versions": dict(versions()),
        "environment": {name: os.environ.get(name) for name in ENVIRONMENT_VARIABLES},
        "blas_kernel": blas_kernel(pools),
        "thread_pools": pools,
        "cuda": _cuda(backends),
    }
