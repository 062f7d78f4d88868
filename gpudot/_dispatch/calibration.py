"""Machine profiles for ``"auto"``: where they are stored, and how ``calibrate`` measures them.

Without a stored profile `gpudot.backends._cost_model.DEFAULT_PROFILE` applies. The CPU side times
gpudot's own NumPy backend, exact routes included (sizes in `gpudot._tuning`); docs/gpus.md says
what is measured and where the file lives.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from gpudot._config.precision import use_precision
from gpudot._dispatch.registry import lookup
from gpudot._tuning import CPU_SIZES, GPU_SIZE, TRANSFER_BYTES
from gpudot._user_warnings import warn
from gpudot.backends._cost_model import DEFAULT_PROFILE, Profile, product_flops
from gpudot.backends.numpy._exact import product_cost

__all__ = ["calibrate", "load_profile", "profile_path", "save_profile"]


def profile_path() -> Path:
    """Where the machine profile is read from and written to."""
    explicit = os.environ.get("GPUDOT_PROFILE")
    if explicit:
        return Path(explicit)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "gpudot" / "profile.json"


def load_profile() -> Profile:
    """The stored profile (`profile_path`), or the defaults (with a warning if it is unreadable)."""
    path = profile_path()
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return DEFAULT_PROFILE
    except (OSError, ValueError) as error:
        return _ignored(path, error)
    try:
        return Profile.from_dict(data, source=f"{data.get('source', 'stored')}, from {path}")
    except ValueError as error:
        return _ignored(path, error)


def _ignored(path: Path, error: Exception) -> Profile:
    """Warn that the profile at ``path`` is unusable, and return the defaults instead."""
    warn(
        f"gpudot: ignoring the profile {path} ({error}); using the default profile. "
        "Run `python -m gpudot calibrate` to rewrite it.",
        UserWarning,
    )
    return DEFAULT_PROFILE


def save_profile(profile: Profile, path: Path | None = None) -> Path:
    """Write ``profile`` as JSON (creating the directory) and return the path."""
    path = path or profile_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(profile.to_dict(), indent=2, sort_keys=True) + "\n")
    return path


def best_time(
    run: Callable[[], object], repeats: int, sync: Callable[[], object] = lambda: None
) -> float:
    """Fastest of ``repeats`` timed runs after one warm-up, synchronising after each."""
    run()
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        sync()
        times.append(time.perf_counter() - start)
    return min(times)


def _gpu_operands(xp: Any, dtype: str, size: int) -> tuple[Any, Any]:
    """Small-valued operands on ``xp``'s device (the GPU's speed does not depend on values)."""
    rng = np.random.default_rng(0)
    host = (
        rng.integers(0, 2, (size, size)) if dtype == "bool" else rng.integers(-3, 4, (size, size))
    )
    a = host.astype(dtype)
    return xp.asarray(a), xp.asarray(a.T.copy())


def _cpu_operands(dtype: str, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Operands like those the cost rule assumes: full-range integers (a read of max|x| finds
    no smaller gemm), sparse bool (1 % True: the gemm route), random normal floats."""
    rng = np.random.default_rng(0)
    kind = np.dtype(dtype)
    if kind.kind == "b":
        return rng.random((size, size)) < 0.01, rng.random((size, size)) < 0.01
    if kind.kind in "iu":
        info = np.iinfo(kind)
        a, b = (
            rng.integers(info.min, info.max, (size, size), dtype=kind, endpoint=True) for _ in "ab"
        )
        return a, b
    return (rng.standard_normal((size, size)).astype(kind) for _ in "ab")  # type: ignore[return-value]


def _with_unsigned(table: dict[str, float]) -> dict[str, float]:
    """``table`` with each unsigned integer dtype given its signed twin's figure."""
    for name in ("uint8", "uint16", "uint32", "uint64"):
        if name[1:] in table:
            table[name] = table[name[1:]]
    return table


