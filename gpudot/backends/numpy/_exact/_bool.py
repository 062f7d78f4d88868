"""Exact bool products: NumPy's OR of ANDs through one float32 gemm and a comparison.

``(a @ b)[i, j]`` is True iff some k has ``a[i, k] and b[k, j]``. As 0/1 float32 values the gemm
sums non-negative terms, which is positive exactly when one term is 1, for every K (rounding
never takes a sum of non-negative terms back to 0). Peak memory: float32 copies of both operands,
the float32 product and the bool result.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import numpy as np

from gpudot._tuning import DENSITY_RUNS, DENSITY_SAMPLE

__all__ = ["DENSITY_RUNS", "DENSITY_SAMPLE", "density", "gemm_any"]

_float32 = np.dtype(np.float32)


def density(xp: ModuleType, x: Any) -> float:
    """Fraction of True entries in bool ``x``, read on about `DENSITY_SAMPLE` of them.

    A C-contiguous ``x`` is read in `DENSITY_RUNS` contiguous runs spread evenly over it
    (counted at memory speed); any other on an even grid. The estimate only picks between two
    exact routes, so a sample that misjudges structured data costs time, never bits, while
    counting a large operand whole would cost more than NumPy's early-exit loop on it. Exact
    for arrays of up to `DENSITY_SAMPLE` entries; 1.0 when empty.
    """
    if x.size == 0:
        return 1.0
    if x.size > DENSITY_SAMPLE and x.flags.c_contiguous:
        step = x.size // DENSITY_RUNS
        x = x.reshape(-1)[: step * DENSITY_RUNS]
        x = x.reshape(DENSITY_RUNS, step)[:, : DENSITY_SAMPLE // DENSITY_RUNS]
    elif x.size > DENSITY_SAMPLE:
        per_axis = math.ceil(DENSITY_SAMPLE ** (1 / x.ndim))
        x = x[tuple(slice(None, None, -(-length // per_axis)) for length in x.shape)]
    return float(xp.count_nonzero(x)) / int(x.size)


def gemm_any(xp: ModuleType, a: Any, b: Any) -> Any:
    """``matmul(a, b)`` for bool operands: the float32 product compared with 0."""
    return xp.matmul(a.astype(_float32), b.astype(_float32)) > 0
