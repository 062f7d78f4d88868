"""Whether gpudot's compiled products run at the same speed whatever ran before them.

Each order of products runs in a fresh process: every product in turn, ``--calls`` timed calls
each (after its first call, which may compile or load kernels), and the order's products again.
For every product the script reports the best time of each place it ran in, then the spread:
how much slower than its best over all orders its *worst* place's best was (``--calls`` best,
so one scheduler hiccup does not count; the second and later calls of a run, so a first call
that loads kernels does not either). The goal is a spread within 20 %.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/warm_orders.py [--calls 7]

Products (512^2 by default, full-range values): int32, int64, float16 (the ordered kernel),
int8 -> int32 (the dot-product kernels where the CPU has them), and a float32 BLAS product
between them as a pipeline has (``--no-blas`` leaves it out). Prints the machine, the load
average before and after, and a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

if __name__ == "__main__":  # run as a script: make the ``benchmarks`` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

#: The products, by name: (operand dtype, ``dtype=`` of the product or None).
PRODUCTS = {
    "int32": ("int32", None),
    "int64": ("int64", None),
    "float16": ("float16", None),
    "int8->int32": ("int8", "int32"),
    "float32": ("float32", None),
}

#: The orders run, each in its own process (the float32 BLAS product where a pipeline has it).
ORDERS = (
    ("int32", "int64", "int32"),
    ("int64", "int32", "int64"),
    ("int64",),
    ("float32", "int64", "float16", "int8->int32", "int32"),
    ("int8->int32", "float32", "int8->int32", "int64", "float16"),
    ("float16", "int32", "float32", "int64", "int8->int32"),
)


def _child(order: list[str], size: int, calls: int) -> None:
    """Run ``order`` in this process; print one JSON line of [name, best ms] per place."""
    import numpy as np

    import gpudot

    rng = np.random.default_rng(0)
    made = {}
    for name in dict.fromkeys(order):
        operand, dtype = PRODUCTS[name]
        if np.dtype(operand).kind == "i":
            info = np.iinfo(operand)
            pair = [
                rng.integers(info.min, info.max, (size, size), dtype=operand, endpoint=True)
                for _ in range(2)
            ]
        else:
            pair = [rng.standard_normal((size, size)).astype(operand) for _ in range(2)]
        made[name] = (pair, dtype)
    places = []
    for name in order:
        (a, b), dtype = made[name]
        gpudot.matmul(a, b, dtype=dtype)  # first call: compiles or loads kernels
        times = []
        for _ in range(calls):
            start = time.perf_counter()
            gpudot.matmul(a, b, dtype=dtype)
            times.append(time.perf_counter() - start)
        places.append([name, 1e3 * min(times)])
    print(json.dumps(places))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--calls", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=2, help="times each order is run")
    parser.add_argument("--no-blas", action="store_true", help="leave out the float32 product")
    parser.add_argument("--child", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        _child(args.child, args.size, args.calls)
        return
    from benchmarks.machine import cpu_line

    orders = [o for o in ORDERS if not (args.no_blas and "float32" in o)]
    print(cpu_line())
    print("load average before:", Path("/proc/loadavg").read_text().strip())
    best: dict[str, list[float]] = {}
    rows = []
    for _ in range(args.rounds):
        for order in orders:
            command = [sys.executable, __file__, "--size", str(args.size), "--calls"]
            command += [str(args.calls), "--child", *order]
            out = subprocess.run(
                command, capture_output=True, text=True, check=True, env=os.environ.copy()
            )
            places = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append(places)
            for name, ms in places:
                best.setdefault(name, []).append(ms)
    print("load average after: ", Path("/proc/loadavg").read_text().strip())
    print(f"\n{args.size}^2, best of {args.calls} calls after the first, fresh process per row\n")
    print("| order (ms per product, in the order run) |")
    print("|---|")
    for places in rows:
        print("| " + ", then ".join(f"{name} {ms:.2f}" for name, ms in places) + " |")
    print("\n| product | best ms | worst place's ms | spread |")
    print("|---|---|---|---|")
    for name, values in best.items():
        low, high = min(values), max(values)
        print(f"| {name} | {low:.2f} | {high:.2f} | {100 * (high / low - 1):.0f} % |")


if __name__ == "__main__":
    main()
