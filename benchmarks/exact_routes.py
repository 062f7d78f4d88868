"""Benchmark: gpudot's NumPy backend (exact routes) against raw NumPy, in one interleaved run.

    python benchmarks/exact_routes.py                 # every dtype, n = 64 256 512 1024, stacks
    python benchmarks/exact_routes.py --sizes 512 --repeats 5

Each case times raw NumPy, gpudot and ``np.matmul`` on float32 copies of the operands
alternately (medians of ``--repeats`` rounds; NumPy calls slower than ``--slow`` seconds run
once) and checks the bits are equal. "float32 limit" is gpudot's time as a multiple of that
float32 BLAS product of the same shape: how far the route is from BLAS speed. float16 and the
bfloat16 ``dot`` run with and without the numba kernels; 8- and 16-bit integers also with the
dot-product (VNNI) kernels switched off ("without VNNI"), and ``int8:int32`` is
``matmul(a8, b8, dtype=np.int32)`` (the quantized-inference product). Set the BLAS and numba
thread counts in the environment (OPENBLAS_NUM_THREADS, NUMBA_NUM_THREADS) to compare single-
and multi-threaded runs. Prints the CPU model and SIMD features and the load average.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

if __name__ == "__main__":  # run as a script: make the ``benchmarks`` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import gpudot  # noqa: E402
from benchmarks import oracle  # noqa: E402
from benchmarks.machine import cpu_line  # noqa: E402
from gpudot.backends.numpy._kernels import _cpu_features as _cpu  # noqa: E402
from gpudot.backends.numpy._kernels import _load as _numba_kernels


def operands(
    dtype: Any, shape_a: tuple[int, ...], shape_b: tuple[int, ...], family: str, seed: int = 0
):
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)

    def one(shape: tuple[int, ...]) -> np.ndarray:
        if dtype.kind == "b":
            return rng.random(shape) < float(family)
        if dtype.kind in "iu":
            info = np.iinfo(dtype)
            low, high = (
                (info.min, info.max)
                if family == "full"
                else (max(info.min, 1 - 2**10), min(info.max, 2**10 - 1))
            )
            return rng.integers(low, high, size=shape, dtype=dtype, endpoint=True)
        return rng.standard_normal(shape).astype(dtype)

    return one(shape_a), one(shape_b)


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def bench(
    func: str,
    a: np.ndarray,
    b: np.ndarray,
    repeats: int,
    slow: float,
    numba: bool,
    result: str | None = None,
    vnni: bool = True,
) -> tuple[float, float, float, bool]:
    """Median seconds of NumPy, of gpudot (numba on or off, the VNNI kernels on or off) and of
    ``np.matmul`` on float32 copies of the operands (the BLAS speed the routes aim at), and
    whether the bits agree. ``result``: the ``dtype=`` of the product."""
    _numba_kernels.ENABLED = numba
    _cpu.ENABLED = vnni
    options = {} if result is None else {"dtype": result}

    def numpy_call(a: np.ndarray, b: np.ndarray) -> Any:
        return getattr(np, func)(a, b, **options)

    def gpudot_call(a: np.ndarray, b: np.ndarray) -> Any:
        return getattr(gpudot, func)(a, b, **options)

    a32, b32 = a.astype(np.float32), b.astype(np.float32)
    first, expected = timed(lambda: numpy_call(a, b))
    _, got = timed(lambda: gpudot_call(a, b))  # warm-up (numba compile or cache load)
    same = oracle.same_bits(np.asarray(got), np.asarray(expected))
    numpy_times, gpudot_times, float32_times = [first], [], []
    for round_ in range(1 if first > slow else repeats):
        if round_:
            numpy_times.append(timed(lambda: numpy_call(a, b))[0])
        gpudot_times.append(timed(lambda: gpudot_call(a, b))[0])
        float32_times.append(timed(lambda: np.matmul(a32, b32))[0])
    t_np, t_gd, t_32 = (statistics.median(t) for t in (numpy_times, gpudot_times, float32_times))
    return t_np, t_gd, t_32, same


def cases(sizes: list[int]):
    stacks = [
        ((10000, 8, 8), (10000, 8, 8)),
        ((1000, 32, 32), (1000, 32, 32)),
        ((100, 128, 128), (100, 128, 128)),
    ]
    shapes = [((n, n), (n, n)) for n in sizes] + stacks
    for dtype in ("int8", "int16", "int32", "int64", "uint8", "uint64"):
        for family in ("full", "small"):
            for sa, sb in shapes:
                yield "matmul", dtype, family, sa, sb
    for sa, sb in shapes:
        yield "matmul", "int8:int32", "full", sa, sb
    for density in ("0.01", "0.5"):
        for sa, sb in shapes:
            yield "matmul", "bool", density, sa, sb
    for sa, sb in shapes:
        yield "matmul", "float16", "normal", sa, sb
    try:
        import ml_dtypes
    except ImportError:
        return
    for n in sizes:
        yield "dot", ml_dtypes.bfloat16, "normal", (n, n), (n, n)
        yield "matmul", ml_dtypes.bfloat16, "normal", (n, n), (n, n)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 256, 512, 1024])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--slow", type=float, default=0.5, help="NumPy calls slower than this run once"
    )
    parser.add_argument("--dtypes", nargs="*", help="only these dtype names")
    args = parser.parse_args()
    print(
        f"# {cpu_line()} ({platform.machine()}), numpy {np.__version__}, "
        f"numba {'available' if _numba_kernels.kernels() is not None else 'absent'}, "
        f"dot-product instructions: {_cpu.vnni_bits() or 'none'} bits"
    )
    print("# load average:", os.getloadavg())
    print(
        "| func | dtype | values | shape | numpy ms | gpudot ms | speed-up | float32 limit "
        "| gpudot no-numba (or without VNNI) ms | speed-up | same bits |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for func, dtype, family, sa, sb in cases(args.sizes):
        name, _, result = (dtype if isinstance(dtype, str) else np.dtype(dtype).name).partition(":")
        label = f"{name}:{result}" if result else name
        if args.dtypes and label not in args.dtypes:
            continue
        a, b = operands(name if result else dtype, sa, sb, family)
        t_np, t_gd, t_32, same = bench(
            func, a, b, args.repeats, args.slow, numba=True, result=result or None
        )
        row = [
            func,
            label,
            family,
            "x".join(map(str, sa)),
            f"{t_np * 1e3:.2f}",
            f"{t_gd * 1e3:.2f}",
            f"{t_np / t_gd:.1f}x",
            f"{t_gd / t_32:.2f}x",
        ]
        if name in ("float16", "bfloat16") and func == "dot" or name == "float16":
            t_np2, t_gd2, _, same2 = bench(func, a, b, args.repeats, args.slow, numba=False)
            row += [f"{t_gd2 * 1e3:.2f}", f"{t_np2 / t_gd2:.1f}x"]
            same = same and same2
        elif name in ("int8", "uint8", "int16", "uint16"):
            t_np2, t_gd2, _, same2 = bench(
                func, a, b, args.repeats, args.slow, True, result or None, vnni=False
            )
            row += [f"{t_gd2 * 1e3:.2f} (no VNNI)", f"{t_np2 / t_gd2:.1f}x"]
            same = same and same2
        else:
            row += ["", ""]
        print("| " + " | ".join(row + ["yes" if same else "NO"]) + " |", flush=True)
    _numba_kernels.ENABLED = True
    _cpu.ENABLED = True


if __name__ == "__main__":
    main()
