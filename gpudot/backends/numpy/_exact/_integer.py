"""Exact integer products through float gemm, limbs or einsum, bit for bit NumPy's.

NumPy sums integer products in the result type itself, so its answer is the exact sum of the
products modulo 2^w (w = bits of the result). Addition modulo 2^w is associative, so any route whose
partial sums are exact gives the same bits, whatever its summation order, blocking or threads.

- `float_gemm`: one float gemm when ``K * max|a| * max|b| <= 2^p`` (p = 24 for float32, 53 for
  float64): every partial sum is then an integer the float type holds exactly.
- `limb_gemm`: full-range operands split into balanced limbs (`limb_plan` picks their widths);
  one float64 gemm per limb pair whose shift is below w, recombined with wrapping int64 shifts
  and adds.
- `einsum_matmul`: ``einsum('...ij,...jk->...ik')``, which wraps exactly as matmul does.
- `compiled_matmul`: the numba kernels of `gpudot.backends.numpy._kernels._integer` (NumPy arrays
  only): SIMD multiply-adds in lanes of the operands' own width, wrapping like NumPy's loop.
- `dot_product_matmul`: 8- and 16-bit operands through the dot-product instructions (VNNI) of
  `gpudot.backends.numpy._kernels._vnni`, summed in int32 lanes modulo 2^32, for any result dtype
  NumPy gives them (its own width, or ``dtype=`` int32 / int64 without widening the operands first).

Operands arrive already cast to the integer loop dtype; unsigned operands are viewed as the signed
type of the same width (the same residues modulo 2^w). Functions take the array namespace ``xp``.
"""

from __future__ import annotations

import functools
import math
from types import ModuleType
from typing import Any

import numpy as np

from gpudot._core.shapes import broadcast_batch
from gpudot._tuning import INTEGER_PARALLEL_MIN_WORK, VNNI_PARALLEL_MIN_WORK
from gpudot.backends.numpy._exact._half_precision import as_matrices
from gpudot.backends.numpy._exact._workspace import scratch
from gpudot.backends.numpy._kernels import _cpu_features as _cpu
from gpudot.backends.numpy._kernels import _load as _numba_kernels

__all__ = [
    "compiled_matmul",
    "dot_product_matmul",
    "dot_product_width",
    "dtype_magnitude",
    "einsum_matmul",
    "float_gemm",
    "limb_gemm",
    "limb_plan",
    "magnitude",
    "signed_view",
]

#: Largest integer below which every float32 / float64 partial sum is exact.
FLOAT32_EXACT = 2**24
FLOAT64_EXACT = 2**53


def signed_view(x: Any) -> Any:
    """``x`` as the signed integer type of its width (a view: the same residues modulo 2^w)."""
    if x.dtype.kind == "u":
        return x.view(np.dtype(f"i{x.dtype.itemsize}"))
    return x


def magnitude(x: Any) -> int:
    """max |x| as a Python int (from min and max, so ``abs(INT_MIN)`` cannot overflow).

    The array methods, not ``xp.min``: NumPy's function wrapper costs a microsecond more a call.
    """
    if x.size == 0:
        return 0
    return max(-int(x.min()), int(x.max()))


def dtype_magnitude(dtype: np.dtype) -> int:
    """The largest |x| a signed integer ``dtype`` holds, ``2^(bits - 1)`` (no data is read)."""
    return 1 << (8 * dtype.itemsize - 1)


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


def _digit(x: Any, bits: int) -> Any:
    """The balanced residue ``d`` of int64 ``x`` modulo 2^bits: ``d ≡ x``, ``|d| <= 2^(bits-1)``."""
    half = 1 << (bits - 1)
    return ((x + half) & ((1 << bits) - 1)) - half


