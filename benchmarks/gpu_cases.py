"""The parts of ``benchmarks/gpu_check.py`` that run inside one child process each.

Each part takes a `Context` (the ``cupy`` module, whether it is the stand-in, the sizes and the
part's time budget) and returns its findings; a finding that breaks gpudot's promise is a
*problem* and fails the part, anything else is a measurement that is reported, never judged.
Every check goes through gpudot's public API and raw CuPy, so it stays valid whatever gpudot
does inside. Over the stand-in (``tests/fakecupy``) the memory sizes are scaled down: its
"device" memory is host memory.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from importlib import metadata
from types import ModuleType
from typing import Any

import numpy as np

import gpudot
from benchmarks.timing import time_pair
from gpudot.backends import lookup

__all__ = ["PARTS", "Context", "Skip"]

MIB, GIB = 1 << 20, 1 << 30
#: CuPy's integer and bool matmul kernel indexes with a 32-bit ``int`` (_routines_linalg.pyx).
INDEX_LIMIT = 1 << 31
#: A float16 product with one output: 300*300 is inf in float16, the exact sum is 0.
HALF_ONE_OUTPUT = ([300.0, 300.0], [300.0, -300.0])
#: A float32 that TF32 (10 explicit mantissa bits) rounds to 2048: it must stay 2049.
TF32_PROBE = 2049.0
#: 1 + 2**-20 is a float32 that TF32 rounds to 1.
TF32_ONLY = 1 + 2.0**-20
#: The packages whose versions the report gives: the suites need the first two; gpudot's other
#: extras are optional, and a case that needs one skips and names it.
PACKAGES = ("pytest", "hypothesis", "numba", "torch", "ml_dtypes", "dask")


class Skip(Exception):
    """The part cannot run here (the reason says why: a missing package or API)."""


@dataclass
class Context:
    """What a part runs with."""

    cp: ModuleType
    standin: bool
    budget_s: float
    bench_sizes: tuple[int, ...] = (1024, 2048, 4096, 8192)
    auto_sizes: tuple[int, ...] = (64, 256, 1024)
    started: float = field(default_factory=time.monotonic)
    problems: list[str] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)
    #: Called with the findings so far before a step that may end the process (see `pending`).
    flush: Callable[[Context], None] = lambda ctx: None

    def left_s(self) -> float:
        return self.budget_s - (time.monotonic() - self.started)

    def problem(self, text: str) -> None:
        self.problems.append(text)

    def require(self, name: str) -> Any:
        """``cupy.<name>``; missing on the stand-in is a skip, on real CuPy a problem."""
        value = getattr(self.cp, name, None)
        if value is None:
            if self.standin:
                raise Skip(f"the CuPy stand-in has no {name}")
            raise AttributeError(f"cupy has no {name}")
        return value

    @contextmanager
    def pending(self, step: str) -> Iterator[None]:
        """Run ``step``, a measurement that may end the process, with the findings saved first."""
        self.results["pending"] = step
        self.flush(self)
        yield
        del self.results["pending"]


def _on_gpu() -> Any:
    """gpudot's CUDA backend for this thread, strict: a fallback to the CPU would be an error."""
    return gpudot.use_backend("cuda", strict=True)


def _host(cp: ModuleType, x: Any) -> np.ndarray:
    return np.asarray(x) if isinstance(x, np.ndarray) else cp.asnumpy(x)


def _synchronize(cp: ModuleType) -> None:
    cp.cuda.runtime.deviceSynchronize()


def _outcome(run: Callable[[], Any]) -> tuple[Any, str]:
    """``(result, "returned")`` or ``(None, "ExceptionClass: message")``."""
    try:
        return run(), "returned"
    except Exception as error:
        return None, f"{type(error).__module__}.{type(error).__qualname__}: {str(error)[:800]}"


def _in_fresh_thread(run: Callable[[], Any]) -> tuple[Any, str]:
    """`_outcome` of ``run`` in a new thread (CuPy creates a cuBLAS handle per thread)."""
    box: list[tuple[Any, str]] = []
    thread = threading.Thread(target=lambda: box.append(_outcome(run)))
    thread.start()
    thread.join()
    return box[0]


