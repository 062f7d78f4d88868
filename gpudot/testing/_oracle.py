"""Comparisons with NumPy, the oracle of the conformance suite."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import gpudot
from gpudot.backends import error_bound, mismatch
from gpudot.backends import Backend, Exactness

__all__ = [
    "NUMPY_PRODUCTS",
    "assert_host_kind",
    "assert_matches_numpy",
    "assert_raises_like_numpy",
    "check",
    "check_bits",
    "declared_bound",
    "error_bound",
    "family_bound",
]


def ref_vecdot(x1: Any, x2: Any, axis: int = -1) -> Any:
    """NumPy 2 documentation: sum over ``axis`` of ``conj(x1) * x2``, the other axes broadcast."""
    return np.sum(np.conj(x1) * x2, axis=axis)


def ref_matvec(x1: Any, x2: Any) -> Any:
    """NumPy 2.2 documentation: ``sum_j x1[..., i, j] * x2[..., j]``, no conjugation."""
    return np.sum(x1 * x2[..., None, :], axis=-1)


def ref_vecmat(x1: Any, x2: Any) -> Any:
    """NumPy 2.2 documentation: ``sum_i conj(x1[..., i]) * x2[..., i, j]``."""
    return np.sum(np.conj(x1)[..., :, None] * x2, axis=-2)


#: NumPy's function for each product gpudot has (the documented reference where NumPy lacks it).
NUMPY_PRODUCTS: dict[str, Callable[..., Any]] = {
    "dot": np.dot,
    "matmul": np.matmul,
    "vdot": np.vdot,
    "inner": np.inner,
    "outer": np.outer,
    "tensordot": np.tensordot,
    "vecdot": getattr(np, "vecdot", ref_vecdot),
    "matvec": getattr(np, "matvec", ref_matvec),
    "vecmat": getattr(np, "vecmat", ref_vecmat),
}


def family_bound(func: Callable[..., Any], a: Any, b: Any, dtype: np.dtype, **kwargs: Any) -> Any:
    """Allowed |difference| between two summation orders: ``(2K + 1) eps |a||b|``, ``K`` >= any
    contracted length (complex doubles it)."""
    k = max(np.size(a), 1) * (2 if dtype.kind == "c" else 1)
    magnitude = np.abs(
        func(np.abs(np.asarray(a, np.complex128)), np.abs(np.asarray(b, np.complex128)), **kwargs)
    )
    return (2 * k + 1) * np.finfo(dtype).eps * magnitude + np.finfo(dtype).tiny


def declared_bound(
    backend: Backend, name: str, a: Any, b: Any, result: np.dtype, options: dict[str, Any]
) -> np.ndarray | None:
    """The bound ``backend`` declares for product ``name`` of ``a`` and ``b`` (keyword arguments
    ``options``) with a ``result`` dtype: ``None``, NumPy's bits, where it declares bits
    (`Backend.exactness`)."""
    if backend.exactness(result) is Exactness.BITS:
        return None
    numpy_func = NUMPY_PRODUCTS[name]
    if name in ("dot", "matmul"):  # their dtype= or out= changes no magnitude
        return error_bound(numpy_func, a, b, result)
    return family_bound(numpy_func, a, b, result, **options)


def check(backend: Backend, name: str, a: Any, b: Any, **kwargs: Any) -> Any:
    """Run product ``name`` through gpudot and NumPy on host operands; compare; inputs untouched.

    Values: NumPy's bits or within the bound, as ``backend`` declares. Returns gpudot's result.
    """
    numpy_func = NUMPY_PRODUCTS[name]
    expected = numpy_func(a, b, **kwargs)
    a_copy, b_copy = np.copy(a), np.copy(b)
    result = getattr(gpudot, name)(a, b, **kwargs)
    assert_host_kind(result, expected, backend)
    dtype = np.asarray(expected).dtype
    bound = declared_bound(backend, name, a, b, dtype, kwargs)
    assert_matches_numpy(result, expected, backend, bound=bound)
    np.testing.assert_array_equal(a, a_copy)
    np.testing.assert_array_equal(b, b_copy)
    return result


def assert_matches_numpy(
    result: Any,
    expected: Any,
    backend: Backend,
    *,
    bound: np.ndarray | None = None,
) -> None:
    """Assert ``result`` (from ``backend``) is what NumPy gave: ``expected``.

    Checks the kind of object (a NumPy result has NumPy's kind, scalar or array; any other is
    an array of the backend, as for its own operands or ``out=``), dtype and shape, then the
    values: NumPy's bits where ``backend`` declares bits for the dtype (`Backend.exactness`:
    every dtype on the NumPy backend, integers and bools everywhere), else within ``bound``;
    ``bound=None`` demands bits (for values that every summation order gives exactly, such as
    small integers in floats). `check` and `check_bits`, whose operands are on the host, also
    assert that the result is NumPy's kind on every backend.
    """
    on_host = isinstance(result, (np.ndarray, np.generic))
    if on_host:
        assert type(result) is type(expected), (
            f"got {type(result).__name__}, NumPy gives {type(expected).__name__}"
        )
    else:
        assert backend.owns(result), (
            f"result {type(result).__name__} is not an array of {backend.name}"
        )
    host = np.asarray(result) if on_host else backend.to_numpy(result)
    expected = np.asarray(expected)
    exact = backend.exactness(expected.dtype) is Exactness.BITS
    problem = mismatch(host, expected, None if exact else bound)
    assert problem is None, problem


def assert_host_kind(result: Any, expected: Any, backend: Backend) -> None:
    """Assert ``result``, of host operands, is NumPy's kind (array or scalar), as ``expected``
    is, whichever backend computed it: the operands decide what comes back."""
    assert type(result) is type(expected), (
        f"host operands gave a {type(result).__module__}.{type(result).__name__} on the "
        f"{backend.name!r} backend; NumPy gives {type(expected).__name__}"
    )


def assert_raises_like_numpy(numpy_call: Callable[[], Any], gpudot_call: Callable[[], Any]) -> str:
    """Assert both calls fail, gpudot's with NumPy's exception: an instance of the class NumPy
    raised, its message NumPy's unchanged, then gpudot's explanation. Return that explanation.
    """
    with pytest.raises(Exception) as numpy_error:
        numpy_call()
    with pytest.raises(type(numpy_error.value)) as gpudot_error:
        gpudot_call()
    numpy_message, message = str(numpy_error.value), str(gpudot_error.value)
    assert message.startswith(numpy_message), (
        f"gpudot's message does not start with NumPy's:\n{message!r}\nNumPy: {numpy_message!r}"
    )
    explanation = message[len(numpy_message) :]
    assert explanation.startswith("\n") and explanation.strip(), (
        f"no explanation after NumPy's message: {message!r}"
    )
    return explanation.strip()


def check_bits(backend: Backend, func: str, a: Any, b: Any, **kwargs: Any) -> Any:
    """Assert gpudot's ``func`` gives NumPy's type, dtype, shape and bits where ``backend``
    declares bits (`Backend.exactness`), else the declared bound, and leaves the inputs
    unchanged; return gpudot's result."""
    expected = getattr(np, func)(a, b, **kwargs)
    copies = a.copy(), b.copy()
    result = getattr(gpudot, func)(a, b, **kwargs)
    assert_host_kind(result, expected, backend)
    dtype = np.asarray(expected).dtype
    bound = declared_bound(backend, func, a, b, dtype, kwargs)
    assert_matches_numpy(result, expected, backend, bound=bound)
    assert copies[0].tobytes() == a.tobytes() and copies[1].tobytes() == b.tobytes()
    return result
