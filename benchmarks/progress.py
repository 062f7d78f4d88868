"""A progress bar on stderr, shown only once a run has lasted a few seconds."""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Progress"]


class Progress:
    """Counts finished rows out of ``total``.

    On a terminal the bar redraws in place; otherwise (a log, a pipe) one line is written per
    tenth of the work. Nothing is written during the first ``delay_s`` seconds.
    """

    def __init__(self, total: int, stream: TextIO | None = None, delay_s: float = 2.0):
        self.total, self.done = max(total, 1), 0
        self.stream = stream or sys.stderr
        self.delay_s = delay_s
        self.start = time.monotonic()
        self.shown = False
        self._last_tenth = 0

    def advance(self, label: str, count: int = 1) -> None:
        self.done = min(self.total, self.done + count)
        elapsed = time.monotonic() - self.start
        if elapsed < self.delay_s:
            return
        fraction = self.done / self.total
        width = 30
        bar = "#" * round(fraction * width) + "." * (width - round(fraction * width))
        line = f"[{bar}] {self.done}/{self.total} {elapsed:5.0f} s  {label}"
        if self.stream.isatty():
            self.stream.write("\r" + line[:120].ljust(120))
            self.shown = True
        elif int(fraction * 10) > self._last_tenth or not self.shown:
            self._last_tenth = int(fraction * 10)
            self.stream.write(line + "\n")
            self.shown = True
        self.stream.flush()

    def close(self) -> None:
        if self.shown and self.stream.isatty():
            self.stream.write("\n")
            self.stream.flush()
