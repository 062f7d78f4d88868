"""Throughput of gpudot's Dask backend against plain NumPy on one machine.

Square ``n x n @ n x n`` products for each size, once with ``numpy.matmul`` and once per chunk
size through ``gpudot.matmul`` on Dask arrays (``.compute()`` included), interleaved so that
machine load hits every variant alike. Reports median seconds, GFLOP/s (2 n^3 / t) and the ratio
to NumPy. "budget" lets gpudot choose the chunks from its memory budget (NumPy operands).

    python benchmarks/dask_matmul.py                          # n = 4096, 8192, 16384
    python benchmarks/dask_matmul.py --sizes 4096 --chunks 1024 2048 budget --repeats 3

Needs ``pip install "gpudot[dask]"``; ``threadpoolctl`` (optional) reports the BLAS threads.
Memory: about 4 n^2 itemsize bytes (two operands, two results): 8 GiB at n = 16384 in float64.
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

import dask
import dask.array as da
import numpy as np

if __name__ == "__main__":  # run as a script: make the ``benchmarks`` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import oracle  # noqa: E402
from gpudot.backends.dask._backend import DaskBackend  # noqa: E402


def _blas_threads() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (install threadpoolctl)"
    return ", ".join(f"{i['internal_api']}:{i['num_threads']}" for i in threadpool_info()) or "none"


def _seconds(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def _variants(a: np.ndarray, b: np.ndarray, chunks: list[str]) -> dict[str, Callable[[], object]]:
    """The products to time: NumPy, then gpudot on Dask per chunk size."""
    backend = DaskBackend()
    variants: dict[str, Callable[[], object]] = {"numpy": lambda: np.matmul(a, b)}
    for chunk in chunks:
        if chunk == "budget":
            variants["dask budget"] = lambda: backend.matmul(a, b).compute()
            continue
        x = da.from_array(a, chunks=int(chunk), name=False)
        y = da.from_array(b, chunks=int(chunk), name=False)
        variants[f"dask {chunk}"] = lambda x=x, y=y: backend.matmul(x, y).compute()
    return variants


def _check(a: np.ndarray, b: np.ndarray, chunk: str) -> oracle.Comparison:
    """gpudot's product of a corner against NumPy's (guards against timing wrong work)."""
    side = min(a.shape[0], 256)
    a_corner, b_corner = a[:side], b[:, :side]
    x, y = a_corner, b_corner
    if chunk != "budget":
        x, y = da.from_array(x, chunks=int(chunk)), da.from_array(y, chunks=int(chunk))
    backend = DaskBackend()
    got = backend.to_numpy(backend.matmul(x, y))
    return oracle.compare(got, oracle.numpy_reference("matmul", a_corner, b_corner))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[4096, 8192, 16384])
    parser.add_argument(
        "--chunks",
        nargs="+",
        default=["1024", "2048", "4096", "budget"],
        help="chunk sides, or 'budget' for gpudot's own choice",
    )
    parser.add_argument("--dtype", default="float64")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--scheduler", default="threads", choices=["threads", "sync", "processes"])
    args = parser.parse_args()

    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"load {os.getloadavg()[0]:.2f}, BLAS threads {_blas_threads()}"
    )
    print(
        f"# numpy {np.__version__}, dask {dask.__version__}, dtype {args.dtype}, "
        f"scheduler {args.scheduler}, {args.repeats} repeats (median), "
        f"budget {DaskBackend().budget // 2**20} MiB"
    )
    print(f"{'n':>6} {'variant':>12} {'median s':>9} {'GFLOP/s':>8} {'vs numpy':>9}")
    rng = np.random.default_rng(0)
    with dask.config.set(scheduler=args.scheduler):
        for n in args.sizes:
            a = rng.standard_normal((n, n)).astype(args.dtype)
            b = rng.standard_normal((n, n)).astype(args.dtype)
            chunks = [c for c in args.chunks if c == "budget" or int(c) <= n]
            for chunk in chunks:
                checked = _check(a, b, chunk)
                if checked.agreement == "disagrees":
                    sys.exit(f"BUG: chunk {chunk}: gpudot disagrees with NumPy ({checked.detail})")
            variants = _variants(a, b, chunks)
            times: dict[str, list[float]] = {name: [] for name in variants}
            for _ in range(args.repeats):
                for name, run in variants.items():
                    times[name].append(_seconds(run))
            base = statistics.median(times["numpy"])
            for name, measured in times.items():
                median = statistics.median(measured)
                print(
                    f"{n:>6} {name:>12} {median:>9.3f} {2 * n**3 / median / 1e9:>8.1f} "
                    f"{base / median:>8.2f}x",
                    flush=True,
                )


if __name__ == "__main__":
    main()
