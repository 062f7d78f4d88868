"""The PNG plot: throughput against size, one panel per case and backend mode, one colour per dtype.

matplotlib is optional (``pip install 'gpudot[bench]'``); without it the run says so and goes on.
"""

from __future__ import annotations

import math
from pathlib import Path

from benchmarks.measure import Row

__all__ = ["plot"]

SKIPPED = "plot skipped: matplotlib not installed (pip install 'gpudot[bench]')"


def plot(rows: list[Row], path: Path) -> str:
    """Draw the measured rows into ``path``; return the file name, or why no plot was drawn."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
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
        rows_of_panels, columns, figsize=(4.2 * columns, 3.4 * rows_of_panels), squeeze=False
    )
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
            ax.plot(sizes, [r.gpudot_rate for r in series], "-o", ms=3, color=colour, label=dtype)
            ax.plot(sizes, [r.raw_rate for r in series], ":", color=colour)
        ax.set(xscale="log", yscale="log", xlabel="n", ylabel="G(FL)OP/s",
               title=f"{case}, {backend} ({mode})")
        ax.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
        ax.grid(True, which="major", alpha=0.3)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=7, title="solid: gpudot, dotted: raw", title_fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path.name
