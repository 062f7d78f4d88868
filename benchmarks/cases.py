"""What the benchmark multiplies: seven product cases, their shapes and operation counts."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gpudot._core.shapes import dot_shape, matmul_shape

__all__ = ["CASES", "DEFAULT_DTYPES", "DEFAULT_SIZES", "QUICK_SIZES", "Case", "parse_dtype"]

Shape = tuple[int, ...]

DEFAULT_SIZES = (2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)
QUICK_SIZES = (4, 32, 256, 1024)
DEFAULT_DTYPES = ("float32", "float64", "float16", "complex64", "int8", "int32", "int64", "bool")


@dataclass(frozen=True)
class Case:
    """One product family, scaled by a size ``n``.

    Attributes
    ----------
    name : str
        Short label used in tables, JSON and plots.
    func : {"matmul", "dot"}
        The function timed (gpudot's and the raw library's of the same name).
    layout : str
        The operand shapes in terms of ``n``, for readers of the table.
    shapes : callable
        ``n -> (shape of a, shape of b)``.
    """

    name: str
    func: str
    layout: str
    shapes: Callable[[int], tuple[Shape, Shape]]

    def multiply_adds(self, n: int) -> int:
        """Scalar multiply-adds of one product: result elements times the contracted length."""
        shape_a, shape_b = self.shapes(n)
        result = (matmul_shape if self.func == "matmul" else dot_shape)(shape_a, shape_b)
        return math.prod(result) * shape_a[-1]

    def operations(self, n: int, dtype: np.dtype) -> int:
        """Real floating-point (or integer) operations: 2 per multiply-add, 8 for complex."""
        return self.multiply_adds(n) * (8 if dtype.kind == "c" else 2)


CASES = (
    Case("square", "matmul", "(n, n) @ (n, n)", lambda n: ((n, n), (n, n))),
    Case("tall-skinny", "matmul", "(n, 64) @ (64, 64)", lambda n: ((n, 64), (64, 64))),
    Case("skinny-tall", "matmul", "(64, n) @ (n, 64)", lambda n: ((64, n), (n, 64))),
    Case("matrix-vector", "matmul", "(n, n) @ (n,)", lambda n: ((n, n), (n,))),
    Case("vector-vector", "matmul", "(n*n,) @ (n*n,)", lambda n: ((n * n,), (n * n,))),
    Case("batched", "matmul", "(n, 16, 16) @ (n, 16, 16)", lambda n: ((n, 16, 16), (n, 16, 16))),
    Case("dot-nd", "dot", "dot((4, n, 32), (2, 32, 32))", lambda n: ((4, n, 32), (2, 32, 32))),
)


def parse_dtype(name: str) -> np.dtype:
    """A NumPy dtype by name, or one of ml_dtypes' (e.g. ``bfloat16``) when that is installed.

    Raises
    ------
    ValueError
        If neither NumPy nor ml_dtypes knows ``name``.
    """
    try:
        return np.dtype(name)
    except TypeError:
        pass
    try:
        import ml_dtypes  # type: ignore[import-not-found]
    except ImportError:
        ml_dtypes = None
    if ml_dtypes is not None and hasattr(ml_dtypes, name):
        dtype: np.dtype = np.dtype(getattr(ml_dtypes, name))
        return dtype
    raise ValueError(f"unknown dtype {name!r}: give a NumPy dtype name such as 'float32'")