def _half_bound(a: np.ndarray, b: np.ndarray) -> float:
    """Two roundings to float16 after a float32 sum: ``(2**-10 + k 2**-23) sum|a*b| + 2**-24``."""
    magnitude = float(np.abs(a.astype(np.float64)) @ np.abs(b.astype(np.float64)))
    return (2.0**-10 + a.shape[-1] * 2.0**-23) * magnitude + 2.0**-24


def _version(name: str) -> str | None:
    try:
        return metadata.version(name.replace("_", "-"))
    except metadata.PackageNotFoundError:
        return None


# --- device: the GPU's name and versions, and whether it is usable at all ---


def device(ctx: Context) -> None:
    cp, out = ctx.cp, ctx.results
    out["cupy"] = getattr(cp, "__version__", "?")
    out["cupy_wheels"] = {n: _version(n) for n in ("cupy-cuda12x", "cupy-cuda13x")}
    out["packages"] = {name: _version(name) for name in PACKAGES}
    out["numpy"], out["gpudot"] = np.__version__, gpudot.__version__
    out["gpudot_from"] = os.path.dirname(gpudot.__file__)  # the checkout's, not an install
    out["usable"] = bool(cp.is_available())
    if not out["usable"]:
        reason = lookup("cuda").unavailable_reason()
        ctx.problem(f"cupy.is_available() is False; gpudot's probe says: {reason}")
        return
    runtime = cp.cuda.runtime
    properties = runtime.getDeviceProperties(0)
    name = properties.get("name", "?")
    out["name"] = name.decode() if isinstance(name, bytes) else name
    out["device_count"] = runtime.getDeviceCount()
    out["cuda_driver_api"] = runtime.driverGetVersion()
    out["cuda_runtime"] = runtime.runtimeGetVersion()
    out["compute_capability"] = getattr(cp.cuda.Device(0), "compute_capability", None)
    out["memory_total"] = cp.cuda.Device(0).mem_info[1]
    out["cublas"] = "stand-in" if ctx.standin else _cublas_version(cp)
    out["driver"] = "stand-in" if ctx.standin else _nvidia_smi_driver()
    reason = lookup("cuda").unavailable_reason()
    out["gpudot_probe"] = reason or "usable"


def _cublas_version(cp: ModuleType) -> Any:
    try:
        cublas = importlib.import_module("cupy_backends.cuda.libs.cublas")
        return cublas.getVersion(cp.cuda.device.get_cublas_handle())
    except Exception as error:  # a missing libcublas is reported by the library part
        return f"unavailable ({type(error).__name__}: {error})"


def _nvidia_smi_driver() -> str:
    if shutil.which("nvidia-smi") is None:
        return "unknown (no nvidia-smi)"
    query = ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"]
    done = subprocess.run(query, capture_output=True, text=True, timeout=30, check=False)
    lines = done.stdout.strip().splitlines()
    return lines[0] if done.returncode == 0 and lines else f"unknown ({done.stderr.strip()})"


# --- library: the CUDA libraries gpudot's products load ---


def library(ctx: Context) -> None:
    """A float32 (cuBLAS) and an int8 (NVRTC kernel) 64x64 product, raw and through gpudot."""
    rng = np.random.default_rng(27)
    pairs = {
        "float32": [rng.standard_normal((64, 64)).astype(np.float32) for _ in range(2)],
        "int8": [rng.integers(-128, 128, (64, 64), dtype=np.int8) for _ in range(2)],
    }
    reason = lookup("cuda").unavailable_reason()
    ctx.results["gpudot_probe"] = reason or "usable"
    if reason is not None:
        ctx.problem(f"gpudot's CUDA probe says the device is unusable: {reason}")
    for dtype, (a, b) in pairs.items():
        _library_product(ctx, dtype, a, b)


def _library_product(ctx: Context, dtype: str, a: np.ndarray, b: np.ndarray) -> None:
    cp, expected = ctx.cp, a @ b
    runs = {
        "raw": lambda: _host(cp, cp.matmul(cp.asarray(a), cp.asarray(b))),
        "gpudot": lambda: gpudot.to_numpy(gpudot.matmul(a, b)),
    }
    for who, run in runs.items():
        with _on_gpu():
            got, outcome = _outcome(run)
        if got is None:
            ctx.problem(f"{who} {dtype} 64x64 raised {outcome}")
        elif _close(got, expected, exact=dtype == "int8"):
            outcome = "NumPy's result"
        else:
            outcome = "differs from NumPy"
            ctx.problem(f"{who} {dtype} 64x64 differs from NumPy")
        ctx.results[f"{who} {dtype}"] = outcome


