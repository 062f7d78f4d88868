"""Result output: the Markdown table (terminal and README) and the JSON file."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from itertools import groupby
from pathlib import Path
from typing import Any

from benchmarks.measure import Row

__all__ = ["bugs_text", "dispatch_table", "results_table", "write_json"]

_RESULT_HEADER = (
    "| case | dtype | n | backend | mode | gpudot | raw | IQR gpudot / raw | gpudot/raw time "
    "| gpudot / raw float32 | gpudot rate | raw rate | note |"
)


def _ms(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.3g} µs"
    return f"{seconds * 1e3:.3g} ms" if seconds < 1 else f"{seconds:.3g} s"


def _spread(stats: dict[str, float]) -> str:
    return f"{(stats['q75'] - stats['q25']) / stats['median'] * 100:.0f}%"


def _measured_line(row: Row) -> str:
    assert row.gpudot_s is not None and row.raw_s is not None
    return (
        f"| {row.case} | {row.dtype} | {row.n} | {row.backend} | {row.mode} "
        f"| {_ms(row.gpudot_s['median'])} | {_ms(row.raw_s['median'])} "
        f"| {_spread(row.gpudot_s)} / {_spread(row.raw_s)} | {row.ratio:.3f} "
        f"| {'–' if row.float32_limit is None else f'{row.float32_limit:.2f}'} "
        f"| {row.gpudot_rate:.3g} {row.unit} | {row.raw_rate:.3g} {row.unit} | {row.note} |"
    )


def _collapsed(value: Iterable[str], noun: str) -> str:
    unique = list(dict.fromkeys(value))
    return ", ".join(unique) if len(unique) <= 2 else f"{len(unique)} {noun}"


def _group_line(rows: list[Row]) -> str:
    """Consecutive rows without numbers, on one line: which cases, dtypes and sizes, and why."""
    first = rows[0]
    sizes = sorted({r.n for r in rows})
    n = str(sizes[0]) if len(sizes) == 1 else f"{sizes[0]}–{sizes[-1]}"
    cases = _collapsed((r.case for r in rows), "cases")
    dtypes = _collapsed((r.dtype for r in rows), "dtypes")
    return (
        f"| {cases} | {dtypes} | {n} | {first.backend} | {first.mode} "
        f"| – | – | – | – | – | – | – | {first.status} |"
    )


def _lines(rows: list[Row]) -> Iterator[str]:
    def key(row: Row) -> tuple[str, str, str]:
        return row.backend, row.mode, row.status

    for (_, _, status), group in groupby(rows, key):
        members = list(group)
        if status == "measured":
            yield from map(_measured_line, members)
        else:
            yield _group_line(members)


def results_table(rows: list[Row]) -> str:
    """Markdown table of all rows, by backend and mode (in the order run), case, dtype and size.

    Rows without numbers (not measured, skipped, failed) are merged when consecutive.
    """
    first_seen = {key: i for i, key in enumerate(dict.fromkeys((r.backend, r.mode) for r in rows))}
    ordered = sorted(rows, key=lambda r: first_seen[r.backend, r.mode])  # stable: case, dtype, n
    separator = "|" + "---|" * _RESULT_HEADER.count(" |")
    return "\n".join([_RESULT_HEADER, separator, *_lines(ordered)])


def bugs_text(rows: list[Row]) -> str:
    """The rows where gpudot disagrees with NumPy (each one a bug), one per line; empty if none."""
    bugs = [r for r in rows if r.gpudot_vs_numpy == "disagrees"]
    if not bugs:
        return ""
    lines = [f"BUG: gpudot disagrees with NumPy in {len(bugs)} row(s):"]
    lines += [f"- {r.case} {r.dtype} n={r.n}, {r.backend} ({r.mode}): {r.note}" for r in bugs]
    return "\n".join(lines)


def dispatch_table(rows: list[Row]) -> str:
    """Markdown table of the dispatch-overhead micro-benchmark: nanoseconds added per call."""
    lines = [
        "| n×n float64 | backend | mode | gpudot ns/call | raw ns/call | added ns/call "
        "| gpudot/raw |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        if row.gpudot_s is None or row.raw_s is None:
            lines.append(f"| {row.n} | {row.backend} | {row.mode} | – | – | – | {row.status} |")
            continue
        ours, raw = row.gpudot_s["median"] * 1e9, row.raw_s["median"] * 1e9
        lines.append(
            f"| {row.n} | {row.backend} | {row.mode} | {ours:.0f} | {raw:.0f} | {ours - raw:+.0f} "
            f"| {row.ratio:.3f} |"
        )
    return "\n".join(lines)


def write_json(path: Path, document: dict[str, Any]) -> None:
    """Write the full result set; rows become plain dicts."""

    def encode(value: Any) -> Any:
        if isinstance(value, Row):
            return value.as_json()
        raise TypeError(f"cannot store {type(value).__name__} in the results JSON")

    path.write_text(json.dumps(document, indent=1, default=encode) + "\n")