def measure_cpu(repeats: int = 3) -> tuple[dict[str, float], dict[str, float], float]:
    """gpudot's NumPy backend on this machine: FLOP/s per dtype (exact routes included), the
    measured time over the routes' cost rule per routed dtype, and the fixed cost per call (a
    4x4 float64 product)."""
    backend = lookup("numpy")
    tiny = np.ones((4, 4))
    call = best_time(lambda: [backend.matmul(tiny, tiny) for _ in range(1000)], repeats) / 1000
    flops, scale = {}, {}
    for dtype, size in CPU_SIZES.items():
        a, b = _cpu_operands(dtype, size)
        seconds = best_time(partial(backend.matmul, a, b), repeats)
        flops[dtype] = product_flops(size, size, size, 1, np.dtype(dtype)) / seconds
        rule = product_cost(np.dtype(dtype), size, size, size)
        if rule is not None:
            scale[dtype] = max(seconds - call, 1e-9) / (rule.ns * 1e-9)
    return _with_unsigned(flops), _with_unsigned(scale), call


def measure_gpu(backend: Any, repeats: int = 3) -> dict[str, Any]:
    """GEMM FLOP/s per dtype, copy bandwidths and the launch cost on a CuPy ``backend``.

    Each GEMM runs under the compute type of gpudot's ``"highest"`` precision, held by the backend
    (full float32, whatever ``CUPY_TF32`` or another thread sets).
    """
    xp, sync = backend.xp, backend.synchronize
    flops = {}
    with backend.context(), use_precision("highest"):
        for dtype in CPU_SIZES:
            a, b = _gpu_operands(xp, dtype, GPU_SIZE)
            with backend.holding_compute_type(np.dtype(dtype)):
                seconds = best_time(partial(xp.matmul, a, b), repeats, sync)
            flops[dtype] = product_flops(GPU_SIZE, GPU_SIZE, GPU_SIZE, 1, np.dtype(dtype)) / seconds
        host = np.ones(TRANSFER_BYTES // 8)
        h2d = TRANSFER_BYTES / best_time(lambda: xp.asarray(host), repeats, sync)
        device = xp.asarray(host)
        d2h = TRANSFER_BYTES / best_time(lambda: xp.asnumpy(device), repeats, sync)
        tiny = xp.zeros((4, 4))
        with backend.holding_compute_type(tiny.dtype):
            launch = best_time(lambda: xp.matmul(tiny, tiny), repeats * 10, sync)
    return {"gpu_flops": _with_unsigned(flops), "h2d": h2d, "d2h": d2h, "gpu_launch": launch}


def calibrate(gpu: Any | None, repeats: int = 3) -> Profile:
    """Measure this machine: gpudot's NumPy backend always, the GPU if ``gpu`` (a usable CuPy
    backend) is given."""
    cpu_flops, cpu_scale, cpu_call = measure_cpu(repeats)
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    if gpu is None:
        figures: dict[str, Any] = {"gpu_flops": dict(DEFAULT_PROFILE.gpu_flops)}
        source = f"calibrated {when}; CPU measured, GPU figures are the defaults (no usable GPU)"
    else:
        figures = measure_gpu(gpu, repeats)
        source = f"calibrated {when} on {gpu.device}"
    return replace(
        DEFAULT_PROFILE,
        cpu_flops=cpu_flops,
        cpu_call=cpu_call,
        source=source,
        cpu_route_scale=cpu_scale,
        **figures,
    )


def run(output: Path | None, stream: Any) -> int:
    """``python -m gpudot calibrate``: measure, store and print the profile; return 0."""
    gpu = lookup("cuda")
    reason = gpu.unavailable_reason()
    if reason is not None:
        print(
            f"No usable GPU ({reason}): measuring the CPU only; GPU figures stay the defaults.",
            file=stream,
        )
    profile = calibrate(None if reason else gpu)
    path = save_profile(profile, output)
    print(f"Profile written to {path} ({profile.source}):", file=stream)
    sides = (
        ("CPU GFLOP/s (gpudot's NumPy backend, exact routes included)", profile.cpu_flops, 1e9),
        ("CPU time over the exact routes' cost rule", profile.cpu_route_scale, 1.0),
        ("GPU GFLOP/s", profile.gpu_flops, 1e9),
    )
    for side, table, unit in sides:
        rates = ", ".join(
            f"{name} {rate / unit:.3g}{'x' if unit == 1 else ''}"
            for name, rate in table.items()
            if not name.startswith("uint")
        )
        print(f"  {side}: {rates}", file=stream)
    print(
        f"  H2D {profile.h2d / 1e9:.3g} GB/s, D2H {profile.d2h / 1e9:.3g} GB/s, "
        f"CPU call {profile.cpu_call * 1e6:.3g} us, GPU launch {profile.gpu_launch * 1e6:.3g} us",
        file=stream,
    )
    return 0
