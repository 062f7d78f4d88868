"""Which exact route computes a product: a small cost rule over measured per-operation costs.

Every route gives NumPy's bits; the rule only picks the cheapest. Costs are nanoseconds on a 2-core
AVX-512 KVM guest (see docs/fast-paths.md), per multiply-add (``M*N*K*batch``) for the product,
per element for the conversions a route needs, plus a fixed cost per call. NumPy's own loop wins
below `MIN_WORK` multiply-adds, where no route is even considered (so small calls stay cheap).
"""

from __future__ import annotations

import functools
import math
from types import ModuleType
from typing import Any

import numpy as np

from gpudot._exact import _bool, _integer, _ordered
from gpudot._precision import current_precision

__all__ = ["BOOL_MIN_WORK", "MIN_WORK", "bool_matmul", "half_matmul", "integer_matmul"]

#: Products with fewer multiply-adds than this stay in NumPy's loop (no route is considered).
MIN_WORK = 32_768
#: Integer and bool stacks of matrices smaller than this (M*N*K) stay in NumPy's loop: its
#: per-matrix cost is lower than a float gemm call's on small matrices.
MATRIX_MIN_WORK = 65_536
#: Fixed cost of a route (Python calls, temporaries), in ns.
ROUTE_FIXED_NS = 5_000.0
#: Cost of one elementwise conversion pass, ns per element (measured 0.1 in cache to 0.6 from
#: memory for int8 to int64 casts to and from float).
PASS_NS = 0.3
#: Python and ufunc calls around each float64 gemm of the limb route (digits, casts, shift, add).
LIMB_STEP_NS = 15_000.0
#: ns per multiply-add of NumPy's own integer loop, by width in bytes (np.matmul, 512^2).
NUMPY_LOOP_NS = {1: 0.63, 2: 1.09, 4: 1.35, 8: 2.45}
#: ns per multiply-add of einsum for integers, by width in bytes.
EINSUM_NS = {1: 0.052, 2: 0.057, 4: 0.13, 8: 0.5}
_FLOAT32 = np.dtype(np.float32)
#: ns per multiply-add of a single-threaded float32 / float64 gemm.
GEMM_NS = {_FLOAT32: 0.011, np.dtype(np.float64): 0.022}
#: Reading max|x| off an operand (`gpudot._exact._integer.magnitude`, a min and a max pass):
#: ns per operand and per byte read.
MAGNITUDE_FIXED_NS = 3_500.0
MAGNITUDE_BYTE_NS = 0.05
#: ns per matrix of a stack (loop set-up): NumPy's loop, einsum, one gemm.
NUMPY_MATRIX_NS = 300.0
EINSUM_MATRIX_NS = 600.0
GEMM_MATRIX_NS = 80.0
#: Bool products below this many multiply-adds stay with NumPy without looking at the data:
#: counting the operands' densities costs several microseconds, more than NumPy's early-exit loop
#: takes on small dense inputs (64 x 64: about 5 us), so deciding would make those slower.
BOOL_MIN_WORK = 1 << 22
#: ns per step of NumPy's bool loop (it stops at the first k where both factors are True).
NUMPY_BOOL_STEP_NS = 0.3
#: The pure-array float16 route pays per k step; it needs at least this many outputs per step.
ORDERED_MIN_OUTPUTS = 1_024


def _sizes(a: Any, b: Any) -> tuple[int, int, int, int]:
    """(batch, M, N, K) of ``matmul(a, b)`` for operands whose shapes NumPy accepted."""
    k = a.shape[-1]
    m = a.shape[-2] if a.ndim > 1 else 1
    n = b.shape[-1] if b.ndim > 1 else 1
    return math.prod(broadcast_batch(a.shape[:-2], b.shape[:-2])), m, n, k


def broadcast_batch(left: tuple[int, ...], right: tuple[int, ...]) -> tuple[int, ...]:
    """The broadcast of two stack shapes (cheap when one is empty, the common case)."""
    if not left or left == right:
        return right
    return left if not right else np.broadcast_shapes(left, right)


@functools.lru_cache(maxsize=256)
def limb_gemms(width: int, k: int) -> int:
    """Number of float64 gemms `gpudot._exact._integer.limb_gemm` runs."""
    return sum(
        len(range(offset, width, b_bits)) for offset, _, b_bits in _integer.limb_plan(width, k)
    )


