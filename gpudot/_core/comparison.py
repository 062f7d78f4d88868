"""How a result differs from NumPy's: the one comparison behind the conformance suite, the
self-test, the report and the benchmarks. A result matches with NumPy's dtype, shape and bits;
given an error bound, a value also matches when equal, NaN where NumPy's is, or within the bound.
"""

from __future__ import annotations

import numpy as np

__all__ = ["count", "differing_bits", "mismatch", "within"]


def differing_bits(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per value of two arrays of one dtype and shape: whether their bits differ (object arrays:
    whether the values differ)."""
    if x.dtype.hasobject:
        return np.asarray(x != y, dtype=bool).reshape(x.shape)
    as_bytes = [
        np.ascontiguousarray(v).reshape(-1).view(np.uint8).reshape(v.size, v.dtype.itemsize)
        for v in (x, y)
    ]
    differ: np.ndarray = (as_bytes[0] != as_bytes[1]).any(axis=1).reshape(x.shape)
    return differ


def within(x: np.ndarray, y: np.ndarray, bound: np.ndarray) -> np.ndarray:
    """Per value: equal, both NaN, or at most ``bound`` apart."""
    with np.errstate(invalid="ignore"):
        close = np.abs(x.astype(np.complex128) - y) <= bound
        inside: np.ndarray = (x == y) | (np.isnan(x) & np.isnan(y)) | close
    return inside


def count(
    mask: np.ndarray, what: str, got: np.ndarray | None = None, want: np.ndarray | None = None
) -> str:
    """``"3 of 64 values <what>"``, and the first such value beside NumPy's when given."""
    text = f"{int(mask.sum())} of {mask.size} values {what}"
    if got is None or want is None:
        return text
    first = tuple(int(i) for i in np.argwhere(mask)[0])
    at = f" at {list(first)}" if first else ""
    return f"{text}; first{at}: {got[first]} vs NumPy's {want[first]}"


def mismatch(
    result: np.ndarray, expected: np.ndarray, bound: np.ndarray | None = None
) -> str | None:
    """``None`` if host array ``result`` is NumPy's ``expected``, else what differs.

    Parameters
    ----------
    result, expected : numpy.ndarray
        gpudot's (or another library's) result on the host, and NumPy's.
    bound : numpy.ndarray, optional
        Allowed ``|result - expected|`` per value (`gpudot._core.error_bounds.error_bound`);
        ``None``: NumPy's bits are required.
    """
    if result.dtype != expected.dtype:
        return f"dtype {result.dtype}, NumPy gives {expected.dtype}"
    if result.shape != expected.shape:
        return f"shape {result.shape}, NumPy gives {expected.shape}"
    differ = differing_bits(result, expected)
    if not differ.any():
        return None
    if bound is None:
        return count(differ, "differ from NumPy's bits", result, expected)
    off = differ & ~within(result, expected, bound)
    return count(off, "exceed the error bound", result, expected) if off.any() else None
