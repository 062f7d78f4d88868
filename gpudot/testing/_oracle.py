"""Comparisons with NumPy, the oracle of the conformance suite."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from gpudot._bounds import error_bound
from gpudot.backends import Backend

__all__ = ["assert_matches_numpy", "assert_raises_like_numpy", "error_bound"]


def _same_bits(x: np.ndarray, y: np.ndarray) -> bool:
    if x.dtype.hasobject:
        return bool(np.array_equal(x, y))
    return np.ascontiguousarray(x).tobytes() == np.ascontiguousarray(y).tobytes()


def assert_matches_numpy(
    result: Any,
    expected: Any,
    backend: Backend,
    *,
    bound: np.ndarray | None = None,
) -> None:
    """Assert ``result`` (from ``backend``) is what NumPy gave: ``expected``.

    Checks the kind of object (NumPy scalar or array on the NumPy backend; an array of the
    backend elsewhere), dtype and shape, then the values: the same bits on the NumPy backend and
    for integers and bools everywhere; within ``bound`` for floats on other backends.
    """
    if backend.name == "numpy":
        assert type(result) is type(expected), (
            f"got {type(result).__name__}, NumPy gives {type(expected).__name__}"
        )
    else:
        assert backend.owns(result), (
            f"result {type(result).__name__} is not an array of {backend.name}"
        )
    host = backend.to_numpy(result)
    expected = np.asarray(expected)
    assert host.dtype == expected.dtype, f"dtype {host.dtype}, NumPy gives {expected.dtype}"
    assert host.shape == expected.shape, f"shape {host.shape}, NumPy gives {expected.shape}"
    if backend.name == "numpy" or expected.dtype.kind not in "fc" or bound is None:
        assert _same_bits(host, expected), (
            f"values differ from NumPy:\n{host}\nexpected\n{expected}"
        )
        return
    both_nan = np.isnan(host) & np.isnan(expected)
    with np.errstate(invalid="ignore"):
        same = (host == expected) | both_nan
        close = np.abs(host.astype(np.complex128) - expected) <= bound
    bad = ~(same | close)
    assert not bad.any(), (
        f"{int(bad.sum())} of {bad.size} values exceed the error bound; first at "
        f"{np.argwhere(bad)[0].tolist()}: {host[bad][0]} vs NumPy {expected[bad][0]}"
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
