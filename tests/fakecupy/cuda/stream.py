"""``cupy.cuda.Stream``: the current stream, per thread; work is synchronous here."""

from __future__ import annotations

import threading
import time

__all__ = ["Event", "Stream", "get_current_stream", "get_elapsed_time"]

_current = threading.local()


class Stream:
    """A CUDA stream. ``Stream.null`` is the legacy default stream."""

    null: Stream

    def __init__(self, null: bool = False, non_blocking: bool = False):
        self.ptr = 0 if null else id(self)
        self._previous: list[Stream] = []

    def __enter__(self) -> Stream:
        self._previous.append(get_current_stream())
        _current.stream = self
        return self

    def __exit__(self, *exc_info: object) -> None:
        _current.stream = self._previous.pop()

    def use(self) -> Stream:
        _current.stream = self
        return self

    def synchronize(self) -> None:
        """Nothing to wait for: the stand-in computes synchronously."""

    def __repr__(self) -> str:
        return f"<Stream {self.ptr}>"


Stream.null = Stream(null=True)


def get_current_stream() -> Stream:
    """The stream work is queued on in this thread (the null stream by default)."""
    stream: Stream = getattr(_current, "stream", Stream.null)
    return stream


class Event:
    """A CUDA event: ``record`` notes the host clock (work is synchronous, so that is its time)."""

    def __init__(
        self, block: bool = False, disable_timing: bool = False, interprocess: bool = False
    ):
        from fakecupy.cuda import runtime

        runtime.check_driver()
        self._time: float | None = None

    def record(self, stream: Stream | None = None) -> None:
        self._time = time.perf_counter()

    def synchronize(self) -> None:
        """Nothing to wait for."""


def get_elapsed_time(start_event: Event, end_event: Event) -> float:
    """Milliseconds between two recorded events, as ``cupy.cuda.get_elapsed_time``."""
    if start_event._time is None or end_event._time is None:
        raise RuntimeError("cudaErrorInvalidResourceHandle: both events must be recorded")
    return (end_event._time - start_event._time) * 1e3