def integer_matmul(xp: ModuleType, a: Any, b: Any, dtype: np.dtype) -> Any | None:
    """``matmul(a, b)`` for operands already in integer ``dtype``, or None for NumPy's loop.

    Candidates: einsum, one float gemm under the exactness bound, float64 limbs; the cheapest by
    the cost rule, NumPy's loop if that is cheaper still. The dtype alone bounds every |x|, which
    is enough for int8 and int16 to take a float gemm. Reading max|a| and max|b| off the data
    (one min and one max pass over each) can allow float32, or a gemm at all for int32/int64.
    On large values the read is wasted, so it is paid only where what it can save (a float32
    gemm in place of the best route known without it) exceeds what it can waste (its own cost):
    a product NumPy or einsum does cheaply (small, or matrix-vector) is not slowed by the read.
    """
    batch, m, n, k = _sizes(a, b)
    work = batch * m * n * k
    if work < MIN_WORK or a.ndim + b.ndim < 3 or (batch > 1 and m * n * k < MATRIX_MIN_WORK):
        return None
    width = dtype.itemsize
    elements: int = a.size + b.size + batch * m * n

    def float_ns(ftype: np.dtype) -> float:
        return (
            ROUTE_FIXED_NS + batch * GEMM_MATRIX_NS + work * GEMM_NS[ftype] + 3 * PASS_NS * elements
        )

    costs: dict[str, float] = {"numpy": batch * NUMPY_MATRIX_NS + work * NUMPY_LOOP_NS[width]}
    costs["einsum"] = ROUTE_FIXED_NS + batch * EINSUM_MATRIX_NS + work * EINSUM_NS[width]
    a, b = _integer.signed_view(a), _integer.signed_view(b)
    ftype = _integer.exact_float(k * _integer.dtype_magnitude(dtype) ** 2)
    if ftype is None:
        costs["limbs"] = (
            ROUTE_FIXED_NS
            + limb_gemms(8 * width, k)
            * (
                LIMB_STEP_NS
                + batch * GEMM_MATRIX_NS
                + work * GEMM_NS[np.dtype(np.float64)]
                + 2 * PASS_NS * batch * m * n
            )
            + 6 * PASS_NS * elements
        )
    else:
        costs["float"] = float_ns(ftype)
    read_ns = 2 * MAGNITUDE_FIXED_NS + MAGNITUDE_BYTE_NS * (a.nbytes + b.nbytes)
    data_may_help = ftype is None or ftype != _FLOAT32  # float32, or a gemm at all
    if data_may_help and 2 * read_ns + float_ns(_FLOAT32) < min(costs.values()):
        found = _integer.exact_float(k * _integer.magnitude(a) * _integer.magnitude(b))
        if found is not None:
            ftype = found
            costs["float"] = float_ns(found)
    route = min(costs, key=costs.__getitem__)
    if route == "numpy":
        return None
    if route == "einsum":
        result = _integer.einsum_matmul(xp, a, b)
    elif route == "float":
        assert ftype is not None
        result = _integer.float_gemm(xp, a, b, ftype, a.dtype)
    else:
        result = _integer.limb_gemm(xp, a, b, 8 * width, a.dtype)
    return result.view(dtype) if result.dtype != dtype else result


def bool_matmul(xp: ModuleType, a: Any, b: Any, dtype: np.dtype) -> Any | None:
    """``matmul(a, b)`` for bool operands, or None where NumPy's early exit is cheaper.

    NumPy stops at the first k where both factors are True: on random inputs of densities p and
    q that is about ``min(K, 1/(p*q))`` steps per output, so dense inputs stay with NumPy. Where
    the gemm loses even to NumPy's slowest loop (K steps per output: matrix-vector, say), the
    densities are not read at all; elsewhere they are estimated on a small grid of entries.
    """
    batch, m, n, k = _sizes(a, b)
    work = batch * m * n * k
    if work < BOOL_MIN_WORK or a.ndim + b.ndim < 3 or (batch > 1 and m * n * k < MATRIX_MIN_WORK):
        return None
    elements = a.size + b.size + batch * m * n
    gemm_ns = ROUTE_FIXED_NS + work * GEMM_NS[_FLOAT32] + 2 * PASS_NS * elements
    if gemm_ns >= work * NUMPY_BOOL_STEP_NS:
        return None
    both = _bool.density(xp, a) * _bool.density(xp, b)
    steps = k if both * k <= 1 else 1 / both
    numpy_ns = batch * m * n * steps * NUMPY_BOOL_STEP_NS
    return _bool.gemm_any(xp, a, b) if gemm_ns < numpy_ns else None


def half_matmul(xp: ModuleType, a: Any, b: Any, dtype: np.dtype) -> Any | None:
    """``matmul(a, b)`` for float16 (or bfloat16 ``dot``) operands with NumPy's bits, or None.

    Precision ``"fast"`` takes float32 BLAS (not NumPy's bits; bound in `gpudot._exact._ordered`).
    Operands with inf or NaN stay with NumPy: its loop decides which NaN (sign, payload) a sum
    of NaNs keeps by the operand order its compiler chose, which no other code reproduces.
    Otherwise the numba kernel when available, else ordered rank-1 updates when there are enough
    outputs per k step to pay for them.
    """
    batch, m, n, k = _sizes(a, b)
    if batch * m * n * k < MIN_WORK or a.ndim + b.ndim < 3:
        return None
    if current_precision() == "fast":
        return _ordered.blas_rounded(xp, a, b, dtype)
    if not (_ordered.all_finite(xp, a) and _ordered.all_finite(xp, b)):
        return None  # which NaN a sum of NaNs keeps depends on NumPy's compiled operand order
    if xp is np:
        compiled = _ordered.ordered_compiled(a, b, dtype)
        if compiled is not None:
            return compiled
    if batch * m * n < ORDERED_MIN_OUTPUTS:
        return None
    return _ordered.ordered_rank1(xp, a, b, dtype)
