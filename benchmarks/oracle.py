"""Who is wrong: gpudot's and the raw library's results, each compared with NumPy's.

NumPy is the oracle. Where the raw library is NumPy itself (the NumPy backend), its result is
NumPy's, and gpudot must give the same bits. Elsewhere NumPy computes the same product on the same
host operands: the whole of it while it has at most `WHOLE_PRODUCT_MADDS` multiply-adds, else only
its dtype and shape (NumPy's own call with the contracted axis cut to length 0) and the corner of
the result that the first `CORNER` entries of every free axis give. On such a backend integer and
bool values must be NumPy's bits; float values may be off NumPy's by rounding (another summation
order), within the conformance suite's bound `gpudot._core.error_bounds.error_bound`. On a corner
NumPy's BLAS works on sub-matrices, whose bits need not be those of the whole product, so there
float values are judged on the bound alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from gpudot._core.comparison import count, differing_bits, mismatch, within
from gpudot._core.error_bounds import error_bound

__all__ = [
    "CORNER",
    "WHOLE_PRODUCT_MADDS",
    "Comparison",
    "Reference",
    "compare",
    "note",
    "numpy_reference",
    "same_bits",
]

#: Largest product (multiply-adds) NumPy computes whole for a backend that is not NumPy.
WHOLE_PRODUCT_MADDS = 2**24
#: Entries kept along each free axis of the operands when NumPy computes only a corner.
CORNER = 64

Agreement = Literal["matches", "within rounding", "disagrees"]


@dataclass(frozen=True)
class Reference:
    """NumPy's answer for one product: what a result must match.

    Attributes
    ----------
    dtype, shape
        NumPy's result dtype and shape.
    values : numpy.ndarray
        NumPy's values on ``where`` of the result.
    where : tuple of slice, or None
        The corner of the result ``values`` covers; ``None`` for the whole result.
    bound : numpy.ndarray or None
        Allowed ``|difference|`` per value of ``values`` (float results); ``None``: the same bits.
    """

    dtype: np.dtype
    shape: tuple[int, ...]
    values: np.ndarray
    where: tuple[slice, ...] | None
    bound: np.ndarray | None

    @property
    def bits_known(self) -> bool:
        """Whether ``values`` are the bits NumPy gives for the whole product."""
        return self.where is None or self.dtype.kind not in "fc"


@dataclass(frozen=True)
class Comparison:
    """How one side's result compares with NumPy's; ``detail`` says how, empty if it matches."""

    agreement: Agreement
    detail: str = ""


def numpy_reference(func: str, a: np.ndarray, b: np.ndarray, numpy_result: Any = None) -> Reference:
    """NumPy's answer for ``func(a, b)`` (``"matmul"`` or ``"dot"``).

    Parameters
    ----------
    func : {"matmul", "dot"}
        The NumPy function of that name is the oracle.
    a, b : numpy.ndarray
        The host operands both sides were given.
    numpy_result : array_like, optional
        NumPy's own result for these operands, when the raw side is NumPy: then it is the
        reference, bit for bit, and nothing is recomputed.

    Returns
    -------
    Reference
    """
    if numpy_result is not None:
        exact = np.asarray(numpy_result)
        return Reference(exact.dtype, exact.shape, exact, None, None)
    call = getattr(np, func)
    if a.ndim == 0 or b.ndim == 0:  # a scalar times an array: nothing is summed
        return _whole(call, a, b)
    empty = np.asarray(call(*_cut(a, b, free=slice(None), contracted=slice(0, 0))))
    if empty.size * a.shape[-1] <= WHOLE_PRODUCT_MADDS:
        return _whole(call, a, b)
    a_corner, b_corner = _cut(a, b, free=slice(0, CORNER), contracted=slice(None))
    corner = np.asarray(call(a_corner, b_corner))
    where = (slice(0, CORNER),) * empty.ndim
    bound = _bound(call, a_corner, b_corner, corner.dtype)
    return Reference(empty.dtype, empty.shape, corner, where, bound)


def _whole(call: Any, a: np.ndarray, b: np.ndarray) -> Reference:
    whole = np.asarray(call(a, b))
    return Reference(whole.dtype, whole.shape, whole, None, _bound(call, a, b, whole.dtype))


def _cut(
    a: np.ndarray, b: np.ndarray, *, free: slice, contracted: slice
) -> tuple[np.ndarray, np.ndarray]:
    """``a`` and ``b`` sliced by ``contracted`` along the contracted axis (``a``'s last, ``b``'s
    second-to-last or only) and by ``free`` along every other axis."""

    def cut(x: np.ndarray, axis: int) -> np.ndarray:
        return x[tuple(contracted if i == axis else free for i in range(x.ndim))]

    return cut(a, a.ndim - 1), cut(b, max(b.ndim - 2, 0))


def _bound(call: Any, a: np.ndarray, b: np.ndarray, dtype: np.dtype) -> np.ndarray | None:
    return error_bound(call, a, b, dtype) if dtype.kind in "fc" else None


def compare(result: Any, reference: Reference) -> Comparison:
    """Compare one side's host result with NumPy's: dtype, shape, then values.

    Values match when they are NumPy's bits (the bits of NumPy's corner, on a corner). Otherwise
    they are within rounding where ``reference`` has a bound and no value exceeds it, and disagree
    where it has none (bits required) or some value exceeds it.
    """
    got = np.asarray(result)
    if got.dtype != reference.dtype:
        return Comparison("disagrees", f"{got.dtype} result, NumPy gives {reference.dtype}")
    if got.shape != reference.shape:
        return Comparison("disagrees", f"shape {got.shape}, NumPy gives {reference.shape}")
    part = got if reference.where is None else got[reference.where]
    want = reference.values
    differ = differing_bits(part, want)
    if not differ.any():  # NumPy's bits
        return Comparison("matches")
    on = "" if reference.where is None else f" on a {'x'.join(map(str, want.shape))} corner"
    if reference.bound is None:
        return Comparison("disagrees", count(differ, f"differ from NumPy's bits{on}", part, want))
    off = differ & ~within(part, want, reference.bound)
    if off.any():
        return Comparison("disagrees", count(off, f"off by more than rounding{on}", part, want))
    if not reference.bits_known:
        return Comparison("matches")
    return Comparison("within rounding", count(differ, f"not NumPy's bits{on}"))


def note(gpudot: Comparison, raw: Comparison, raw_name: str) -> str:
    """The table's note: which side disagrees with NumPy; empty when both give NumPy's bits.

    The side further from NumPy comes first; a gpudot disagreement is a bug and says so.
    """
    if gpudot.agreement == raw.agreement == "matches":
        return ""
    sides = sorted(
        [("gpudot", gpudot), (f"raw {raw_name}", raw)],
        key=lambda side: -_RANK[side[1].agreement],  # stable: gpudot first on a tie
    )
    text = "; ".join(_said(name, comparison) for name, comparison in sides)
    return f"BUG: {text}" if gpudot.agreement == "disagrees" else text


_RANK: dict[Agreement, int] = {"matches": 0, "within rounding": 1, "disagrees": 2}


def _said(name: str, comparison: Comparison) -> str:
    if comparison.agreement == "matches":
        return f"{name} matches NumPy"
    if comparison.agreement == "within rounding":
        return f"{name} is within rounding of NumPy ({comparison.detail})"
    return f"{name} disagrees with NumPy ({comparison.detail})"


def same_bits(x: np.ndarray, y: np.ndarray) -> bool:
    """Whether two host arrays have one dtype, one shape and the same bits in every value."""
    return mismatch(x, y) is None