def _close(got: np.ndarray, expected: np.ndarray, exact: bool) -> bool:
    if got.dtype != expected.dtype or got.shape != expected.shape:
        return False
    if exact:
        return bool(np.array_equal(got, expected))
    return bool(np.allclose(got, expected, rtol=1e-4, atol=1e-4))


# --- the cases where real CuPy departs from NumPy or from the stand-in ---


def half_one_output(ctx: Context) -> None:
    """float16 products with one output element: gpudot must give 0.0 for [300,300]·[300,-300]."""
    cp, out = ctx.cp, ctx.results
    a, b = (np.asarray(v, np.float16) for v in HALF_ONE_OUTPUT)
    da, db = cp.asarray(a), cp.asarray(b)
    raw, outcome = _outcome(lambda: float(_host(cp, cp.dot(da, db))))
    out["raw cupy.dot"] = raw if raw is not None else outcome
    products: dict[str, Callable[[], Any]] = {
        "dot (device)": lambda: gpudot.dot(da, db),
        "dot (host)": lambda: gpudot.dot(a, b),
        "matmul 1-D": lambda: gpudot.matmul(da, db),
        "matmul (1,2)@(2,1)": lambda: gpudot.matmul(da.reshape(1, 2), db.reshape(2, 1)),
        "inner": lambda: gpudot.inner(da, db),
        "vdot": lambda: gpudot.vdot(da, db),
        "vecdot": lambda: gpudot.vecdot(da, db),
    }
    with _on_gpu():
        for name, run in products.items():
            got, outcome = _outcome(lambda run=run: gpudot.to_numpy(run()))
            value = None if got is None else float(np.asarray(got).reshape(-1)[0])
            out[f"gpudot {name}"] = value if got is not None else outcome
            if value != 0.0:
                given = out[f"gpudot {name}"]
                ctx.problem(f"gpudot {name} of [300,300]·[300,-300] float16: {given!r}, not 0.0")
        rng = np.random.default_rng(4096)
        x, y = (rng.standard_normal(4096).astype(np.float16) for _ in range(2))
        expected = float(np.dot(x, y))
        got = float(gpudot.to_numpy(gpudot.dot(cp.asarray(x), cp.asarray(y))))
    bound = _half_bound(x, y)
    out["4096-long dot: error, bound"] = [abs(got - expected), bound]
    if not abs(got - expected) <= bound:
        ctx.problem(f"4096-long float16 dot off NumPy by {abs(got - expected)}, bound {bound}")


def tf32(ctx: Context) -> None:
    """Run with ``CUPY_TF32=1`` (set by gpu_check): gpudot's "highest" float32 products, a matrix
    and a vector times eye(64), stay full float32 and its integer products exact, also while
    another thread runs "tf32" products. Which raw shapes cuBLAS runs in TF32 is measured."""
    cp, out = ctx.cp, ctx.results
    out["CUPY_TF32"] = os.environ.get("CUPY_TF32")
    eye = np.eye(64)
    full = np.full((64, 64), TF32_PROBE)
    raw = _host(cp, cp.matmul(cp.asarray(full, np.float32), cp.asarray(eye, np.float32)))
    out["raw cupy float32 2049 @ eye(64)"] = float(raw.max())
    out.update(_raw_tf32_shapes(cp))
    operands = {dtype: full.astype(dtype) for dtype in ("float32", "int16", "int32", "uint16")}
    operands["float32 vector"] = full[0].astype(np.float32)
    with _on_gpu(), gpudot.use_precision("highest"):
        for name, left in operands.items():
            a, b = cp.asarray(left), cp.asarray(eye.astype(left.dtype))
            got = gpudot.to_numpy(gpudot.matmul(a, b))
            out[f"gpudot {name} 2049 @ eye(64)"] = sorted(set(got.ravel().tolist()))
            if not np.all(got == TF32_PROBE):
                ctx.problem(f"gpudot {name} 2049 @ eye(64) under CUPY_TF32=1 gave {got.max()}")
    out["while another thread runs 'tf32'"] = _tf32_leak(ctx, full.astype(np.float32), eye)


