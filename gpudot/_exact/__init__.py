"""Exact fast routes for the dtypes NumPy multiplies without BLAS (integers, bool, float16).

NumPy runs a plain triple loop for every dtype but float32/float64/complex. The routes here give
the same bits, faster: `gpudot._exact._routing` holds the rule that picks one per call,
`gpudot._exact._dispatch` the entry points the NumPy backend calls, and docs/fast-paths.md the
measurements. Routes are written against an array namespace ``xp``.
"""

from gpudot._exact._dispatch import dot, matmul

__all__ = ["dot", "matmul"]
