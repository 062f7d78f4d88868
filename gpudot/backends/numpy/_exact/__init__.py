"""Exact fast routes for the dtypes NumPy multiplies without BLAS (integers, bool, float16).

NumPy runs a plain triple loop for every dtype but float32/float64/complex. The routes here give
the same bits, faster: `gpudot.backends.numpy._exact._cost_rule` holds the rule that picks one per
call, `gpudot.backends.numpy._exact._entry` the entry points the NumPy backend calls, `product_cost`
the rule's estimate for "auto", and docs/fast-paths.md the measurements. Routes are written against
an array namespace ``xp``; only the NumPy backend runs them (docs/fast-paths.md says why not CuPy).
"""

from gpudot.backends.numpy._exact._cost_rule import (
    BOOL_MIN_WORK,
    MATVEC_MIN_WORK,
    MIN_WORK,
    RouteCost,
    product_cost,
)
from gpudot.backends.numpy._exact._entry import dot, matmul

__all__ = [
    "BOOL_MIN_WORK",
    "LEAST_WORK",
    "MIN_WORK",
    "RouteCost",
    "dot",
    "matmul",
    "product_cost",
]

#: The fewest multiply-adds any route takes (products with a 1-D operand start lower).
LEAST_WORK = min(MIN_WORK, MATVEC_MIN_WORK)
