"""gpudot._core.comparison.mismatch: the one comparison with NumPy's result, on the cases that
matter."""

from __future__ import annotations

import numpy as np

from gpudot._core.comparison import mismatch


def test_numpys_bits_match_and_anything_else_is_named():
    expected = np.array([1.0, -0.0, np.nan])
    assert mismatch(expected.copy(), expected) is None
    assert mismatch(expected.astype(np.float32), expected) == "dtype float32, NumPy gives float64"
    assert mismatch(expected[:2], expected) == "shape (2,), NumPy gives (3,)"
    signed_zero = np.array([1.0, 0.0, np.nan])  # equal as numbers, not as bits
    assert mismatch(signed_zero, expected).startswith("1 of 3 values differ from NumPy's bits")


def test_a_bound_allows_rounding_and_nan_where_numpy_has_nan_only():
    expected = np.array([1.0, 2.0, np.nan])
    bound = np.full(3, 1e-9)
    assert mismatch(np.array([1.0 + 1e-12, 2.0, np.nan]), expected, bound) is None
    far = mismatch(np.array([1.0, 2.1, np.nan]), expected, bound)
    assert far == "1 of 3 values exceed the error bound; first at [1]: 2.1 vs NumPy's 2.0"
    assert mismatch(np.array([1.0, np.nan, np.nan]), expected, bound) is not None


def test_integers_and_objects_compare_by_value_exactly():
    expected = np.array([[1, 2], [3, 4]], dtype=np.int8)
    assert mismatch(np.array([[1, 2], [3, 5]], np.int8), expected).endswith("5 vs NumPy's 4")
    objects = np.array([1, 2], dtype=object)
    assert mismatch(objects.copy(), objects) is None
