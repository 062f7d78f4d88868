"""Each product described once: ``dot`` and ``matmul`` as data that every layer reads.

A `Description` holds a product's rules: its argument names, result shape, dtype and ``out=``
rules and how to call it on a backend. The checks and the profiler look a product up here
(`PRODUCTS`) instead of comparing its name. The rest of the family is reduced to these two.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from gpudot import _checks

__all__ = ["DOT", "MATMUL", "PRODUCTS", "Description"]

Shape = tuple[int, ...]


class Products(Protocol):
    """What `Description.call` needs of a backend."""

    def matmul(self, x1: Any, x2: Any, out: Any = None, dtype: Any = None) -> Any: ...
    def dot(self, a: Any, b: Any, out: Any = None) -> Any: ...


class OutCheck(Protocol):
    """A product's ``out=`` check (`gpudot._checks.check_matmul_out`, ``check_dot_out``)."""

    def __call__(
        self, shape: Shape, dtype: np.dtype, out: object, *, out_dtype: np.dtype | None = None
    ) -> None: ...


@dataclass(frozen=True)
class Description:
    """One product's rules (see the module docstring); `MATMUL` and `DOT` are the two.

    Attributes
    ----------
    name : str
        The NumPy function's name, as errors and records spell it.
    arg_names : tuple of str
        Its operands' names in NumPy's signature, as errors name them.
    result_shape : callable
        ``(shape1, shape2) -> shape``; raises NumPy's `ValueError` where there is none.
    result_dtype : callable
        ``(dtype1, dtype2, dtype) -> dtype``: the dtype computed in (``dtype`` is matmul's
        ``dtype=``; ``dot`` has none and ignores it).
    check_out : callable
        Raises NumPy's error for an ``out=`` that cannot take the result.
    call : callable
        ``(backend, x1, x2, out, dtype) -> result``: the product on ``backend``.
    """

    name: str
    arg_names: tuple[str, str]
    result_shape: Callable[[Shape, Shape], Shape]
    result_dtype: Callable[[np.dtype, np.dtype, object], np.dtype]
    check_out: OutCheck
    call: Callable[[Products, Any, Any, Any, Any], Any]

    def check_dtypes(
        self,
        dtypes: tuple[np.dtype, np.dtype],
        supported: Collection[np.dtype] | None,
        backend: str,
    ) -> None:
        """`gpudot._checks.check_dtypes` for this product's operands."""
        _checks.check_dtypes(self.name, dtypes, supported, backend, self.arg_names)


# matmul: (n?,k),(k,m?)->(n?,m?) with broadcast loop (batch) dimensions in front.


def _call_matmul(backend: Products, x1: Any, x2: Any, out: Any, dtype: Any) -> Any:
    return backend.matmul(x1, x2, out, dtype)


# dot: tensordot over the last axis of a and the second-to-last of b (its only axis when 1-D);
# a 0-d operand multiplies elementwise.


def _dot_dtype(dtype1: np.dtype, dtype2: np.dtype, dtype: object = None) -> np.dtype:
    """NumPy's promotion of the operands' dtypes (``dot`` takes no ``dtype=``)."""
    return np.result_type(dtype1, dtype2)


def _call_dot(backend: Products, a: Any, b: Any, out: Any, dtype: Any) -> Any:
    return backend.dot(a, b, out)


MATMUL = Description(
    name="matmul",
    arg_names=("x1", "x2"),
    result_shape=_checks.matmul_shape,
    result_dtype=_checks.matmul_dtype,
    check_out=_checks.check_matmul_out,
    call=_call_matmul,
)

DOT = Description(
    name="dot",
    arg_names=("a", "b"),
    result_shape=_checks.dot_shape,
    result_dtype=_dot_dtype,
    check_out=_checks.check_dot_out,
    call=_call_dot,
)

#: The descriptions by product name.
PRODUCTS: dict[str, Description] = {product.name: product for product in (MATMUL, DOT)}
