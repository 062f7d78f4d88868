"""Exact integer products through float gemm, limbs or einsum, bit for bit NumPy's.

NumPy sums integer products in the result type itself, so its answer is the exact sum of the
products modulo 2^w (w = bits of the result). Addition modulo 2^w is associative, so any route whose
partial sums are exact gives the same bits, whatever its summation order, blocking or threads.

- `float_gemm`: one float gemm when ``K * max|a| * max|b| <= 2^p`` (p = 24 for float32, 53 for
  float64): every partial sum is then an integer the float type holds exactly.
- `limb_gemm`: full-range operands split into balanced L-bit limbs; one float64 gemm per limb pair
  whose shift is below w, recombined with wrapping int64 shifts and adds.
- `einsum_matmul`: ``einsum('...ij,...jk->...ik')``, which wraps exactly as matmul does.

Operands arrive already cast to the integer loop dtype; unsigned operands are viewed as the signed
type of the same width (the same residues modulo 2^w). Functions take the array namespace ``xp``.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

__all__ = ["einsum_matmul", "float_gemm", "limb_gemm", "magnitude", "signed_view"]

#: Largest integer below which every float32 / float64 partial sum is exact.
FLOAT32_EXACT = 2**24
FLOAT64_EXACT = 2**53


def signed_view(x: Any) -> Any:
    """``x`` as the signed integer type of its width (a view: the same residues modulo 2^w)."""
    if x.dtype.kind == "u":
        return x.view(np.dtype(f"i{x.dtype.itemsize}"))
    return x


def magnitude(xp: ModuleType, x: Any) -> int:
    """max |x| as a Python int (from min and max, so ``abs(INT_MIN)`` cannot overflow)."""
    if x.size == 0:
        return 0
    return max(-int(xp.min(x)), int(xp.max(x)))


def exact_float(bound: int) -> np.dtype | None:
    """The cheapest float type holding every partial sum up to ``bound`` exactly, or None."""
    if bound <= FLOAT32_EXACT:
        return np.dtype(np.float32)
    if bound <= FLOAT64_EXACT:
        return np.dtype(np.float64)
    return None


def float_gemm(xp: ModuleType, a: Any, b: Any, ftype: np.dtype, dtype: np.dtype) -> Any:
    """``a @ b`` in ``dtype`` through one ``ftype`` gemm; the caller has checked the bound.

    Peak memory: the two float copies of the operands plus the float result and one integer
    result (float64 -> int64 -> ``dtype`` for narrow types adds one more output-sized array).
    """
    product = xp.matmul(a.astype(ftype), b.astype(ftype))
    wide = np.dtype(np.int32) if ftype == np.float32 else np.dtype(np.int64)
    return product.astype(wide).astype(dtype, copy=False)


def _limbs(xp: ModuleType, x: Any, bits: int, count: int) -> list[Any]:
    """Balanced ``bits``-bit limbs of int64 ``x`` as float64: ``x = sum(limb_i * 2^(i*bits))``.

    Each limb lies in [-2^(bits-1), 2^(bits-1)], so products of two limbs stay below 2^(2*bits-2).
    """
    limbs = []
    half = 1 << (bits - 1)
    rest = x
    for i in range(count):
        if i == count - 1:
            limbs.append(rest.astype(np.float64))
            break
        low = ((rest + half) & ((1 << bits) - 1)) - half
        limbs.append(low.astype(np.float64))
        rest = (rest - low) >> bits
    return limbs


def limb_gemm(xp: ModuleType, a: Any, b: Any, bits: int, width: int, dtype: np.dtype) -> Any:
    """``a @ b`` modulo 2^width in ``dtype`` with float64 gemms on ``bits``-bit limbs.

    The caller picks ``bits`` so that ``K * 2^(2*bits-2) <= 2^53``. Only limb pairs with shift
    ``(i + j) * bits < width`` contribute modulo 2^width. Peak memory: the limbs of both operands
    (as float64), one float64 and two int64 arrays of the output size.
    """
    count = -(-width // bits)
    limbs_a = _limbs(xp, a.astype(np.int64), bits, count)
    limbs_b = _limbs(xp, b.astype(np.int64), bits, count)
    total = None
    for i in range(count):
        for j in range(count - i):
            shift = (i + j) * bits
            if shift >= width:
                continue
            term = xp.matmul(limbs_a[i], limbs_b[j]).astype(np.int64)
            if shift:
                term <<= shift
            if total is None:
                total = term
            else:
                total += term
    return total.astype(dtype, copy=False)


def einsum_matmul(xp: ModuleType, a: Any, b: Any) -> Any:
    """``matmul(a, b)`` through einsum (same dtype, same wraparound, no extra memory)."""
    left = "...ij" if a.ndim > 1 else "j"
    right = "...jk" if b.ndim > 1 else "j"
    result = ("...i" if a.ndim > 1 else "...") + ("k" if b.ndim > 1 else "")
    return xp.einsum(f"{left},{right}->{result}", a, b)
