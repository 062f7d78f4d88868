"""Per-call cost of tiny products on the NumPy backend: every product of the family beside NumPy.

Goal: a 4-element ``vdot``/``inner``/``outer``/``vecdot`` and a 4x4 ``dot``/``matmul``/
``matvec``/``vecmat`` cost at most 1.5x NumPy's own call. Interleaved: every repeat times each
product once with gpudot and once with NumPy, in rotating order, so machine load hits both
alike; reports the median ns per call and the median of the per-repeat ratios, with the CPU that
ran them: first in a process that never called ``use_backend``, then inside a ``use_backend``
block.

    python benchmarks/tiny_calls.py [--repeats 21] [--calls 20000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import timeit
from pathlib import Path

import numpy as np

if __name__ == "__main__":  # run as a script: make the ``benchmarks`` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import gpudot  # noqa: E402
from benchmarks.machine import cpu_line  # noqa: E402

VECTOR, MATRIX = np.arange(1.0, 5.0), np.arange(1.0, 17.0).reshape(4, 4)
#: name: (operands, NumPy's function); each product's operands have 4 elements per axis.
PRODUCTS = {
    "matmul 4x4": ((MATRIX, MATRIX), np.matmul),
    "dot 4x4": ((MATRIX, MATRIX), np.dot),
    "vdot 4": ((VECTOR, VECTOR), np.vdot),
    "inner 4": ((VECTOR, VECTOR), np.inner),
    "outer 4": ((VECTOR, VECTOR), np.outer),
    "vecdot 4": ((VECTOR, VECTOR), getattr(np, "vecdot", None)),
    "matvec 4x4": ((MATRIX, VECTOR), getattr(np, "matvec", None)),
    "vecmat 4x4": ((VECTOR, MATRIX), getattr(np, "vecmat", None)),
    "tensordot 4x4": ((MATRIX, MATRIX), np.tensordot),
}


def measure(repeats: int, calls: int) -> dict[str, tuple[float, float, float]]:
    """name: (median ns gpudot, median ns NumPy, median ratio) for each product NumPy has, on
    the backend in effect."""
    runs = {}
    for name, (operands, numpy_func) in PRODUCTS.items():
        if numpy_func is not None:
            gpudot_func = getattr(gpudot, numpy_func.__name__)
            runs[name] = (
                lambda f=gpudot_func, x=operands: f(*x),
                lambda f=numpy_func, x=operands: f(*x),
            )
    times: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in runs}
    names = list(runs)
    for repeat in range(repeats):
        for name in names[repeat % len(names) :] + names[: repeat % len(names)]:
            for side, run in zip(times[name], runs[name], strict=True):
                side.append(timeit.timeit(run, number=calls) / calls * 1e9)
    return {
        name: (
            statistics.median(ours),
            statistics.median(theirs),
            statistics.median(o / t for o, t in zip(ours, theirs, strict=True)),
        )
        for name, (ours, theirs) in times.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--calls", type=int, default=20000)
    args = parser.parse_args()
    print(f"tiny products, NumPy backend, {args.repeats} interleaved repeats x {args.calls} calls")
    print(f"CPU: {cpu_line()}; NumPy {np.__version__}")
    gpudot.set_backend("numpy")  # a process that never calls use_backend
    plain = measure(args.repeats, args.calls)
    with gpudot.use_backend("numpy"):  # from the first use_backend on, the ContextVar is read
        scoped = measure(args.repeats, args.calls)
    print("set_backend: the backend set for the process; use_backend: inside a use_backend block")
    print(f"{'product':<14} {'gpudot ns':>10} {'NumPy ns':>9} {'ratio':>6} {'use_backend':>12}")
    for name, (ours, theirs, ratio) in plain.items():
        print(f"{name:<14} {ours:10.0f} {theirs:9.0f} {ratio:6.2f} {scoped[name][2]:12.2f}")


if __name__ == "__main__":
    main()
