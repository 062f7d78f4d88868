"""Every backend refuses the same dtypes through one check: NumPy's class and words, then the
same explanation (`gpudot._core.checks.check_dtypes` over `gpudot._dtypes.refused_kinds`)."""

from __future__ import annotations

import numpy as np
import pytest

import gpudot
from gpudot.backends import lookup

#: (product, dtype) pairs NumPy refuses: strings, bytes, records and dates everywhere, timedeltas
#: in the ufuncs.
REFUSED = [
    *((func, dtype) for func in ("matmul", "dot") for dtype in ("U1", "S2", "i4,i4", "M8[s]")),
    ("matmul", "m8[s]"),
]
#: The backends that must agree with the NumPy backend word for word.
OTHERS = ("dask", "cupy-standin")


def _refusal(backend: str, func: str, dtype: str) -> BaseException:
    """What ``func`` raises on ``backend`` for two 2x2 operands of ``dtype``."""
    selected = lookup(backend)
    operand = selected.from_host(np.zeros((2, 2), dtype))
    with gpudot.use_backend(selected), pytest.raises(Exception) as error:
        getattr(gpudot, func)(operand, operand)
    return error.value


@pytest.mark.parametrize("other", OTHERS)
@pytest.mark.parametrize(("func", "dtype"), REFUSED, ids=[f"{f}-{d}" for f, d in REFUSED])
def test_backends_refuse_a_dtype_with_the_numpy_backends_class_and_words(other, func, dtype):
    with pytest.raises(Exception) as numpy_error:
        getattr(np, func)(np.zeros((2, 2), dtype), np.zeros((2, 2), dtype))
    expected = _refusal("numpy", func, dtype)
    refused = _refusal(other, func, dtype)
    assert type(refused) is type(expected)
    assert isinstance(refused, type(numpy_error.value))
    assert str(refused) == str(expected)
    numpy_words, explanation = str(refused).split("\n", 1)
    assert numpy_words == str(numpy_error.value)
    assert explanation == f"{func}: {'x1' if func == 'matmul' else 'a'} has dtype " + (
        f"{np.dtype(dtype)}, which {func} does not multiply; convert it to a number first, "
        "e.g. with .astype(float)"
    )


def test_dask_multiplies_timedeltas_in_dot_as_numpy_does():
    """NumPy's ``dot`` multiplies timedeltas (matmul has no loop for them): Dask computes it."""
    a = np.arange(4, dtype="m8[s]").reshape(2, 2)
    b = np.arange(4).reshape(2, 2)
    expected = np.dot(a, b)
    with gpudot.use_backend("dask"):
        result = gpudot.dot(a, b)
    assert result.dtype == expected.dtype
    np.testing.assert_array_equal(result, expected)
