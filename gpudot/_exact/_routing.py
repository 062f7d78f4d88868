"""Which exact route computes a product: a small cost rule over measured per-operation costs.

Every route gives NumPy's bits; the rule only picks the cheapest. Costs are nanoseconds on a 2-core
AVX-512 KVM guest (see docs/fast-paths.md), per multiply-add (``M*N*K*batch``) for the product,
per element for the conversions a route needs, plus a fixed cost per call. NumPy's own loop wins
below `MIN_WORK` multiply-adds, where no route is even considered (so small calls stay cheap).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from gpudot._exact import _integer

__all__ = ["MIN_WORK", "integer_matmul"]

#: Products with fewer multiply-adds than this stay in NumPy's loop (no route is considered).
MIN_WORK = 32_768
#: Fixed cost of a route (Python calls, temporaries), in ns.
ROUTE_FIXED_NS = 8_000.0
#: Cost of one elementwise conversion pass, ns per element.
PASS_NS = 1.5
#: ns per multiply-add of NumPy's own integer loop, by width in bytes (np.matmul, 512^2).
NUMPY_LOOP_NS = {1: 0.63, 2: 1.09, 4: 1.35, 8: 2.45}
#: ns per multiply-add of einsum for integers, by width in bytes.
EINSUM_NS = {1: 0.052, 2: 0.057, 4: 0.13, 8: 0.35}
#: ns per multiply-add of a single-threaded float32 / float64 gemm.
GEMM_NS = {np.dtype(np.float32): 0.011, np.dtype(np.float64): 0.022}
#: Limb width for full-range integers: K * 2^(2*LIMB_BITS-2) <= 2^53 holds for K <= LIMB_MAX_K.
LIMB_BITS = 16
LIMB_MAX_K = 2 ** (55 - 2 * LIMB_BITS)


def _sizes(a: Any, b: Any) -> tuple[int, int, int, int]:
    """(batch, M, N, K) of ``matmul(a, b)`` for operands whose shapes NumPy accepted."""
    k = a.shape[-1]
    m = a.shape[-2] if a.ndim > 1 else 1
    n = b.shape[-1] if b.ndim > 1 else 1
    batch = int(np.prod(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]), dtype=np.int64))
    return batch, m, n, k


def _limb_plan(width: int, k: int) -> int:
    """Number of float64 gemms the limb route needs for ``width``-bit values."""
    count = -(-width // LIMB_BITS)
    return sum(1 for i in range(count) for j in range(count - i) if (i + j) * LIMB_BITS < width)


def integer_matmul(xp: ModuleType, a: Any, b: Any, dtype: np.dtype) -> Any | None:
    """``matmul(a, b)`` for operands already in integer ``dtype``, or None for NumPy's loop.

    Candidates: one float gemm under the exactness bound, float64 limbs, einsum; the cheapest by
    the cost rule, NumPy's loop if that is cheaper still.
    """
    batch, m, n, k = _sizes(a, b)
    work = batch * m * n * k
    if work < MIN_WORK or a.ndim + b.ndim < 3:
        return None
    width = dtype.itemsize
    elements = a.size + b.size + batch * m * n
    costs: dict[str, float] = {"numpy": work * NUMPY_LOOP_NS[width]}
    costs["einsum"] = ROUTE_FIXED_NS + work * EINSUM_NS[width]
    a, b = _integer.signed_view(a), _integer.signed_view(b)
    ftype = _integer.exact_float(k * _integer.magnitude(xp, a) * _integer.magnitude(xp, b))
    if ftype is not None:
        costs["float"] = ROUTE_FIXED_NS + work * GEMM_NS[ftype] + 3 * PASS_NS * elements
    elif width > 1 and k <= LIMB_MAX_K:
        gemms = _limb_plan(8 * width, k)
        costs["limbs"] = ROUTE_FIXED_NS + gemms * work * GEMM_NS[np.dtype(np.float64)] + (
            6 * PASS_NS * elements + gemms * 2 * PASS_NS * batch * m * n
        )
    route = min(costs, key=costs.__getitem__)
    if route == "numpy":
        return None
    if route == "einsum":
        result = _integer.einsum_matmul(xp, a, b)
    elif route == "float":
        assert ftype is not None
        result = _integer.float_gemm(xp, a, b, ftype, a.dtype)
    else:
        result = _integer.limb_gemm(xp, a, b, LIMB_BITS, 8 * width, a.dtype)
    return result.view(dtype) if result.dtype != dtype else result
