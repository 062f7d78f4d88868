"""Which exact route computes a product: a small cost rule over measured per-operation costs.

Every route gives NumPy's bits; the rule only picks the cheapest. Costs are nanoseconds on a 2-core
AVX-512 KVM guest (the constants and how to re-measure them: `gpudot._tuning`), per multiply-add
(``M*N*K*batch``) for the product, per element for the conversions a route needs, plus a fixed
cost per call. NumPy's own loop wins below `MIN_WORK` multiply-adds, where no route is even
considered (so small calls stay cheap): `may_route` is that threshold, the one test every layer
above asks before a route is looked at.

The costs of a product known only by its dtype and sizes (`integer_costs`, `bool_costs`,
`half_costs`) are what the routes decide with and what `product_cost` reports to "auto"
(`gpudot.backends._cost_model`): one formula for both.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from gpudot._config.precision import current_precision
from gpudot._core.descriptions import MATMUL, PRODUCTS, Sizes
from gpudot._dtypes import BLAS_DTYPES
from gpudot._tuning import (
    BLOCK_ELEMENTS,
    BOOL_MIN_WORK,
    EINSUM_MATRIX_NS,
    EINSUM_NS,
    FINITE_NS,
    GEMM_MATRIX_NS,
    GEMM_NS,
    HALF_COMPILED_FIXED_NS,
    HALF_COMPILED_NS,
    HALF_NUMPY_NS,
    HALF_PACK_NS,
    HALF_RANK1_NS,
    HALF_RANK1_STEP_NS,
    HALF_TILE,
    INTEGER_TILE,
    LIMB_STEP_NS,
    MAGNITUDE_BYTE_NS,
    MAGNITUDE_FIXED_NS,
    MATRIX_MIN_WORK,
    MATVEC_FIXED_NS,
    MATVEC_MIN_WORK,
    MATVEC_NS,
    MIN_WORK,
    NUMPY_BOOL_STEP_NS,
    NUMPY_LOOP_NS,
    NUMPY_MATRIX_NS,
    NUMPY_MATVEC_NS,
    ORDERED_MIN_OUTPUTS,
    PASS_NS,
    ROUTE_FIXED_NS,
    SIMD_EDGE_NS,
    SIMD_FIXED_NS,
    SIMD_MATRIX_NS,
    SIMD_NS,
    VECTOR_BYTES,
    VNNI_FIXED_NS,
    VNNI_NS,
    VNNI_TILE,
)
from gpudot.backends.numpy._exact import _bool, _integer
from gpudot.backends.numpy._exact import _half_precision as _ordered
from gpudot.backends.numpy._kernels import _cpu_features as _cpu
from gpudot.backends.numpy._kernels import _load as _numba_kernels

__all__ = [
    "BOOL_MIN_WORK",
    "MATVEC_MIN_WORK",
    "MIN_WORK",
    "RouteCost",
    "bool_matmul",
    "half_matmul",
    "integer_matmul",
    "may_route",
    "numpy_takes",
    "product_cost",
    "vector_costs",
    "vector_matmul",
]

_ndarray = np.ndarray
_FLOAT32 = np.dtype(np.float32)
_FLOAT64 = np.dtype(np.float64)
_FLOAT16 = np.dtype(np.float16)
#: The loop dtypes of the ordered half-precision routes, in any product (`half_matmul`).
_HALF_LOOPS = frozenset().union(*(product.half_loops for product in PRODUCTS.values()))

#: What each route of the rule is called in "auto"'s reasons (``{dtype}`` is the loop dtype).
ROUTE_NAMES = {
    "numpy": "NumPy's own {dtype} loop",
    "einsum": "gpudot's {dtype} einsum route",
    "float32": "gpudot's {dtype} float32-gemm route",
    "float64": "gpudot's {dtype} float64-gemm route",
    "limbs": "gpudot's {dtype} limb route",
    "simd": "gpudot's {dtype} wrapping SIMD numba kernel",
    "vnni": "gpudot's {dtype} dot-product (VNNI) numba kernel",
    "gemm": "gpudot's bool float32-gemm route",
    "compiled": "gpudot's {dtype} ordered numba kernel",
    "rank1": "gpudot's {dtype} ordered rank-1 route",
    "blas": "gpudot's {dtype} float32-BLAS route (precision 'fast')",
    "matvec": "gpudot's {dtype} matrix-vector numba kernel",
}


def may_route(a: np.ndarray, b: np.ndarray, dtype: Any = None) -> bool:
    """Whether an exact route may take ``matmul(a, b, dtype=dtype)`` or ``dot(a, b)`` of ndarrays.

    The routing threshold, the one place it is written: False means NumPy's own call gives the
    bits any route would, sooner, so no route is asked (the public functions then call NumPy
    themselves). Known by dtypes and sizes alone, without shape work: the loop dtype is
    ``dtype`` if given, else the operands' promotion (a BLAS operand makes a loop no route
    takes); ``(a.size / K) * b.size`` bounds the multiply-adds from above. Routes exist for
    integer, bool and half-precision loops of matrix products, from `MIN_WORK` multiply-adds
    (bool from `BOOL_MIN_WORK`); a product with a 1-D operand from `MATVEC_MIN_WORK` (the
    compiled matrix-vector kernel), but never in bool (NumPy's early exit is faster).
    """
    if dtype is None:
        loop = a.dtype
        if loop in BLAS_DTYPES:
            return False
        if loop != b.dtype:
            try:
                loop = np.result_type(loop, b.dtype)
            except TypeError:
                return False  # NumPy raises its own error
    else:
        try:
            loop = np.dtype(dtype)
        except TypeError:
            return False
    if not loop.isnative or (loop.kind not in "biu" and loop.name not in _HALF_LOOPS):
        return False
    if not a.ndim or not b.ndim or a.ndim + b.ndim < 3:
        return False  # a scalar factor or vector . vector: NumPy's own call
    work = a.size // (a.shape[-1] or 1) * b.size
    if (a.ndim == 1) == (b.ndim == 1):
        return work >= (BOOL_MIN_WORK if loop.kind == "b" else MIN_WORK)
    return loop.kind != "b" and work >= min(MIN_WORK, MATVEC_MIN_WORK)


def numpy_takes(x1: object, x2: object) -> bool:
    """Whether NumPy's own call of a product on ``x1``, ``x2`` and no other argument is the NumPy
    backend's result: two plain ndarrays that no exact route takes (`may_route`; a BLAS operand,
    the commonest case, answered first, without a call).

    Asked by every public product before anything else, so that such a call costs little more
    than NumPy's own (the family's products reduce to ``dot``/``matmul`` of the same operands,
    whose multiply-adds the same bound covers).
    """
    return (
        type(x1) is _ndarray
        and type(x2) is _ndarray
        and (x1.dtype in BLAS_DTYPES or not may_route(x1, x2))
    )


@dataclass(frozen=True)
class RouteCost:
    """The rule's cheapest route for a product, its estimated ns and every candidate's."""

    route: str
    ns: float
    candidates: Mapping[str, float]

    def describe(self, dtype: np.dtype) -> str:
        """The route in words, e.g. "gpudot's int8 float32-gemm route"."""
        return ROUTE_NAMES[self.route].format(dtype=dtype)


def _sizes(a: Any, b: Any) -> Sizes:
    """(m, n, k, batch) of ``matmul(a, b)`` for operands whose shapes NumPy accepted."""
    sizes = MATMUL.sizes(a.shape, b.shape)
    assert sizes is not None
    return sizes


@functools.lru_cache(maxsize=256)
def limb_gemms(width: int, k: int) -> int:
    """Number of float64 gemms `gpudot.backends.numpy._exact._integer.limb_gemm` runs."""
    return sum(
        len(range(offset, width, b_bits)) for offset, _, b_bits in _integer.limb_plan(width, k)
    )


def _float_ns(ftype: np.dtype, batch: int, work: int, elements: int) -> float:
    """One ``ftype`` gemm of an integer product: casts in, the gemm, casts back."""
    return ROUTE_FIXED_NS + batch * GEMM_MATRIX_NS + work * GEMM_NS[ftype] + 3 * PASS_NS * elements


def _simd_ns(width: int, batch: int, m: int, n: int, k: int, elements: int) -> float:
    """The numba kernels: register tiles, the rows and columns they leave, packing, zeroing."""
    rows, vectors = INTEGER_TILE
    tiled = (m - m % rows) * (n - n % (vectors * VECTOR_BYTES // width))
    return (
        SIMD_FIXED_NS
        + batch * SIMD_MATRIX_NS
        + batch * k * (tiled * SIMD_NS[width] + (m * n - tiled) * SIMD_EDGE_NS[width])
        + PASS_NS * elements
    )


def dot_product_bits(compiled: bool) -> int:
    """Width in bits of the dot-product instructions the kernels may use (0: none, or no numba)."""
    return _cpu.vnni_bits() if compiled else 0


def _vnni_ns(width: int, bits: int, sizes: tuple[int, int, int, int], elements: int) -> float:
    """The dot-product kernels on operands of ``width`` bytes: whole register tiles (rows, columns
    and k groups rounded up), the packing and result passes, the fixed cost."""
    batch, m, n, k = sizes
    rows, vectors = VNNI_TILE[bits]
    columns, group = vectors * bits // 32, 4 // width
    padded = -(-m // rows) * rows * -(-n // columns) * columns * -(-k // group) * group
    return (
        VNNI_FIXED_NS
        + batch * SIMD_MATRIX_NS
        + batch * padded * VNNI_NS[width]
        + PASS_NS * elements
    )


def integer_costs(
    dtype: np.dtype,
    batch: int,
    m: int,
    n: int,
    k: int,
    a_size: int,
    b_size: int,
    *,
    compiled: bool = False,
    bits: int = 0,
) -> tuple[dict[str, float], float | None]:
    """The candidates' ns for an integer product, and the cost of reading max|a|, max|b|.

    Known by dtype and sizes only: a float gemm is a candidate where the dtype's bound allows
    one; the numba kernels where ``compiled`` (NumPy arrays, numba present), the dot-product
    kernels for 8- and 16-bit operands where ``bits`` (their vector width) and at least a
    register tile's rows. The read cost is None where reading the values cannot pay (see
    `integer_matmul`); otherwise the read may find a float32 gemm exact, or wider operands'
    values within 8 or 16 bits. NumPy's loop is the only candidate below `MIN_WORK`; for stacks of
    matrices below `MATRIX_MIN_WORK` the dot-product kernels (one call for the stack) are its
    only rival.
    """
    work = batch * m * n * k
    width = dtype.itemsize
    costs: dict[str, float] = {"numpy": batch * NUMPY_MATRIX_NS + work * NUMPY_LOOP_NS[width]}
    if work < MIN_WORK:
        return costs, None
    elements = a_size + b_size + batch * m * n
    narrowed = None  # the dot-product kernels after narrowing the operands (if the read allows)
    if bits and m >= VNNI_TILE[bits][0]:  # one call for a whole stack: no per-matrix minimum
        if width <= 2:
            costs["vnni"] = _vnni_ns(width, bits, (batch, m, n, k), elements)
        else:
            narrowed = _vnni_ns(1, bits, (batch, m, n, k), elements) + PASS_NS * (a_size + b_size)
    if batch > 1 and m * n * k < MATRIX_MIN_WORK:
        return costs, None
    costs["einsum"] = ROUTE_FIXED_NS + batch * EINSUM_MATRIX_NS + work * EINSUM_NS[width]
    if compiled:
        costs["simd"] = _simd_ns(width, batch, m, n, k, elements)
    ftype = _integer.exact_float(k * _integer.dtype_magnitude(dtype) ** 2)
    if ftype is None:
        costs["limbs"] = (
            ROUTE_FIXED_NS
            + limb_gemms(8 * width, k)
            * (
                LIMB_STEP_NS
                + batch * GEMM_MATRIX_NS
                + work * GEMM_NS[_FLOAT64]
                + 2 * PASS_NS * batch * m * n
            )
            + 6 * PASS_NS * elements
        )
    else:
        costs[ftype.name] = _float_ns(ftype, batch, work, elements)
    read_ns = 2 * MAGNITUDE_FIXED_NS + MAGNITUDE_BYTE_NS * width * (a_size + b_size)
    data_may_help = ftype != _FLOAT32  # float32, or a gemm at all
    hoped = _float_ns(_FLOAT32, batch, work, elements)
    pays = 2 * read_ns + min(hoped, narrowed or hoped) < min(costs.values())
    return costs, read_ns if data_may_help and pays else None


def integer_matmul(xp: ModuleType, a: Any, b: Any, dtype: np.dtype) -> Any | None:
    """``matmul(a, b)`` in integer ``dtype``, or None for NumPy's loop.

    ``a`` and ``b`` are in ``dtype``, or narrower integers whose values it holds (the NumPy
    backend keeps 8- and 16-bit operands of a ``dtype=`` product as they are): only the
    dot-product kernels take those, every other route has them cast first.

    Candidates (`integer_costs`): einsum, one float gemm under the exactness bound, float64
    limbs, the numba SIMD kernels and the dot-product (VNNI) kernels (NumPy arrays with numba
    only); the cheapest by the cost rule, NumPy's loop if that is cheaper still. The dtype bounds
    every |x| (enough for int8 and int16 to take a float gemm); reading max|a| and max|b| can allow
    float32, a gemm for int32/int64 or the narrowed kernels, and is done only where that can save
    more than the read costs (`integer_costs`).
    """
    m, n, k, batch = _sizes(a, b)
    if batch * m * n * k < MIN_WORK or a.ndim + b.ndim < 3:
        return None
    compiled = xp is np and _numba_kernels.available()
    bits = dot_product_bits(compiled)
    costs, read_ns = integer_costs(
        dtype, batch, m, n, k, a.size, b.size, compiled=compiled, bits=bits
    )
    elements = a.size + b.size + batch * m * n
    if a.dtype != dtype or b.dtype != dtype:  # narrow operands: their own dot-product cost
        _narrow_operands(costs, a.dtype, b.dtype, dtype, bits, (batch, m, n, k), elements)
        if min(costs, key=costs.__getitem__) == "vnni":
            return _integer.dot_product_matmul(a, b, dtype)
        a, b = a.astype(dtype), b.astype(dtype)
    if min(costs, key=costs.__getitem__) == "vnni":
        result = _integer.dot_product_matmul(a, b, dtype)
        if result is not None:
            return result
        costs.pop("vnni")  # numba found but failed to import: the next cheapest route
    a, b = _integer.signed_view(a), _integer.signed_view(b)
    narrow: np.dtype | None = None
    if read_ns is not None:
        high_a, high_b = _integer.magnitude(a), _integer.magnitude(b)
        found = _integer.exact_float(k * high_a * high_b)
        if found is not None:
            costs[found.name] = _float_ns(found, batch, batch * m * n * k, elements)
        narrow = _narrowest(max(high_a, high_b), dtype, bits, m)
        if narrow is not None:
            costs["vnni"] = _vnni_ns(narrow.itemsize, bits, (batch, m, n, k), elements) + (
                PASS_NS * (a.size + b.size)
            )
    route = min(costs, key=costs.__getitem__)
    if route == "numpy":
        return None
    if route == "vnni" and narrow is not None:
        result = _integer.dot_product_matmul(a.astype(narrow), b.astype(narrow), dtype)
    elif route == "simd":
        result = _integer.compiled_matmul(a, b, a.dtype)
    elif route == "einsum":
        result = _integer.einsum_matmul(xp, a, b)
    elif route == "limbs":
        result = _integer.limb_gemm(xp, a, b, 8 * dtype.itemsize, a.dtype)
    else:
        result = _integer.float_gemm(xp, a, b, np.dtype(route), a.dtype)
    if result is None:
        return None  # numba found but failed to import: NumPy's loop this once, then no kernels
    return result.view(dtype) if result.dtype != dtype else result


def _narrow_operands(
    costs: dict[str, float],
    a: np.dtype,
    b: np.dtype,
    dtype: np.dtype,
    bits: int,
    sizes: tuple[int, int, int, int],
    elements: int,
) -> None:
    """``costs`` of a ``dtype`` product whose operands are the narrower ``a`` and ``b`` (a
    ``dtype=`` product of 8/16-bit operands): the dot-product kernels at the operands' own width,
    where they take them; every other route casts the operands first."""
    costs.pop("vnni", None)
    width = _integer.dot_product_width(a, b, dtype)
    if width and bits and sizes[1] >= VNNI_TILE[bits][0]:
        costs["vnni"] = _vnni_ns(width, bits, sizes, elements)


def _narrowest(high: int, dtype: np.dtype, bits: int, m: int) -> np.dtype | None:
    """int8 or int16 where every value of both operands fits (``high``: their largest |x|) and
    the dot-product kernels take it for a ``dtype`` result, else None."""
    if not bits or m < VNNI_TILE[bits][0] or dtype.itemsize <= 2:
        return None
    if high <= 127:
        return np.dtype(np.int8)
    if high <= 32767 and dtype.itemsize == 4:
        return np.dtype(np.int16)
    return None


def bool_costs(batch: int, m: int, n: int, k: int, a_size: int, b_size: int) -> dict[str, float]:
    """The candidates' ns for a bool product known by its sizes only.

    ``"numpy"`` is NumPy's loop at its slowest (K steps per output, no early exit); the gemm is
    a candidate from `BOOL_MIN_WORK` (and stacks from `MATRIX_MIN_WORK`) where it beats that.
    """
    work = batch * m * n * k
    costs = {"numpy": work * NUMPY_BOOL_STEP_NS}
    if work < BOOL_MIN_WORK or (batch > 1 and m * n * k < MATRIX_MIN_WORK):
        return costs
    gemm_ns = (
        ROUTE_FIXED_NS + work * GEMM_NS[_FLOAT32] + 2 * PASS_NS * (a_size + b_size + batch * m * n)
    )
    if gemm_ns < costs["numpy"]:
        costs["gemm"] = gemm_ns
    return costs


def bool_matmul(xp: ModuleType, a: Any, b: Any, dtype: np.dtype) -> Any | None:
    """``matmul(a, b)`` for bool operands, or None where NumPy's early exit is cheaper.

    NumPy stops at the first k where both factors are True: on random inputs of densities p and
    q that is about ``min(K, 1/(p*q))`` steps per output, so dense inputs stay with NumPy. Where
    the gemm loses even to NumPy's slowest loop (K steps per output: matrix-vector, say), the
    densities are not read at all (`bool_costs`); elsewhere they are estimated on a small grid.
    """
    m, n, k, batch = _sizes(a, b)
    if batch * m * n * k < BOOL_MIN_WORK or a.ndim + b.ndim < 3:
        return None
    gemm_ns = bool_costs(batch, m, n, k, a.size, b.size).get("gemm")
    if gemm_ns is None:
        return None
    both = _bool.density(xp, a) * _bool.density(xp, b)
    steps = k if both * k <= 1 else 1 / both
    numpy_ns = batch * m * n * steps * NUMPY_BOOL_STEP_NS
    return _bool.gemm_any(xp, a, b) if gemm_ns < numpy_ns else None


def half_costs(
    dtype: np.dtype,
    batch: int,
    m: int,
    n: int,
    k: int,
    a_size: int,
    b_size: int,
    *,
    compiled: bool,
    fast: bool,
) -> dict[str, float]:
    """The candidates' ns for a float16 (or bfloat16 ``dot``) product known by its sizes only.

    ``compiled``: the numba kernel can run (NumPy arrays, numba present), costed on whole
    `HALF_TILE` micro-tiles (a matrix-vector product pays for 48 columns); ``fast``: precision
    ``"fast"`` (one float32 BLAS gemm, the only route then). Operands with inf or NaN, which the
    routes leave to NumPy, are not foreseen here.
    """
    work = batch * m * n * k
    costs = {
        "numpy": batch * NUMPY_MATRIX_NS
        + work * HALF_NUMPY_NS.get(dtype.name, HALF_NUMPY_NS["float16"])
    }
    if work < MIN_WORK:
        return costs
    elements = a_size + b_size + batch * m * n
    if fast:
        costs["blas"] = ROUTE_FIXED_NS + work * GEMM_NS[_FLOAT32] + 3 * PASS_NS * elements
        return costs
    if compiled:
        rows, cols = HALF_TILE
        padded = batch * -(-m // rows) * rows * -(-n // cols) * cols * k
        costs["compiled"] = (
            HALF_COMPILED_FIXED_NS + HALF_PACK_NS * (a_size + b_size) + padded * HALF_COMPILED_NS
        )
    ordered = ROUTE_FIXED_NS + FINITE_NS * (a_size + b_size) + 3 * PASS_NS * elements
    if batch * m * n >= ORDERED_MIN_OUTPUTS:
        rows = max(1, m if batch > 1 else min(m, BLOCK_ELEMENTS // max(n, 1)))
        steps = k * -(-m // rows)
        costs["rank1"] = ordered + work * HALF_RANK1_NS + steps * HALF_RANK1_STEP_NS
    return costs


def half_matmul(xp: ModuleType, a: Any, b: Any, dtype: np.dtype) -> Any | None:
    """``matmul(a, b)`` for float16 (or bfloat16 ``dot``) operands with NumPy's bits, or None.

    Precision ``"fast"`` takes float32 BLAS (not NumPy's bits; bound in
    `gpudot.backends.numpy._exact._half_precision`). Operands with inf or NaN stay with NumPy: its
    loop decides which NaN (sign, payload) a sum of NaNs keeps by the operand order its compiler
    chose, which no other code reproduces. Otherwise the cheapest of NumPy's loop, the numba kernel
    (when available) and ordered rank-1 updates (with enough outputs per k step to pay for them) by
    `half_costs`.
    """
    m, n, k, batch = _sizes(a, b)
    if batch * m * n * k < MIN_WORK or a.ndim + b.ndim < 3:
        return None
    fast = current_precision() == "fast"
    compiled = xp is np and _numba_kernels.available()
    costs = half_costs(dtype, batch, m, n, k, a.size, b.size, compiled=compiled, fast=fast)
    route = min(costs, key=costs.__getitem__)
    if route == "numpy":
        return None
    if route == "blas":
        return _ordered.blas_rounded(xp, a, b, dtype)
    # Operands with inf or NaN go to NumPy: which NaN a sum of NaNs keeps depends on NumPy's
    # compiled operand order. The kernel counts them while packing (then returns None).
    kernels = _numba_kernels.kernels() if route == "compiled" else None
    if kernels is not None:
        return _ordered.ordered_compiled(kernels, a, b, dtype)
    if "rank1" not in costs or not (_ordered.all_finite(xp, a) and _ordered.all_finite(xp, b)):
        return None
    return _ordered.ordered_rank1(xp, a, b, dtype)


def vector_costs(dtype: np.dtype, work: int) -> dict[str, float] | None:
    """NumPy's loop and the compiled kernel for a product with a 1-D operand, or None.

    None where no kernel covers ``dtype`` (bool: NumPy's early-exit loop is the fastest there is,
    and a gemm cannot pay: its casts of the matrix alone cost more than NumPy's K steps).
    """
    if dtype.kind in "iu" and dtype.itemsize in MATVEC_NS:
        numpy_ns, kernel_ns = NUMPY_MATVEC_NS["integer"], MATVEC_NS[dtype.itemsize]
    elif dtype.name == "float16":
        numpy_ns, kernel_ns = NUMPY_MATVEC_NS["float16"], MATVEC_NS["float16"]
    else:
        return None
    numpy_cost = NUMPY_MATRIX_NS + work * numpy_ns
    return {"numpy": numpy_cost, "matvec": MATVEC_FIXED_NS + work * kernel_ns}


def vector_matmul(xp: ModuleType, a: Any, b: Any, dtype: np.dtype) -> Any | None:
    """``matmul(a, b)`` with a 1-D operand through the compiled kernel, or None for NumPy's loop.

    Only for NumPy arrays with numba available (`vector_route` says when); by `vector_costs` the
    kernel beats NumPy's scalar loop (and einsum, and a gemm) from `MATVEC_MIN_WORK` on.
    """
    kernels = _numba_kernels.kernels("matvec")
    costs = vector_costs(dtype, a.size if b.ndim == 1 else b.size)
    if xp is not np or kernels is None or costs is None or costs["numpy"] <= costs["matvec"]:
        return None
    if dtype.kind != "u":
        return kernels.matvec(a, b, dtype)
    a, b = _integer.signed_view(a), _integer.signed_view(b)
    return kernels.matvec(a, b, a.dtype).view(dtype)


def vector_route(a: Any, b: Any, dtype: np.dtype) -> bool:
    """Whether ``matmul(a, b)`` of NumPy arrays goes to `vector_matmul` (cheap: no shape work).

    An integer or float16 loop, one operand 1-D and the other not, at least `MATVEC_MIN_WORK`
    multiply-adds (the matrix's size), and numba available.
    """
    return (
        (dtype.kind in "iu" or dtype == _FLOAT16)
        and (a.ndim == 1) != (b.ndim == 1)
        and a.ndim
        and b.ndim
        and (a.size if b.ndim == 1 else b.size) >= MATVEC_MIN_WORK
        and dtype.isnative
        and _numba_kernels.available()
    )


def product_cost(
    dtype: np.dtype,
    m: int,
    n: int,
    k: int,
    batch: int = 1,
    *,
    func: str = "matmul",
    vector: bool = False,
    operands: np.dtype | None = None,
) -> RouteCost | None:
    """What the NumPy backend's rule predicts for ``func`` of a (batch of) (m, k) @ (k, n).

    The same costs the routes choose with (operands as full stacks, values not looked at: where
    an integer route would read max|x|, its cost is added, as if the values were full range);
    ``vector``: one operand is 1-D, as for `vector_route`. None for the dtypes NumPy multiplies
    itself with BLAS (float32, float64, complex; bfloat16 ``matmul``) or that no route covers
    (longdouble, object, ...): their time is a throughput. ``operands``: the operands' dtype
    where a ``dtype=`` product has narrower integer ones (int8 operands of an int32 product run
    the dot-product kernels on bytes, not on int32).
    """
    a_size, b_size = batch * m * k, batch * k * n
    work = batch * m * n * k
    read_ns: float | None = None
    found = vector_costs(dtype, work) if vector and _numba_kernels.available() else None
    if vector and dtype.kind == "b":  # NumPy's early exit always (`may_route`)
        costs = {"numpy": bool_costs(batch, m, n, k, a_size, b_size)["numpy"]}
    elif found is not None:
        costs = found if work >= MATVEC_MIN_WORK else {"numpy": found["numpy"]}
    elif dtype.kind in "iu" and dtype.itemsize in NUMPY_LOOP_NS:
        compiled = _numba_kernels.available()
        bits = dot_product_bits(compiled)
        costs, read_ns = integer_costs(
            dtype, batch, m, n, k, a_size, b_size, compiled=compiled, bits=bits
        )
        if operands is not None and operands.kind in "iu" and operands.itemsize < dtype.itemsize:
            elements = a_size + b_size + batch * m * n
            _narrow_operands(costs, operands, operands, dtype, bits, (batch, m, n, k), elements)
            if min(costs, key=costs.__getitem__) == "vnni":
                read_ns = None  # taken before any read
    elif dtype.kind == "b":
        costs = bool_costs(batch, m, n, k, a_size, b_size)
    elif dtype.name in PRODUCTS[func].half_loops:
        compiled = _numba_kernels.available()
        fast = current_precision() == "fast"
        costs = half_costs(dtype, batch, m, n, k, a_size, b_size, compiled=compiled, fast=fast)
    else:
        return None
    route = min(costs, key=costs.__getitem__)
    return RouteCost(route, costs[route] + (read_ns or 0.0), costs)