def _raw_tf32_shapes(cp: ModuleType) -> dict[str, bool]:
    """Which raw products change under COMPUTE_TYPE_TF32 (a measurement for docs/gpus.md)."""
    linalg = cp._core._routines_linalg
    saved = cp._core.get_compute_type(np.float32)
    shapes = {
        "8x16 @ 16x8": ((8, 16), (16, 8)),
        "vector (16,)·(16,)": ((16,), (16,)),
        "batched 2x8x16 @ 2x16x8": ((2, 8, 16), (2, 16, 8)),
    }
    found = {}
    try:
        cp._core.set_compute_type(np.float32, linalg.COMPUTE_TYPE_TF32)
        for name, (s1, s2) in shapes.items():
            a, b = cp.asarray(np.full(s1, TF32_ONLY, np.float32)), cp.asarray(np.ones(s2, "f4"))
            value = _host(cp, cp.matmul(a, b)).ravel()[0]
            found[f"raw TF32 compute type rounds {name}"] = bool(value == 16)
    finally:
        cp._core.set_compute_type(np.float32, saved)
    return found


def _tf32_leak(ctx: Context, full: np.ndarray, eye: np.ndarray) -> str:
    cp, stop = ctx.cp, threading.Event()
    ones = cp.asarray(np.full((256, 256), TF32_ONLY, np.float32))

    def tf32_products() -> None:
        with _on_gpu(), gpudot.use_precision("tf32"):
            while not stop.is_set():
                gpudot.matmul(ones, ones)

    worker = threading.Thread(target=tf32_products)
    worker.start()
    wrong = 0
    try:
        with _on_gpu(), gpudot.use_precision("highest"):
            a, b = cp.asarray(full), cp.asarray(eye.astype(np.float32))
            for _ in range(200):
                wrong += not np.all(gpudot.to_numpy(gpudot.matmul(a, b)) == TF32_PROBE)
    finally:
        stop.set()
        worker.join()
    if wrong:
        ctx.problem(f"{wrong} of 200 'highest' products ran in TF32 while another thread ran tf32")
    return f"{wrong} of 200 'highest' products changed"


def oom_fresh_thread(ctx: Context) -> None:
    """Fill device memory with raw allocations, then multiply in a new thread: gpudot's policy
    must give a result or `gpudot.DeviceMemoryError` ("raise", "tile") or NumPy's result ("cpu");
    what raw CuPy raises there is measured."""
    cp = ctx.cp
    # the stand-in's device memory is host memory: a small simulated device is filled instead
    machine = cp.simulate(memory_per_device=256 * MIB) if ctx.standin else _nothing()
    with machine:
        _oom_fresh_thread(ctx)


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def _oom_fresh_thread(ctx: Context) -> None:
    cp, out = ctx.cp, ctx.results
    rng = np.random.default_rng(5)
    a, b = (rng.standard_normal((512, 512)).astype(np.float32) for _ in range(2))
    da, db = cp.asarray(a), cp.asarray(b)
    expected = a @ b
    with _on_gpu():
        gpudot.matmul(da, db)  # gpudot's probe and this thread's cuBLAS handle, before filling
    hold = _fill_device(cp)
    try:
        out["bytes held, device free after filling"] = [
            sum(x.nbytes for x in hold),
            cp.cuda.runtime.memGetInfo()[0],
        ]
        for policy, operands in _OOM_CASES:
            x1, x2 = (a, b) if operands == "host" else (da, db)
            described, error = _in_fresh_thread(
                lambda policy=policy, x1=x1, x2=x2: _policy_outcome(policy, x1, x2, expected)
            )
            outcome = described or f"raised {error}"
            out[f"gpudot policy {policy!r}, {operands} operands"] = outcome
            if not _oom_outcome_allowed(policy, operands, outcome):
                ctx.problem(
                    f"policy {policy!r}, {operands} operands, in a fresh thread with the device "
                    f"full: {outcome}"
                )
        _, out["raw cupy.matmul"] = _in_fresh_thread(lambda: _host(cp, cp.matmul(da, db)))
    finally:
        hold.clear()
        cp.get_default_memory_pool().free_all_blocks()


#: The policies tried with the device full, and the operands' kind (results follow the operands).
_OOM_CASES = (("raise", "device"), ("tile", "device"), ("cpu", "device"), ("cpu", "host"))

