#!/usr/bin/env python
"""Benchmark gpudot against the library each backend wraps: ``python benchmarks/run.py [--quick]``.

Every case (see ``cases.py``) is timed on every requested backend, gpudot and the raw library
interleaved, after warm-up. Results go to the terminal (Markdown tables), to ``results.json``
(full results and the machine description), ``table.md`` and ``throughput.png`` in ``--out``.
Each row compares both results with NumPy's and says which side disagrees; where gpudot does (a
bug), the tables start by listing those rows and the run exits with status 1.
Published numbers are taken with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (see README.md).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
if __name__ == "__main__":  # run as a script: make the ``benchmarks`` package importable
    sys.path.insert(0, str(HERE.parent))

from benchmarks.cases import (  # noqa: E402
    CASES,
    DEFAULT_DTYPES,
    DEFAULT_SIZES,
    QUICK_SIZES,
    Case,
    parse_dtype,
)
from benchmarks.goals import GOAL_REPEATS, check_goals, goals_text, judges_throughput  # noqa: E402
from benchmarks.machine import describe  # noqa: E402
from benchmarks.measure import (  # noqa: E402
    Row,
    add_float32_limits,
    empty_row,
    measure,
    modes,
    unmeasured_reason,
)
from benchmarks.output import bugs_text, dispatch_table, results_table, write_json  # noqa: E402
from benchmarks.plot import plot  # noqa: E402
from benchmarks.progress import Progress  # noqa: E402
from gpudot.backends import Backend, backend_names, lookup  # noqa: E402

DISPATCH_SIZES = (2, 4, 16)


@dataclass(frozen=True)
class Settings:
    """How long to measure: repeats per row (more for rows a goal is judged on), shortest
    sample, time budget per size series (which never skips a goal row)."""

    repeats: int
    min_sample_s: float
    case_budget_s: float
    dispatch_repeats: int
    dispatch_min_sample_s: float
    goal_repeats: int


FULL = Settings(
    repeats=5,
    min_sample_s=0.005,
    case_budget_s=60.0,
    dispatch_repeats=21,
    dispatch_min_sample_s=0.02,
    goal_repeats=GOAL_REPEATS,
)
QUICK = Settings(
    repeats=3,
    min_sample_s=0.001,
    case_budget_s=2.0,
    dispatch_repeats=7,
    dispatch_min_sample_s=0.005,
    goal_repeats=3,
)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark gpudot against the library each backend wraps "
        "(see benchmarks/README.md)."
    )
    quick_sizes = " ".join(map(str, QUICK_SIZES))
    parser.add_argument(
        "--quick", action="store_true", help=f"sizes {quick_sizes}, fewer repeats: under a minute"
    )
    parser.add_argument(
        "--sizes", type=int, nargs="+", metavar="N", help="sizes n (default: 2 to 4096)"
    )
    parser.add_argument(
        "--dtypes",
        nargs="+",
        metavar="DTYPE",
        default=list(DEFAULT_DTYPES),
        help=f"NumPy (or ml_dtypes) names (default: {' '.join(DEFAULT_DTYPES)})",
    )
    parser.add_argument(
        "--backends",
        nargs="+",
        metavar="NAME",
        help="registered backend names (default: all registered)",
    )
    names = [c.name for c in CASES]
    parser.add_argument(
        "--cases",
        nargs="+",
        choices=names,
        default=names,
        metavar="CASE",
        help=f"any of {', '.join(names)} (default: all)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        metavar="N",
        help="interleaved samples per row (default 5, quick 3; in a full run at least "
        f"{GOAL_REPEATS} on the rows the throughput goal is judged on)",
    )
    parser.add_argument(
        "--case-budget",
        type=float,
        metavar="SECONDS",
        help="stop a size series when its next size is estimated to take longer "
        "(default 60, quick 2)",
    )
    parser.add_argument(
        "--blas-threads",
        type=int,
        metavar="N",
        help="limit the BLAS to N threads with threadpoolctl (default: its own)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=HERE / "results" / "latest",
        metavar="DIR",
        help="directory for results.json, table.md, throughput.png",
    )
    args = parser.parse_args(argv)
    try:
        args.dtypes = [parse_dtype(name) for name in args.dtypes]
        args.backends = _backends(args.backends or backend_names())
    except ValueError as error:
        parser.error(str(error))
    if args.repeats is not None and args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if args.blas_threads is not None and importlib.util.find_spec("threadpoolctl") is None:
        parser.error("--blas-threads needs threadpoolctl: pip install 'gpudot[bench]'")
    return args


def blas_threads(limit: int | None) -> AbstractContextManager[object]:
    """Limit the BLAS to ``limit`` threads for the block (``None``: leave it alone)."""
    if limit is None:
        return nullcontext()
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    limits: AbstractContextManager[object] = threadpool_limits(limits=limit, user_api="blas")
    return limits


def _backends(names: Sequence[str]) -> list[Backend]:
    backends = [lookup(name) for name in names]
    return list({id(b): b for b in backends}.values())


def _settings(args: argparse.Namespace) -> Settings:
    base = QUICK if args.quick else FULL
    return Settings(
        repeats=args.repeats or base.repeats,
        min_sample_s=base.min_sample_s,
        case_budget_s=args.case_budget or base.case_budget_s,
        dispatch_repeats=max(base.dispatch_repeats, args.repeats or 0),
        dispatch_min_sample_s=base.dispatch_min_sample_s,
        goal_repeats=max(base.goal_repeats, args.repeats or 0),
    )


def _dispatch(backends: list[Backend], settings: Settings, progress: Progress) -> Iterator[Row]:
    """The dispatch-overhead micro-benchmark: tiny float64 products, many calls per sample."""
    square, float64 = CASES[0], np.dtype("float64")
    for backend in backends:
        mode = modes(backend)[0]
        for n in DISPATCH_SIZES:
            reason = unmeasured_reason(backend, float64)
            if reason is None:
                yield measure(
                    square,
                    n,
                    float64,
                    backend,
                    mode,
                    settings.dispatch_repeats,
                    settings.dispatch_min_sample_s,
                )
            else:
                yield empty_row(square, n, float64, backend, mode, reason)
            progress.advance(f"dispatch {n}x{n} {backend.name}")


def _series(
    case: Case,
    dtype: np.dtype,
    backend: Backend,
    mode: str,
    sizes: list[int],
    settings: Settings,
    progress: Progress,
) -> Iterator[Row]:
    """One case over increasing sizes; stops where the next size would exceed the budget."""
    stop = unmeasured_reason(backend, dtype)
    timed: list[tuple[int, float]] = []  # (operations, slower median) of the measured sizes
    for n in sizes:
        label = f"{case.name} {dtype} n={n} {backend.name} {mode}"
        goal_row = judges_throughput(case.name, dtype, n)
        repeats = settings.goal_repeats if goal_row else settings.repeats
        if stop is None and len(timed) >= 2 and not goal_row:
            per_call = _seconds_per_call(timed, case.operations(n, dtype))
            estimate = per_call * 2 * (settings.repeats + 2)
            if estimate > settings.case_budget_s:
                stop = (
                    f"skipped: estimated {estimate:.1f} s from n={n} on, over the time budget "
                    f"per size ({settings.case_budget_s:g} s, --case-budget)"
                )
        if stop is None:
            row = measure(case, n, dtype, backend, mode, repeats, settings.min_sample_s)
            if row.gpudot_s is not None and row.raw_s is not None:
                timed.append((row.operations, max(row.gpudot_s["median"], row.raw_s["median"])))
            yield row
        else:
            yield empty_row(case, n, dtype, backend, mode, stop)
        progress.advance(label)


def _seconds_per_call(timed: list[tuple[int, float]], operations: int) -> float:
    """Extrapolate the time per call linearly in the operation count from the last two sizes.

    The line through two sizes keeps a fixed per-call cost fixed (Dask, a GPU launch), where
    scaling the last time by the operation count would stop a series after its smallest sizes.
    """
    (ops1, t1), (ops2, t2) = timed[-2:]
    slope = (t2 - t1) / (ops2 - ops1) if ops2 > ops1 else t2 / max(ops2, 1)
    return t2 + max(slope, 0.0) * (operations - ops2)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    settings = _settings(args)
    sizes = sorted(set(args.sizes or (QUICK_SIZES if args.quick else DEFAULT_SIZES)))
    cases = [c for c in CASES if c.name in args.cases]
    started, clock = datetime.now(timezone.utc), time.monotonic()
    series = [
        (c, d, b, m) for c in cases for d in args.dtypes for b in args.backends for m in modes(b)
    ]
    dispatch_rows = len(args.backends) * len(DISPATCH_SIZES)
    progress = Progress(dispatch_rows + len(series) * len(sizes))
    with blas_threads(args.blas_threads):
        machine = describe(args.backends)
        dispatch = list(_dispatch(args.backends, settings, progress))
        results = [
            row for c, d, b, m in series for row in _series(c, d, b, m, sizes, settings, progress)
        ]
    progress.close()
    add_float32_limits(results)

    args.out.mkdir(parents=True, exist_ok=True)
    goals = check_goals(dispatch, results)
    bugs = bugs_text(dispatch + results)
    sections = [bugs, goals_text(goals), dispatch_table(dispatch), results_table(results)]
    tables = "\n\n".join(section for section in sections if section) + "\n"
    (args.out / "table.md").write_text(tables)
    plotted = plot(results, args.out / "throughput.png")
    write_json(
        args.out / "results.json",
        {
            "schema_version": 1,
            "command": [Path(sys.executable).name, *sys.argv],
            "started_utc": started.isoformat(timespec="seconds"),
            "elapsed_s": round(time.monotonic() - clock, 1),
            "load_average_at_end": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
            "settings": {
                "quick": args.quick,
                "sizes": sizes,
                "dtypes": [str(d) for d in args.dtypes],
                "backends": [b.name for b in args.backends],
                "cases": [c.name for c in cases],
                "blas_threads": args.blas_threads,
                **vars(settings),
            },
            "machine": machine,
            "goals": goals,
            "dispatch": [_with_added_ns(row) for row in dispatch],
            "results": results,
            "plot": plotted,
        },
    )
    print(tables)
    print(plotted if plotted.startswith("plot skipped") else f"plot: {args.out / plotted}")
    print(f"results: {args.out / 'results.json'}")
    return 1 if bugs else 0


def _with_added_ns(row: Row) -> dict[str, Any]:
    entry = row.as_json()
    if row.gpudot_s is not None and row.raw_s is not None:
        entry["added_ns"] = (row.gpudot_s["median"] - row.raw_s["median"]) * 1e9
    else:
        entry["added_ns"] = None
    return entry


if __name__ == "__main__":
    sys.exit(main())
