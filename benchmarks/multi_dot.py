"""What `gpudot.linalg.multi_dot`'s chosen order saves over multiplying left to right.

For each chain, times ``gpudot.linalg.multi_dot`` (cheapest order, see `gpudot.linalg.chain_order`),
``numpy.linalg.multi_dot``, and the fixed orders ``(a @ b) @ c`` (left to right) and
``a @ (b @ c)`` (right to left) with NumPy, interleaved in one loop so machine load hits every
variant alike. Reports the median seconds of each, the saving of gpudot's order over the worse
fixed order, and the multiply-adds of each order.

    python benchmarks/multi_dot.py                 # the default chains, 15 repeats
    python benchmarks/multi_dot.py --repeats 15
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time
from collections.abc import Callable

import numpy as np

import gpudot
from gpudot.linalg import chain_order

CHAINS = {
    "10x1000 1000x10 10x1000": (10, 1000, 10, 1000),
    "1000x10 10x1000 1000x10": (1000, 10, 1000, 10),
    "300x20 20x400 400x10 10x300": (300, 20, 400, 10, 300),
}


def _seconds(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def left_to_right_cost(dims: tuple[int, ...]) -> int:
    """Multiply-adds of ``((A B) C) D ...``."""
    return sum(dims[0] * dims[k] * dims[k + 1] for k in range(1, len(dims) - 1))


def right_to_left_cost(dims: tuple[int, ...]) -> int:
    """Multiply-adds of ``... B (C D)``."""
    return left_to_right_cost(dims[::-1])


def bench(dims: tuple[int, ...], repeats: int) -> dict[str, float]:
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((dims[i], dims[i + 1])) for i in range(len(dims) - 1)]
    variants = {
        "gpudot": lambda: gpudot.linalg.multi_dot(arrays),
        "numpy": lambda: np.linalg.multi_dot(arrays),
        "left-to-right": lambda: functools.reduce(np.matmul, arrays),
        "right-to-left": lambda: functools.reduce(lambda acc, x: x @ acc, arrays[::-1]),
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(repeats):
        for name, run in variants.items():
            times[name].append(_seconds(run))
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    gpudot.set_backend("numpy")
    print(f"numpy {np.__version__}, float64, median of {args.repeats} interleaved repeats")
    columns = [
        "gpudot s",
        "numpy s",
        "l-to-r s",
        "r-to-l s",
        "worse/gpudot",
        "madds gpudot",
        "madds l-to-r",
        "madds r-to-l",
    ]
    print(f"{'chain':30}" + "".join(f"{c:>14}" for c in columns))
    for label, dims in CHAINS.items():
        median = bench(dims, args.repeats)
        worse = max(median["left-to-right"], median["right-to-left"])
        row = [
            f"{median[name]:.5f}" for name in ("gpudot", "numpy", "left-to-right", "right-to-left")
        ]
        row.append(f"{worse / median['gpudot']:.1f}")
        row += [
            f"{cost:,d}"
            for cost in (chain_order(dims)[0], left_to_right_cost(dims), right_to_left_cost(dims))
        ]
        print(f"{label:30}" + "".join(f"{c:>14}" for c in row))


if __name__ == "__main__":
    main()