#: What a returned result must look like (docs/gpus.md, "Out of memory"): on the device for
#: device operands, a NumPy array for host operands; the "cpu" policy says so with a warning.
_RETURNED = {
    ("raise", "device"): "returned NumPy's result on the device, no warning",
    ("tile", "device"): "returned NumPy's result on the device, no warning",
    ("cpu", "device"): "returned NumPy's result on the device, GpudotFallbackWarning",
    ("cpu", "host"): "returned NumPy's result as a NumPy array, GpudotFallbackWarning",
}


def _oom_outcome_allowed(policy: str, operands: str, outcome: str) -> bool:
    """The documented outcomes: the right result where `_RETURNED` says, or gpudot's
    `DeviceMemoryError` where the policy may give up ("raise", "tile"; "cpu" only when a device
    result computed on the host cannot be copied back to a full device)."""
    if outcome == _RETURNED[policy, operands]:
        return True
    if not outcome.startswith("raised gpudot._errors.DeviceMemoryError"):
        return False
    return policy != "cpu" or (operands == "device" and "computed on the host" in outcome)


def _policy_outcome(policy: str, a: Any, b: Any, expected: np.ndarray) -> str:
    """gpudot.matmul(a, b) under ``policy``: where the result is, whether it is right, warnings."""
    with (
        _on_gpu(),
        gpudot.use_oom_policy(policy),
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always")
        result = gpudot.matmul(a, b)
    where = "as a NumPy array" if isinstance(result, np.ndarray) else "on the device"
    right = (
        "NumPy's result"
        if _close(gpudot.to_numpy(result), expected, False)
        else ("a result that differs from NumPy")
    )
    said = ", ".join(sorted({w.category.__name__ for w in caught})) or "no warning"
    return f"returned {right} {where}, {said}"


def tiled_products(ctx: Context) -> None:
    """float32 and float16 1024x1024 host operands with the pool limited so that only the "tile"
    policy can multiply them (copied block by block), against the same product untiled: whether
    cuBLAS gives a block the bits it gives the whole matrix is measured (docs/gpus.md promises
    identical bits only where it does)."""
    cp, out, rng = ctx.cp, ctx.results, np.random.default_rng(7)
    n = 1024 if not ctx.standin else 128  # the stand-in computes float16 without BLAS
    pool = cp.get_default_memory_pool()
    saved = pool.get_limit()
    for dtype in ("float32", "float16"):
        a, b = (rng.standard_normal((n, n)).astype(dtype) for _ in range(2))
        with _on_gpu():
            whole = gpudot.to_numpy(gpudot.matmul(a, b))
            pool.free_all_blocks()
            limit = pool.used_bytes() + a.nbytes + a.nbytes // 2  # the result and half an operand
            try:
                pool.set_limit(size=limit)
                with gpudot.use_oom_policy("raise"):  # shows that the limit forces tiling
                    _, untiled = _outcome(lambda a=a, b=b: gpudot.matmul(a, b))
                with gpudot.use_oom_policy("tile"):
                    tiled, outcome = _outcome(lambda a=a, b=b: gpudot.matmul(a, b))
            finally:
                pool.set_limit(size=saved)
        found: dict[str, Any] = {
            "pool limit": limit,
            "under 'raise' at that limit": untiled[:80],
            "under 'tile'": outcome,
        }
        if tiled is not None:
            tiled = gpudot.to_numpy(tiled)
            found["identical bits"] = bool(np.array_equal(tiled, whole))
            found["largest difference"] = float(np.max(np.abs(tiled - whole.astype(np.float64))))
        out[f"{dtype} {n}x{n}"] = found
        ctx.flush(ctx)


def _fill_device(cp: ModuleType) -> list[Any]:
    """Raw allocations until the device (or its pool) refuses 1 MiB."""
    hold, chunk = [], GIB
    while chunk >= MIB:
        try:
            hold.append(cp.empty(chunk, np.uint8))
        except Exception:  # OutOfMemoryError, or a runtime error: either way, full
            chunk //= 2
    return hold


def other_device(ctx: Context) -> None:
    """Two GPUs only: an operand on cuda:1 multiplied on cuda:0 through gpudot must be NumPy's
    result on cuda:0 (transfer policy "allow") or a `gpudot.TransferError` ("error"); raw
    cupy.matmul on the same operands, which checks no device, is measured last."""
    cp, out = ctx.cp, ctx.results
    count = cp.cuda.runtime.getDeviceCount()
    if count < 2:
        raise Skip(f"needs two CUDA devices ({count} visible)")
    rng = np.random.default_rng(2)
    a, b = (rng.integers(-128, 128, (64, 64), dtype=np.int8) for _ in range(2))
    with cp.cuda.Device(1):
        far = cp.asarray(a)
    with cp.cuda.Device(0):
        near = cp.asarray(b)
    wanted = {
        "allow": "returned NumPy's result on device 0",
        "error": "gpudot._errors.TransferError",
    }
    for policy, expected in wanted.items():
        with gpudot.use_backend("cuda:0", strict=True), gpudot.use_transfer_policy(policy):
            got, outcome = _outcome(lambda: gpudot.matmul(far, near))
        if got is not None:
            device = getattr(got.device, "id", got.device)
            right = np.array_equal(gpudot.to_numpy(got), a @ b)
            verdict = "NumPy's" if right else "a wrong"
            outcome = f"returned {verdict} result on device {device}"
        out[f"gpudot cuda:0, policy {policy!r}"] = outcome
        if not outcome.startswith(expected):
            ctx.problem(f"operand on cuda:1, product on cuda:0, policy {policy!r}: {outcome}")
    with ctx.pending("raw cupy.matmul of operands on two devices"), cp.cuda.Device(0):
        got, outcome = _outcome(lambda: _host(cp, cp.matmul(far, near)))
        right = got is not None and np.array_equal(got, a @ b)
        out["raw cupy.matmul on cuda:0"] = outcome if got is None else f"right: {right}"


def split_blocks(ctx: Context) -> None:
    """free_all_blocks after a 1 GiB block was freed and 512 MiB of it taken again: what the pool
    keeps (CuPy's memory.pyx frees only unsplit blocks). A measurement for the stand-in's model."""
    cp, out = ctx.cp, ctx.results
    big, half = (GIB, GIB // 2) if not ctx.standin else (MIB, MIB // 2)
    pool = cp.get_default_memory_pool()
    pool.free_all_blocks()

    def state() -> dict[str, int]:
        return {
            "used_bytes": pool.used_bytes(),
            "total_bytes": pool.total_bytes(),
            "free_bytes": pool.free_bytes(),
        }

    out["start"] = state()
    block = cp.empty(big, np.uint8)
    del block
    out["after freeing the block"] = state()
    kept = cp.empty(half, np.uint8)
    pool.free_all_blocks()
    out["after taking half of it and free_all_blocks"] = after = state()
    out["split block kept"] = after["free_bytes"] - out["start"]["free_bytes"] >= big - half
    del kept
    pool.free_all_blocks()
    out["after freeing all"] = state()


def pinned_memory(ctx: Context) -> None:
    """The pinned pool after a large host-to-device copy (it keeps its buffers): a measurement."""
    cp, out = ctx.cp, ctx.results
    pool = ctx.require("get_default_pinned_memory_pool")()
    size = 2 * GIB if not ctx.standin else 8 * MIB
    out["pinned free blocks before"] = pool.n_free_blocks()
    host = np.ones(size // 4, np.float32)
    device_copy = cp.asarray(host)
    _synchronize(cp)
    del device_copy
    out["copied bytes"] = size
    out["pinned free blocks after the copy"] = pool.n_free_blocks()
    pool.free_all_blocks()
    out["pinned free blocks after free_all_blocks"] = pool.n_free_blocks()


def integer_index_limit(ctx: Context) -> None:
    """int8 products past CuPy's 32-bit index limit: an operand and a result of more than 2^31
    elements must be NumPy's bits through gpudot; raw CuPy's outcome is measured afterwards, last,
    since it may spoil the CUDA context. Over the stand-in the limit is scaled down to 2^16."""
    limit = INDEX_LIMIT if not ctx.standin else 1 << 16
    with _index_limit(ctx, limit):
        _past_index_limit(ctx, limit)


@contextmanager
def _index_limit(ctx: Context, limit: int) -> Iterator[None]:
    """Over the stand-in, its integer kernel's index limit and gpudot's split at ``limit``, where
    this checkout has them (``INTEGER_KERNEL_INDEX_LIMIT``), so that the scaled-down case
    crosses the limit as the full-size one does on a GPU."""
    holders = [
        sys.modules.get(name) for name in ("fakecupy._gemm", "gpudot.backends.cupy._backend")
    ]
    holders = [h for h in holders if ctx.standin and hasattr(h, "INTEGER_KERNEL_INDEX_LIMIT")]
    saved = [h.INTEGER_KERNEL_INDEX_LIMIT for h in holders]
    for holder in holders:
        holder.INTEGER_KERNEL_INDEX_LIMIT = limit
    try:
        yield
    finally:
        for holder, value in zip(holders, saved, strict=True):
            holder.INTEGER_KERNEL_INDEX_LIMIT = value


def _past_index_limit(ctx: Context, limit: int) -> None:
    cp, out = ctx.cp, ctx.results
    rows = 1 << (16 if not ctx.standin else 8)
    k = limit // rows + 1  # rows * k > limit
    out["index limit tested"] = limit
    rng = np.random.default_rng(31)
    row_values = (np.arange(rows) % 5 - 2).astype(np.int8)
    cases = {}
    # an operand past the limit: (rows, k) with every row constant, times (k, 3)
    b = rng.integers(-128, 128, (k, 3), dtype=np.int8)
    sums = b.astype(np.int64).sum(axis=0)
    wide = np.repeat(row_values, k).reshape(rows, k)
    expected = (row_values.astype(np.int64)[:, None] * sums[None, :]).astype(np.int8)
    cases["operand of rows*k elements"] = (cp.asarray(wide), cp.asarray(b), expected)
    del wide
    # a result past the limit: (rows, 2) @ (2, k), products small enough to need no wraparound
    columns = (np.arange(k) % 7 - 3).astype(np.int8)
    left = np.repeat(row_values, 2).reshape(rows, 2)
    right = np.stack([columns, columns])
    cases["result of rows*k elements"] = (
        cp.asarray(left),
        cp.asarray(right),
        np.multiply.outer(row_values, 2 * columns),
    )
    with _on_gpu():
        for name, (x, y, want) in cases.items():
            got, outcome = _outcome(lambda x=x, y=y: gpudot.to_numpy(gpudot.matmul(x, y)))
            if got is not None:
                outcome = (
                    "NumPy's bits" if _close(got, want, exact=True) else ("differs from NumPy")
                )
            out[f"gpudot {name}"] = outcome
            if outcome != "NumPy's bits":
                ctx.problem(f"gpudot int8 {name} past 2^31: {outcome}")
    for name, (x, y, want) in cases.items():
        with ctx.pending(f"raw cupy.matmul, {name}"):
            got, outcome = _outcome(lambda x=x, y=y: _host(cp, cp.matmul(x, y)))
            if got is not None:
                outcome = (
                    "NumPy's bits"
                    if _close(got, want, exact=True)
                    else (f"differs from NumPy in {int(np.count_nonzero(got != want))} elements")
                )
            out[f"raw cupy {name}"] = outcome


# --- benchmarks: gpudot against raw cupy.matmul, and "auto"'s choices ---


def _event_sampler(cp: ModuleType, func: Callable[[], Any]) -> Callable[[int], float]:
    """Seconds per call of ``func`` between two CUDA events on the current stream."""

    def sample(number: int) -> float:
        start, end = cp.cuda.Event(), cp.cuda.Event()
        start.record()
        for _ in range(number):
            func()
        end.record()
        end.synchronize()
        return cp.cuda.get_elapsed_time(start, end) / 1e3 / number

    return sample


def _bench_row(ctx: Context, a: Any, b: Any) -> dict[str, Any]:
    """Time gpudot.matmul(a, b) against cupy.matmul(a, b), square operands on the device, unless
    one call of each (the warm-up) says that the timing would not fit the part's budget."""
    cp = ctx.cp
    with _on_gpu():
        ours = partial(gpudot.matmul, a, b)
        raw = partial(cp.matmul, a, b)
        started = time.perf_counter()
        same = np.array_equal(_host(cp, ours()), _host(cp, raw()))
        warm_up = time.perf_counter() - started
        if 8 * warm_up > ctx.left_s():
            return {"status": f"skipped: one call of each took {warm_up:.1f} s", "identical": same}
        pair = time_pair(_event_sampler(cp, ours), _event_sampler(cp, raw), 5, 0.002)
    ops = 2.0 * a.shape[0] ** 3
    return {
        "status": "measured",
        "gpudot_ms": pair.gpudot.median * 1e3,
        "raw_ms": pair.raw.median * 1e3,
        "gpudot_over_raw": pair.ratio,
        "gpudot_tflops": ops / pair.gpudot.median / 1e12,
        "raw_tflops": ops / pair.raw.median / 1e12,
        "identical": bool(same),
    }


def _budgeted_rows(
    ctx: Context, sizes: list[int], rows: list[dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    """A row per dtype and size, appended to ``rows``; yielded to be measured while the part's
    time budget lasts, else marked skipped."""
    for dtype in ("float32", "float16", "int8"):
        for n in sizes:
            row: dict[str, Any] = {"dtype": dtype, "n": n}
            rows.append(row)
            if ctx.left_s() < 15:
                row["status"] = "skipped: the part's time budget is spent"
                continue
            yield row


def _square_pair(rng: np.random.Generator, dtype: str, n: int) -> list[np.ndarray]:
    """Two random (n, n) host operands: full-range int8, or standard normal floats."""
    if dtype == "int8":
        return [rng.integers(-128, 128, (n, n), dtype=np.int8) for _ in range(2)]
    return [rng.standard_normal((n, n), np.float32).astype(dtype) for _ in range(2)]


def cuda_rows(ctx: Context) -> None:
    """gpudot.matmul against cupy.matmul, operands on the device, CUDA-event medians of 5
    interleaved samples; which sizes did not fit the part's time budget is said per row."""
    cp, rows, rng = ctx.cp, [], np.random.default_rng(1024)
    for row in _budgeted_rows(ctx, ctx.bench_sizes, rows):
        host = _square_pair(rng, row["dtype"], row["n"])
        row.update(_bench_row(ctx, cp.asarray(host[0]), cp.asarray(host[1])))
        del host
        cp.get_default_memory_pool().free_all_blocks()
        ctx.results["rows"] = rows
        ctx.flush(ctx)  # a time-out keeps the rows measured so far
    ctx.results["rows"] = rows


def auto_choices(ctx: Context) -> None:
    """NumPy in, NumPy out: where "auto" ran each product (and why), against the measured time of
    the NumPy backend and of the CUDA backend with copies (host clock, medians of 3)."""
    rows, rng = [], np.random.default_rng(64)
    for row in _budgeted_rows(ctx, ctx.auto_sizes, rows):
        dtype, n = row["dtype"], row["n"]
        a, b = _square_pair(rng, dtype, n)
        with gpudot.use_backend("auto"), gpudot.profile() as recorded:
            gpudot.matmul(a, b)
        record = recorded.records[-1]
        times = {where: _host_median(where, a, b) for where in ("numpy", "cuda")}
        chosen = "cuda" if record.device.startswith("cuda") else "numpy"
        faster = min(times, key=times.__getitem__)
        row.update(
            status="measured",
            auto_chose=chosen,
            reason=record.route,
            numpy_ms=times["numpy"] * 1e3,
            cuda_with_copies_ms=times["cuda"] * 1e3,
            measured_faster=faster,
            chosen_over_best=times[chosen] / times[faster],
        )
        ctx.results["rows"] = rows
        ctx.flush(ctx)
    ctx.results["rows"] = rows
    wrong = [
        r for r in rows if r.get("status") == "measured" and r["auto_chose"] != r["measured_faster"]
    ]
    ctx.results["choices that were not the faster side"] = len(wrong)


def _host_median(backend: str, a: np.ndarray, b: np.ndarray) -> float:
    with gpudot.use_backend(backend, strict=True):
        gpudot.matmul(a, b)  # warm-up (compiles kernels, creates handles)
        times = []
        for _ in range(3):
            start = time.perf_counter()
            gpudot.matmul(a, b)
            times.append(time.perf_counter() - start)
    return float(np.median(times))


PARTS: dict[str, Callable[[Context], None]] = {
    "device": device,
    "library": library,
    "float16 one output": half_one_output,
    "CUPY_TF32=1": tf32,
    "out of memory in a fresh thread": oom_fresh_thread,
    "tiled against untiled": tiled_products,
    "operands on another GPU": other_device,
    "split blocks after free_all_blocks": split_blocks,
    "pinned memory after a large copy": pinned_memory,
    "benchmarks: CUDA rows": cuda_rows,
    "benchmarks: auto's choices": auto_choices,
    "integer product past 2^31 elements": integer_index_limit,
}
