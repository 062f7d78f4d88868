"""Full-range int32/int64 matmul: gpudot's NumPy backend beside np.matmul and torch CPU.

Goal: at 512^2, int32 at least 30x np.matmul, int64 at least 15x and no slower than
``torch.matmul`` on int64 tensors made from the same arrays. Interleaved: every repeat times
NumPy, gpudot and torch once each, so machine load hits all alike; reports min and median ms and
checks gpudot's bits against NumPy's (torch's too, for information).

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/integer_torch.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

if __name__ == "__main__":  # run as a script: make the ``benchmarks`` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import gpudot  # noqa: E402
from benchmarks.machine import cpu_line  # noqa: E402


def _seconds(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--dtypes", nargs="*", default=["int32", "int64"])
    args = parser.parse_args()
    import torch

    print(cpu_line(), f"torch {torch.__version__} ({torch.get_num_threads()} threads)")
    rng = np.random.default_rng(0)
    print(
        "| dtype | n | numpy ms min/med | gpudot ms min/med | torch ms min/med | x numpy | "
        "gpudot/torch | bits |"
    )
    for name in args.dtypes:
        info = np.iinfo(name)
        shape = (args.size, args.size)
        a = rng.integers(info.min, info.max, shape, dtype=name, endpoint=True)
        b = rng.integers(info.min, info.max, shape, dtype=name, endpoint=True)
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        calls = {
            "numpy": lambda a=a, b=b: np.matmul(a, b),
            "gpudot": lambda a=a, b=b: gpudot.matmul(a, b),
            "torch": lambda ta=ta, tb=tb: torch.matmul(ta, tb),
        }
        same = np.array_equal(gpudot.matmul(a, b), np.matmul(a, b))
        torch.matmul(ta, tb)
        times: dict[str, list[float]] = {key: [] for key in calls}
        for _ in range(args.repeats):
            for key, call in calls.items():
                times[key].append(1e3 * _seconds(call))
        low = {key: min(value) for key, value in times.items()}
        med = {key: statistics.median(value) for key, value in times.items()}
        cells = " | ".join(f"{low[key]:.2f} / {med[key]:.2f}" for key in calls)
        print(
            f"| {name} | {args.size} | {cells} | {med['numpy'] / med['gpudot']:.0f}x | "
            f"{med['gpudot'] / med['torch']:.2f} | {'yes' if same else 'NO'} |"
        )


if __name__ == "__main__":
    main()
