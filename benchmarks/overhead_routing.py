"""Per-call cost of "auto" (no GPU) and of the profiling hook, at 4x4 float64.

Interleaved: every repeat times each variant once, in rotating order, so machine load hits all
alike; reports the median ns per call and the median ratio to NumPy and to the NumPy backend.
Goals: "auto" within 5 % of the NumPy backend where no GPU is usable; no cost for profiling
when no profile is open (``closed`` = after a profile was opened and closed).

    python benchmarks/overhead_routing.py [--repeats 21] [--calls 20000]
"""

from __future__ import annotations

import argparse
import statistics
import timeit

import numpy as np

import gpudot


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--calls", type=int, default=20000)
    args = parser.parse_args()
    a, b = np.random.rand(4, 4), np.random.rand(4, 4)
    numpy_backend = gpudot.backends.lookup("numpy")

    def in_backend(backend):
        def run():
            with gpudot.use_backend(backend):
                return timeit.timeit(lambda: gpudot.matmul(a, b), number=args.calls)

        return run

    def closed():
        with gpudot.profile():
            pass
        with gpudot.use_backend(numpy_backend):
            return timeit.timeit(lambda: gpudot.matmul(a, b), number=args.calls)

    def profiling():
        with gpudot.use_backend(numpy_backend), gpudot.profile():
            return timeit.timeit(lambda: gpudot.matmul(a, b), number=args.calls // 10) * 10

    variants = {
        "numpy.matmul": lambda: timeit.timeit(lambda: np.matmul(a, b), number=args.calls),
        "backend numpy": in_backend(numpy_backend),
        "backend auto": in_backend("auto"),
        "numpy, profile closed": closed,
        "numpy, profile open": profiling,
    }
    times = {name: [] for name in variants}
    names = list(variants)
    for repeat in range(args.repeats):
        order = names[repeat % len(names) :] + names[: repeat % len(names)]
        for name in order:
            times[name].append(variants[name]() / args.calls * 1e9)
    base, backend = times["numpy.matmul"], times["backend numpy"]
    print(f"4x4 float64 matmul, {args.repeats} interleaved repeats x {args.calls} calls")
    with gpudot.use_backend("auto") as auto:
        print(f"'auto' here is {auto!r}")
    print(f"{'variant':<24} {'median ns':>10} {'/numpy':>8} {'/backend numpy':>15}")
    for name, values in times.items():
        to_np = statistics.median(v / n for v, n in zip(values, base, strict=True))
        to_backend = statistics.median(v / n for v, n in zip(values, backend, strict=True))
        print(f"{name:<24} {statistics.median(values):10.0f} {to_np:8.3f} {to_backend:15.3f}")


if __name__ == "__main__":
    main()
