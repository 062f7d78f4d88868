"""The PNG plot: throughput against size, one panel per case and backend mode, one colour per dtype.

matplotlib is optional (``pip install 'gpudot[bench]'``); without it the run says so and goes on.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from benchmarks.measure import Row

__all__ = ["plot"]

SKIPPED = "plot skipped: matplotlib not installed (pip install 'gpudot[bench]')"


def plot(rows: list[Row], path: Path) -> str:
    """Draw the measured rows into ``path``; return the file name, or why no plot was drawn."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.lines import Line2D
    except ImportError:
        return SKIPPED
    measured = [r for r in rows if r.gpudot_rate is not None]
    panels = list(dict.fromkeys((r.case, r.backend, r.mode) for r in measured))
    if not panels:
        return "plot skipped: nothing was measured"
    dtypes = list(dict.fromkeys(r.dtype for r in measured))
    colours = {d: plt.get_cmap("tab10")(i % 10) for i, d in enumerate(dtypes)}
    columns = min(4, len(panels))
    rows_of_panels = math.ceil(len(panels) / columns)
    figure, axes = plt.subplots(
        rows_of_panels,
        columns,
        figsize=(4.2 * columns, 3.4 * rows_of_panels),
        squeeze=False,
        layout="constrained",
    )
    layouts = {r.case: r.layout for r in measured}
    for ax, panel in zip(axes.flat, panels, strict=False):
        case, backend, mode = panel
        for dtype in dtypes:
            series = sorted(
                (r for r in measured if (r.case, r.backend, r.mode, r.dtype) == (*panel, dtype)),
                key=lambda r: r.n,
            )
            if not series:
                continue
            sizes, colour = [r.n for r in series], colours[dtype]
            ax.plot(sizes, [r.gpudot_rate for r in series], "-o", ms=3, color=colour)
            ax.plot(sizes, [r.raw_rate for r in series], ":", color=colour)
        ax.set(xscale="log", yscale="log", xlabel="n", ylabel="G(FL)OP/s")
        ax.set_title(f"{case}, {backend} ({mode})\n{layouts[case]}", fontsize=9)
        ax.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
        ax.grid(True, which="major", alpha=0.3)
    handles = [Line2D([], [], color=colours[d], marker="o", ms=3, label=d) for d in dtypes]
    spare = list(axes.flat)[len(panels) :]
    for ax in spare:
        ax.set_visible(False)
    legend: dict[str, Any] = {
        "title": "solid: gpudot, dotted: raw",
        "fontsize": 8,
        "title_fontsize": 8,
    }
    if spare:
        spare[0].set_visible(True)
        spare[0].axis("off")
        spare[0].legend(handles=handles, loc="center", **legend)
    else:
        figure.legend(handles=handles, loc="outside lower center", ncols=len(handles), **legend)
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path.name
