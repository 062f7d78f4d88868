"""Compiled matrix·vector and vector·matrix products with NumPy's bits (numba, serial).

Imported only through `gpudot.backends.numpy._kernels._load.kernels` when numba is installed.
NumPy's loop for these dtypes is scalar; these kernels keep its arithmetic:

- integers: products summed in int64 and stored in the result type, which wraps modulo 2^w like
  NumPy (any summation order gives the same residue). Unsigned operands arrive viewed as signed.
- float16: each output is a float32 sum in k order from +0.0, rounded once (a product of two
  float16 values is exact in float32, so contracting to FMA keeps the bits). Factors are widened
  through a 65536-entry table built with NumPy's own cast. Operands holding inf or NaN make the
  kernel report failure: which NaN a sum of NaNs keeps is NumPy's compiler's choice.

Each output's k sum stays in order; matrix·vector interleaves four rows, vector·matrix runs along
rows of the matrix. A matrix stored column-major is read as the other product of its transpose.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["HALF_TABLE", "half_matvec", "half_vecmat", "integer_matvec", "integer_vecmat", "matvec"]

#: float16 bit pattern -> its float32 value (NumPy's cast, so NaN payloads are NumPy's too).
HALF_TABLE = np.arange(1 << 16, dtype=np.uint16).view(np.float16).astype(np.float32)
#: Exponent bits of a float16: all set for inf and NaN.
_EXPONENT = 0x7C00

_float32 = np.dtype(np.float32)


@numba.njit(cache=True)
def integer_matvec(a: np.ndarray, x: np.ndarray, out: np.ndarray) -> None:
    """out[i] = sum_k a[i, k] * x[k], wrapping in out's integer type; a (M, K), x (K,)."""
    for i in range(a.shape[0]):
        acc = 0
        for k in range(a.shape[1]):
            acc += a[i, k] * x[k]
        out[i] = acc


@numba.njit(cache=True)
def integer_vecmat(x: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    """out[p, j] += sum_k x[k] * b[p, k, j], wrapping; b (B, K, N), out (B, N) arrives zeroed."""
    for p in range(b.shape[0]):
        row = out[p]
        for k in range(b.shape[1]):
            xk = x[k]
            bk = b[p, k]
            for j in range(row.shape[0]):
                row[j] += xk * bk[j]


@numba.njit(cache=True, fastmath={"contract"})
def half_matvec(a: np.ndarray, x: np.ndarray, table: np.ndarray, out: np.ndarray) -> bool:
    """out[i] = float32 sum in k order of table[a[i, k]] * x[k]; False if ``a`` has inf/NaN.

    a (M, K) float16 bit patterns (uint16), x (K,) float32, out (M,) float32.
    """
    m, kk = a.shape
    worst = 0
    for i in range(0, m - m % 4, 4):
        s0 = s1 = s2 = s3 = np.float32(0.0)
        for k in range(kk):
            xk = x[k]
            h0, h1, h2, h3 = a[i, k], a[i + 1, k], a[i + 2, k], a[i + 3, k]
            worst = max(worst, h0 & _EXPONENT, h1 & _EXPONENT, h2 & _EXPONENT, h3 & _EXPONENT)
            s0 += table[h0] * xk
            s1 += table[h1] * xk
            s2 += table[h2] * xk
            s3 += table[h3] * xk
        out[i], out[i + 1], out[i + 2], out[i + 3] = s0, s1, s2, s3
    for i in range(m - m % 4, m):
        s = np.float32(0.0)
        for k in range(kk):
            worst = max(worst, a[i, k] & _EXPONENT)
            s += table[a[i, k]] * x[k]
        out[i] = s
    return worst != _EXPONENT


@numba.njit(cache=True, fastmath={"contract"})
def half_vecmat(x: np.ndarray, b: np.ndarray, table: np.ndarray, out: np.ndarray) -> bool:
    """out[p, j] += table[b[p, k, j]] * x[k] for k in order; False if ``b`` has inf/NaN.

    x (K,) float32, b (B, K, N) float16 bit patterns (uint16), out (B, N) float32 zeroed.
    """
    worst = 0
    for p in range(b.shape[0]):
        row = out[p]
        for k in range(b.shape[1]):
            xk = x[k]
            bk = b[p, k]
            for j in range(row.shape[0]):
                h = bk[j]
                worst = max(worst, h & _EXPONENT)
                row[j] += table[h] * xk
    return worst != _EXPONENT


def _column_major(m: np.ndarray) -> bool:
    """Whether 2-D ``m`` is stored column by column (then its transpose is read row by row)."""
    return m.ndim == 2 and m.strides[0] == m.itemsize and m.strides[1] != m.itemsize


def matvec(a: np.ndarray, b: np.ndarray, dtype: np.dtype) -> np.ndarray | None:
    """``matmul(a, b)`` for operands in ``dtype`` (signed integer or float16), one of them 1-D.

    None where a float16 operand holds inf or NaN (NumPy's loop then computes).
    """
    if b.ndim == 1 and _column_major(a):
        a, b = b, a.T  # the same sums in the same order, read along rows
    elif a.ndim == 1 and _column_major(b):
        a, b = b.T, a
    half = dtype.kind == "f"
    vector = a if a.ndim == 1 else b
    if half:
        if not np.isfinite(vector).all():
            return None
        vector = vector.astype(_float32)
    if b.ndim == 1:  # (..., M, K) @ (K,)
        rows = a.reshape(-1, a.shape[-1])
        out = np.empty(rows.shape[0], _float32 if half else dtype)
        if half:
            ok = half_matvec(rows.view(np.uint16), vector, HALF_TABLE, out)
        else:
            integer_matvec(rows, vector, out)
        shape = a.shape[:-1]
    else:  # (K,) @ (..., K, N)
        stack = b.reshape((-1,) + b.shape[-2:])
        out = np.zeros((stack.shape[0], b.shape[-1]), _float32 if half else dtype)
        if half:
            ok = half_vecmat(vector, stack.view(np.uint16), HALF_TABLE, out)
        else:
            integer_vecmat(vector, stack, out)
        shape = b.shape[:-2] + b.shape[-1:]
    if not half:
        return out.reshape(shape)
    return out.astype(dtype).reshape(shape) if ok else None
