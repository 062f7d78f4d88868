"""Full-range integer matmul: gpudot's NumPy backend beside np.matmul, sgemm and torch CPU.

Rows (``--products``): ``int32``, ``int64`` (against ``torch.matmul`` on the same tensors),
``int16``, and the quantized ones: ``int8:int32`` is ``matmul(a8, b8, dtype=np.int32)``, ``int8``
the int8 product with NumPy's int8 result; both against ``torch._int_mm(a8, b8)`` (PyTorch's
int8 x int8 -> int32 GEMM, whose int32 result is NumPy's bits). Goals (quantized products at
the CPU's limit): int8 -> int32 and int8 -> int8 no slower than ``torch._int_mm``, int16 at
most 0.6x the sgemm.

NumPy, gpudot and a float32 ``np.matmul`` of the same shape ("sgemm", the "float32 limit") are
timed interleaved in this process; PyTorch in its own process afterwards (its thread pool and
OpenBLAS's slow each other when interleaved on few cores). Each timing: min and median of
``--repeats`` calls after 3 warm-up calls. Prints the machine, the load average before and after,
GOP/s (2 M N K / time), and whether gpudot's bits (and torch's) equal NumPy's.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/integer_torch.py \\
        [--sizes 512 1024] [--repeats 15] [--products int8:int32 int8 int16 int32 int64] [--blocks]

``--blocks`` times each library's calls back to back instead of call by call: interleaved, each
gpudot call starts while OpenBLAS's threads still wait (busily) after the sgemm before it, and on
2 cores that slows both (docs/fast-paths.md, "The same speed every time").
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

if __name__ == "__main__":  # run as a script: make the ``benchmarks`` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import gpudot  # noqa: E402
from benchmarks.machine import cpu_line  # noqa: E402

#: Product name -> (operand dtype, ``dtype=`` of the product or None).
PRODUCTS = {
    "int8:int32": ("int8", "int32"),
    "int8": ("int8", None),
    "int16": ("int16", None),
    "int32": ("int32", None),
    "int64": ("int64", None),
}


def _operands(name: str, size: int) -> tuple[np.ndarray, np.ndarray]:
    operand = PRODUCTS[name][0]
    info = np.iinfo(operand)
    rng = np.random.default_rng(size)
    shape = (size, size)
    return tuple(  # type: ignore[return-value]
        rng.integers(info.min, info.max, shape, dtype=operand, endpoint=True) for _ in range(2)
    )


def _times(call: Callable[[], object], repeats: int, warm: int = 3) -> list[float]:
    """ms of ``repeats`` calls after ``warm`` warm-up calls."""
    for _ in range(warm):
        call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(1e3 * (time.perf_counter() - start))
    return times


def _torch_child(products: list[str], sizes: list[int], repeats: int) -> None:
    """Time PyTorch alone in this process; print one JSON line: {"name size": [min, med, bits]}."""
    import torch

    found = {}
    for size in sizes:
        for name in products:
            a, b = _operands(name, size)
            ta, tb = torch.from_numpy(a), torch.from_numpy(b)
            if PRODUCTS[name][0] == "int8":
                call = lambda ta=ta, tb=tb: torch._int_mm(ta, tb)  # noqa: E731
                expected = np.matmul(a, b, dtype=np.int32)
            else:
                call = lambda ta=ta, tb=tb: torch.matmul(ta, tb)  # noqa: E731
                expected = np.matmul(a, b)
            same = np.array_equal(call().numpy(), expected)
            times = _times(call, repeats)
            found[f"{name} {size}"] = [min(times), statistics.median(times), same]
    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads)")
    print(json.dumps(found))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1024])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--products", nargs="*", default=list(PRODUCTS), choices=list(PRODUCTS))
    parser.add_argument(
        "--blocks",
        action="store_true",
        help="time each library's calls back to back (default: call by call, interleaved)",
    )
    parser.add_argument("--torch-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.torch_child:
        _torch_child(args.products, args.sizes, args.repeats)
        return
    print(cpu_line())
    print("load average before:", Path("/proc/loadavg").read_text().strip())
    rows = []
    for size in args.sizes:
        for name in args.products:
            a, b = _operands(name, size)
            dtype = PRODUCTS[name][1]
            rng = np.random.default_rng(size)  # the same shape in float32, values that cannot
            a32, b32 = (rng.standard_normal((size, size), np.float32) for _ in range(2))  # overflow
            calls = {
                "numpy": lambda a=a, b=b, dtype=dtype: np.matmul(a, b, dtype=dtype),
                "gpudot": lambda a=a, b=b, dtype=dtype: gpudot.matmul(a, b, dtype=dtype),
                "sgemm": lambda a32=a32, b32=b32: np.matmul(a32, b32),
            }
            start = time.perf_counter()
            expected = calls["numpy"]()
            times: dict[str, list[float]] = {"numpy": [1e3 * (time.perf_counter() - start)]}
            got = calls["gpudot"]()
            same = got.dtype == expected.dtype and np.array_equal(got, expected)
            for key in ("gpudot", "sgemm"):
                times[key] = []
                _times(calls[key], 0)  # 3 warm-up calls
            slow = times["numpy"][0] > 200  # ms: NumPy's loop runs once
            if args.blocks:  # no thread pool wakes right after another's kernel
                for key in ("gpudot", "sgemm"):
                    times[key] = _times(calls[key], args.repeats)
            for _ in range(args.repeats):  # interleaved: load hits all alike
                for key, call in calls.items():
                    if (key != "numpy" or not slow) and not (args.blocks and key != "numpy"):
                        times[key] += _times(call, 1, warm=0)
            rows.append((name, size, times, same))
    print("load average after numpy/gpudot:", Path("/proc/loadavg").read_text().strip())
    command = [sys.executable, __file__, "--torch-child", "--repeats", str(args.repeats)]
    command += ["--sizes", *map(str, args.sizes), "--products", *args.products]
    out = subprocess.run(command, capture_output=True, text=True, check=True, env=os.environ.copy())
    lines = out.stdout.strip().splitlines()
    torch_times = json.loads(lines[-1])
    print(lines[-2], "in its own process")
    print("load average after torch:", Path("/proc/loadavg").read_text().strip())
    print(
        "\n| product | n | numpy ms | gpudot ms min/med | GOP/s | sgemm ms min/med | "
        "gpudot/sgemm | torch ms min/med | gpudot/torch | x numpy | bits |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, size, times, same in rows:
        low = {key: min(value) for key, value in times.items()}
        med = {key: statistics.median(value) for key, value in times.items()}
        t_low, t_med, t_same = torch_times[f"{name} {size}"]
        gops = 2 * size**3 / (low["gpudot"] * 1e-3) / 1e9
        torch_name = "_int_mm" if PRODUCTS[name][0] == "int8" else "matmul"
        print(
            f"| {name} | {size} | {med['numpy']:.1f} | {low['gpudot']:.2f} / {med['gpudot']:.2f} "
            f"| {gops:.0f} | {low['sgemm']:.2f} / {med['sgemm']:.2f} "
            f"| {low['gpudot'] / low['sgemm']:.2f} | {torch_name} {t_low:.2f} / {t_med:.2f} "
            f"| {low['gpudot'] / t_low:.2f} | {med['numpy'] / med['gpudot']:.0f}x "
            f"| {'yes' if same else 'NO'}{'' if t_same else ' (torch differs)'} |"
        )


if __name__ == "__main__":
    main()
