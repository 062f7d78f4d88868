"""Exact fast routes for the dtypes NumPy multiplies without BLAS (integers, bool, float16).

NumPy runs a plain triple loop for every dtype but float32/float64/complex. The routes here give
the same bits, faster: `gpudot.backends.numpy._exact._cost_rule` holds the rule that picks one per
call (and `may_route`, its threshold, which every caller asks first),
`gpudot.backends.numpy._exact._entry` the entry points the NumPy backend calls, `product_cost` the
rule's estimate for "auto", and docs/fast-paths.md the measurements. Routes are written against
an array namespace ``xp``; only the NumPy backend runs them (docs/fast-paths.md says why not CuPy).
"""

from gpudot.backends.numpy._exact._cost_rule import (
    BOOL_MIN_WORK,
    MATVEC_MIN_WORK,
    MIN_WORK,
    RouteCost,
    may_route,
    numpy_takes,
    product_cost,
)
from gpudot.backends.numpy._exact._entry import dot, matmul

__all__ = [
    "BOOL_MIN_WORK",
    "MATVEC_MIN_WORK",
    "MIN_WORK",
    "RouteCost",
    "dot",
    "matmul",
    "may_route",
    "numpy_takes",
    "product_cost",
]