@functools.lru_cache(maxsize=256)
def limb_plan(width: int, k: int) -> tuple[tuple[int, int, int], ...]:
    """Fewest float64 gemms for ``a @ b`` modulo 2^width with inner dimension ``k``.

    Returns ``(offset, a_bits, b_bits)`` per limb of ``a``: the limb holds bits
    ``[offset, offset + a_bits)`` of ``a`` and multiplies ``b`` modulo 2^(width - offset), cut
    into ``b_bits``-bit limbs. Balanced limbs of a and b bits bound each product by
    2^(a+b-2), so ``a + b <= 55 - ceil(log2 k)`` keeps every float64 partial sum exact. A dynamic
    program over the offset minimises the gemm count (int32: 2, int64: 6 for k <= 512).
    """
    budget = 55 - max(k - 1, 1).bit_length()

    @functools.cache
    def best(offset: int) -> tuple[int, tuple[tuple[int, int, int], ...]]:
        if offset == width:
            return 0, ()
        choices = []
        for a_bits in range(1, min(width - offset, budget - 1) + 1):
            b_bits = budget - a_bits
            count, rest = best(offset + a_bits)
            choices.append((count - (offset - width) // b_bits, ((offset, a_bits, b_bits),) + rest))
        return min(choices)

    return best(0)[1]


def limb_gemm(xp: ModuleType, a: Any, b: Any, width: int, dtype: np.dtype) -> Any:
    """``a @ b`` modulo 2^width in ``dtype`` with the float64 gemms of `limb_plan`.

    Each term ``limb_a @ limb_b`` is exact in float64, converted to int64, shifted into place
    and added with int64's wraparound (2^width divides 2^64). Peak memory: the int64 and limb
    copies of both operands, one float64 and two int64 arrays of the output size.
    """
    plan = limb_plan(width, a.shape[-1])
    rest_a, b64 = a.astype(np.int64), b.astype(np.int64)
    total: Any = None
    for offset, a_bits, b_bits in plan:
        digit_a = _digit(rest_a, a_bits)
        rest_a = (rest_a - digit_a) >> a_bits
        limb_a = digit_a.astype(np.float64)
        rest_b = b64
        for shift in range(offset, width, b_bits):
            bits = min(b_bits, width - shift)
            digit_b = _digit(rest_b, bits)
            rest_b = (rest_b - digit_b) >> bits
            term = xp.matmul(limb_a, digit_b.astype(np.float64)).astype(np.int64)
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


def _lead(x: np.ndarray, batch: tuple[int, ...]) -> np.ndarray:
    """``x`` as a (1 or prod(batch), rows, cols) stack (broadcast copies only where needed)."""
    lead = math.prod(x.shape[:-2])
    if lead > 1 and x.shape[:-2] != batch:
        x, lead = np.broadcast_to(x, batch + x.shape[-2:]), math.prod(batch)
    return x.reshape((lead,) + x.shape[-2:])


def _panels(b: np.ndarray, width: int) -> np.ndarray:
    """A (lead, K, N) stack packed as (lead, ceil(N / width), K, width) column panels.

    Any layout in (strided, Fortran, negative strides); the last panel's padding stays unset
    (the kernels never read it).
    """
    lead, k, n = b.shape
    width = min(width, n)
    full, rest = divmod(n, width)
    packed = scratch("panels", (lead, full + (rest > 0), k, width), b.dtype)
    packed[:, :full] = b[:, :, : full * width].reshape(lead, k, full, width).transpose(0, 2, 1, 3)
    if rest:
        packed[:, full, :, :rest] = b[:, :, full * width :]
    return packed


def _copied(name: str, x: np.ndarray) -> np.ndarray:
    """A C-contiguous copy of ``x`` on the scratch buffer ``name``."""
    copy = scratch(name, x.shape, x.dtype)
    copy[...] = x
    return copy


def compiled_matmul(a: np.ndarray, b: np.ndarray, dtype: np.dtype) -> np.ndarray | None:
    """``matmul(a, b)`` in ``dtype`` with the numba wrapping kernels, or None without numba.

    Operands are viewed as unsigned integers of their width (the kernels' lanes wrap there with
    no overflow assumption). Peak memory: a C-contiguous copy of ``a`` where it is not one
    already (and broadcast stacks expanded), the packed panels of ``b`` (its size, the last
    panel padded to full width) and the output.
    """
    kernels = _numba_kernels.kernels("integer")
    if kernels is None:
        return None
    a, b, shape = as_matrices(a, b)
    batch = broadcast_batch(a.shape[:-2], b.shape[:-2])
    unsigned = np.dtype(f"u{dtype.itemsize}")
    m, k, n = a.shape[-2], a.shape[-1], b.shape[-1]
    out = np.zeros((math.prod(batch), m, n), unsigned)
    if out.size and k:
        left = _lead(a.view(unsigned), batch)
        if not left.flags.c_contiguous:
            left = _copied("left", left)
        panels = _panels(_lead(b.view(unsigned), batch), kernels.panel_width(dtype.itemsize))
        threads = kernels.threads() if out.size * k >= INTEGER_PARALLEL_MIN_WORK else 1
        kernel = kernels.wrapping_matmul if threads > 1 else kernels.wrapping_matmul_serial
        kernel(left, panels, out, threads)
    return out.view(dtype).reshape(shape)


#: k steps per int32 block of an int64 result from bytes: ``|sum| <= 65536 * 255 * 128 < 2^31``.
INT64_BLOCK = 1 << 16


def dot_product_width(a: np.dtype, b: np.dtype, dtype: np.dtype) -> int:
    """Operand width in bytes (1 or 2) with which the dot-product kernels compute ``a @ b`` in
    integer ``dtype`` for operands of dtypes ``a`` and ``b`` (values as they are), or 0.

    Bytes: any result width (int64 in K blocks whose int32 sums cannot wrap). int16 (or bytes
    beside int16, widened): results of 16 or 32 bits (two int16 products can reach 2^31, so an
    int64 result could wrap); uint16 only for a 16-bit result (its residues modulo 2^16 as
    int16). Anything else: 0.
    """
    if a.kind not in "iu" or b.kind not in "iu" or dtype.kind not in "iu":
        return 0
    if not (a.isnative and b.isnative):
        return 0
    width = max(a.itemsize, b.itemsize)
    if width == 1:
        return 1
    if width != 2 or dtype.itemsize > 4:
        return 0
    if "u2" in (a.kind + str(a.itemsize), b.kind + str(b.itemsize)) and dtype.itemsize != 2:
        return 0
    return 2


def correction_scale(a: np.dtype, b: np.dtype) -> int:
    """What the dot-product kernels multiply the row sums of ``a`` by, and subtract (0x80
    flips ``b``'s bytes) when ``a`` and ``b`` are bytes of one signedness: the instruction takes
    unsigned x signed bytes, so signed ``b`` runs as ``b + 128`` (take 128 row sums off),
    unsigned ``b`` as ``b - 128`` (add them). Else (mixed bytes, int16) 0."""
    if a.itemsize != 1 or a.kind != b.kind:
        return 0
    return -128 if a.kind == "i" else 128


def _frozen(x: np.ndarray) -> np.ndarray:
    """A read-only view of ``x``: the kernels read their operands through one compiled
    signature, whether or not the caller's arrays are writeable."""
    view = x.view()
    view.flags.writeable = False
    return view


def _int32_sums(kernels: ModuleType, a: np.ndarray, b: np.ndarray, result: bool) -> np.ndarray:
    """The (B, M, N) int32 sums of ``a @ b`` modulo 2^32 by the dot-product kernels: a new
    array where ``result``, else scratch valid until the next call.

    ``a`` (B or 1, M, K), ``b`` (B or 1, K, N): stacks of bytes (int8 or uint8, any mix) or of
    int16; the corrections of `correction_scale` are the kernels' start values.
    """
    m, k, n = a.shape[1], a.shape[2], b.shape[2]
    shape = (max(a.shape[0], b.shape[0]), m, n)
    c = np.empty(shape, np.int32) if result else scratch("sums", shape, np.int32)
    if k == 0:
        c.fill(0)
        return c
    group = 4 // a.itemsize
    kp = -(-k // group) * group
    if kp != k or not a.flags.c_contiguous:
        padded = scratch("left", a.shape[:-1] + (kp,), a.dtype)
        padded[..., :k] = a
        padded[..., k:] = 0
        a = padded
    if not b.flags.c_contiguous:  # one compiled packing for every layout
        b = _copied("right", b)
    flip = 0x80 if group == 4 and a.dtype.kind == b.dtype.kind else 0
    scale = correction_scale(a.dtype, b.dtype)
    signed = a.dtype.kind == "i"
    panels = scratch("panels", (b.shape[0], -(-n // kernels.NR), kp // group, kernels.NR), np.int32)
    if group == 4:  # the kernels read bytes as bytes; which are signed is a flag
        a, b = a.view(np.uint8), b.view(np.uint8)
    threads = kernels.threads() if c.size * k >= VNNI_PARALLEL_MIN_WORK else 1
    kernel = kernels.vnni_product if threads > 1 else kernels.vnni_product_serial
    blocks = kernels.row_blocks(m, threads)
    kernel(_frozen(a), _frozen(b), panels, c, flip, scale, signed, blocks, threads)
    return c


def dot_product_matmul(a: np.ndarray, b: np.ndarray, dtype: np.dtype) -> np.ndarray | None:
    """``matmul(a, b)`` in integer ``dtype`` by the dot-product kernels, or None where they
    cannot run (no numba, no VNNI, fewer rows than the register tile) or take these dtypes
    (`dot_product_width`).

    ``a`` and ``b`` hold their values in their own dtypes (NumPy's cast to ``dtype`` would not
    change them, or ``dtype`` is as narrow as they are: the sums modulo 2^w are the same). Every
    result of 32 bits or fewer is the int32 sum modulo 2^w; an int64 one adds int32 sums of
    `INT64_BLOCK` k steps in int64. Peak memory: ``a`` copied where it is not C-contiguous or K
    not a multiple of 4 (bytes) or 2 (int16), ``b`` packed (4 bytes per lane), the int32 sums,
    and the result where it is not int32.
    """
    width = dot_product_width(a.dtype, b.dtype, dtype)
    kernels = _numba_kernels.kernels("vnni") if width and _cpu.vnni_bits() else None
    if kernels is None:
        return None
    if a.ndim == b.ndim == 2:  # the common case, without the broadcasting below
        shape: tuple[int, ...] = (a.shape[0], b.shape[1])
        a, b = a[None], b[None]
    else:
        a, b, shape = as_matrices(a, b)
        batch = broadcast_batch(a.shape[:-2], b.shape[:-2])
        a, b = _lead(a, batch), _lead(b, batch)
    if a.shape[1] < kernels.MR:
        return None
    if width == 2:
        a, b = (signed_view(x) if x.dtype.itemsize == 2 else x.astype(np.int16) for x in (a, b))
    k = a.shape[2]
    if dtype.itemsize <= 4 or k <= INT64_BLOCK:
        sums = _int32_sums(kernels, a, b, result=dtype.itemsize == 4)
        if dtype.itemsize == 4:
            return sums.view(dtype).reshape(shape)
        return _widened(sums, a.dtype, b.dtype).astype(dtype).reshape(shape)
    total: np.ndarray | None = None
    for k0 in range(0, k, INT64_BLOCK):
        block_a, block_b = a[..., k0 : k0 + INT64_BLOCK], b[..., k0 : k0 + INT64_BLOCK, :]
        block = _widened(_int32_sums(kernels, block_a, block_b, False), a.dtype, b.dtype)
        total = block.astype(np.int64) if total is None else total + block
    assert total is not None
    return total.view(dtype).reshape(shape)


def _widened(sums: np.ndarray, a: np.dtype, b: np.dtype) -> np.ndarray:
    """Corrected int32 sums of at most `INT64_BLOCK` byte products as the exact sums they are
    modulo 2^32: int32 where a byte is signed (``|sum| <= 65536 * 128 * 255 < 2^31``), uint32
    where both are unsigned (``sum <= 65536 * 255^2 < 2^32``). Narrower results take either."""
    return sums.view(np.uint32) if a.kind == b.kind == "u" else sums
