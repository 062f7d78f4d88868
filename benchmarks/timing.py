"""Timing gpudot against the raw library: interleaved samples on the host clock or CUDA events.

A *sampler* runs a callable ``number`` times and returns seconds per call. After the caller has
warmed both callables up, `time_pair` times one call of each, picks ``number`` so that a sample
lasts at least ``min_sample_s``, then alternates gpudot and raw sample by sample (swapping which
goes first each repeat), so drift in machine load hits both alike. The ratio is the median of the
repeats' own ratios (each gpudot sample over the raw sample next to it), so a slow phase of the
machine that covers one pair is compared with itself, not with a fast phase elsewhere.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Pair", "Stats", "cuda_sampler", "host_sampler", "time_pair"]

Sampler = Callable[[int], float]


@dataclass(frozen=True)
class Stats:
    """Summary of per-call times in seconds: median, interquartile range, extremes."""

    median: float
    q25: float
    q75: float
    min: float
    max: float

    @classmethod
    def of(cls, samples: list[float]) -> Stats:
        q25, median, q75 = np.percentile(samples, [25, 50, 75])
        return cls(float(median), float(q25), float(q75), min(samples), max(samples))


@dataclass(frozen=True)
class Pair:
    """Interleaved timings of gpudot and the raw library for one product."""

    gpudot: Stats
    raw: Stats
    calls_per_sample: int
    repeats: int
    #: Median over repeats of gpudot's time over the adjacent raw time (above 1: gpudot slower).
    ratio: float


def host_sampler(func: Callable[[], Any]) -> Sampler:
    """Wall-clock sampler for work that is finished when ``func`` returns (the CPU)."""

    def sample(number: int) -> float:
        start = time.perf_counter()
        for _ in range(number):
            func()
        return (time.perf_counter() - start) / number

    return sample


def cuda_sampler(func: Callable[[], Any], clock: str, benchmark: Callable[..., Any]) -> Sampler:
    """Sampler built on ``cupyx.profiler.benchmark`` (passed in, so CuPy is imported lazily).

    ``clock="gpu"`` reads the CUDA-event times of the current stream (device-resident work);
    ``clock="cpu"`` reads host times, right for host-in/host-out calls that synchronise anyway.
    """

    def sample(number: int) -> float:
        result = benchmark(func, n_repeat=number, n_warmup=0)
        times = result.gpu_times[0] if clock == "gpu" else result.cpu_times
        return float(np.mean(times))

    return sample


def time_pair(gpudot: Sampler, raw: Sampler, repeats: int, min_sample_s: float) -> Pair:
    """Take ``repeats`` interleaved samples of each (warm both up first)."""
    per_call = max(gpudot(1), raw(1), 1e-9)
    number = max(1, math.ceil(min_sample_s / per_call))
    samples: dict[bool, list[float]] = {True: [], False: []}
    for repeat in range(repeats):
        for is_gpudot in (True, False) if repeat % 2 == 0 else (False, True):
            samples[is_gpudot].append((gpudot if is_gpudot else raw)(number))
    ratio = float(np.median(np.divide(samples[True], samples[False])))
    return Pair(Stats.of(samples[True]), Stats.of(samples[False]), number, repeats, ratio)
