"""``cupy.matmul``, ``dot``, ``tensordot`` and ``multiply`` with CuPy's argument rules and paths.

What is CuPy's: NumPy arrays are refused with CuPy's ``TypeError`` (except by ``dot``, which calls
``a.dot(b)`` and so silently runs NumPy's on two NumPy arrays), operands must be on the current
device, vector . vector gives a 0-d array, results are new buffers on the current device, and
the arithmetic takes CuPy's paths (cupy/_core/_routines_linalg.pyx at v14.2.0), never NumPy's
float order:

- ``dot``, ``tensordot`` and ``matmul`` with ndim <= 2 reduce to one (n, k) @ (k, m) product
  (``tensordot_core``). With ``m == 1 and n == 1`` it is ``(a.ravel() * b.ravel()).sum()``:
  products rounded to the dtype (float16: inf above 65504), summed in the dtype pairwise, as
  CUB's ``DeviceReduce::Sum<T>`` does (CuPy's default accelerator; cupy/cuda/cupy_cub.cu).
- Otherwise floats are one cuBLAS GEMM (``tensordot_core_v11``: ``gemmEx``, float16 with a
  float32 accumulator rounded once) under the TF32 compute type (`fakecupy._core`).
- ``matmul`` with ndim > 2 is a batched GEMM that ignores the compute type and widens float16
  to float32 (``matmul``'s ``dtype.char == 'e'`` branch), rounded back once.
- Every float GEMM sums each element's K terms in cuBLAS's order, which is not NumPy's: here in
  reverse (`_gemm`), so bits that only NumPy's order gives fail in CI as they would on a GPU.
  Integers and bool are NumPy's: CuPy's kernel accumulates in the dtype (``rC += rA * rB``),
  which wraps like NumPy; bool is OR of AND.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fakecupy._array import _type_error, ndarray
from fakecupy._core._routines_linalg import tf32_inputs

__all__ = ["dot", "matmul", "multiply", "tensordot"]

_FLOAT32 = np.dtype(np.float32)


def _device_data(argname: str, x: object) -> np.ndarray:
    if not isinstance(x, ndarray):
        raise _type_error(argname, x)
    x._check_device()
    return x._data


def _result(data: Any, out: ndarray | None) -> ndarray:
    result = ndarray._allocate(np.asarray(data))
    if out is None:
        return result
    out[...] = result
    return out


def _gemm(x: np.ndarray, y: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``x @ y`` (stacks of matrices) in ``dtype``: floats accumulated in float32 for float16,
    in ``dtype`` otherwise, in an order other than NumPy's (K reversed)."""
    if dtype.kind not in "fc":
        return np.matmul(x.astype(dtype), y.astype(dtype))
    accumulator = _FLOAT32 if dtype.itemsize < 4 else dtype
    reversed_k = np.matmul(x[..., ::-1].astype(accumulator), y[..., ::-1, :].astype(accumulator))
    return reversed_k.astype(dtype)


def _pairwise_sum(values: np.ndarray) -> Any:
    """Sum of a 1-D array in its dtype, adjacent halves added until one value is left."""
    while values.size > 1:
        half = values.size // 2
        values = np.concatenate([values[:half] + values[half : 2 * half], values[2 * half :]])
    return values[0]


def _one_output(x: np.ndarray, y: np.ndarray, dtype: np.dtype) -> Any:
    """``(a.ravel() * b.ravel()).sum()``: products in ``dtype``, then CUB's sum (integers and
    bool: any order gives NumPy's value)."""
    with np.errstate(over="ignore", invalid="ignore"):
        products = np.multiply(x.ravel(), y.ravel(), dtype=dtype)
        if dtype.kind == "b":
            return products.any()
        if dtype.kind in "iu":
            return products.sum(dtype=dtype)
        return _pairwise_sum(products)


def _tensordot_core(x: np.ndarray, y: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``tensordot_core``: (n, k) ``x`` times (k, m) ``y``, reshaped to ``shape``."""
    dtype = np.promote_types(x.dtype, y.dtype)
    if x.size == 0 or y.size == 0:
        return np.zeros(shape, dtype)
    if x.shape[0] == 1 and y.shape[1] == 1:
        return np.asarray(_one_output(x, y, dtype), dtype).reshape(shape)
    x, y = tf32_inputs(x.astype(dtype), y.astype(dtype))
    return _gemm(x, y, dtype).reshape(shape)


def _as_matrix(x: np.ndarray, axes: list[int], contracted_first: bool) -> np.ndarray:
    """``x`` as (free, k) or, with ``contracted_first``, (k, free): ``axes`` contracted."""
    free = [axis for axis in range(x.ndim) if axis not in axes]
    k = int(np.prod([x.shape[axis] for axis in axes], dtype=np.int64))
    size = int(np.prod([x.shape[axis] for axis in free], dtype=np.int64))
    if contracted_first:
        return x.transpose(axes + free).reshape(k, size)
    return x.transpose(free + axes).reshape(size, k)


def _contract(x: np.ndarray, y: np.ndarray, x_axes: list[int], y_axes: list[int]) -> np.ndarray:
    shape = tuple(n for axis, n in enumerate(x.shape) if axis not in x_axes) + tuple(
        n for axis, n in enumerate(y.shape) if axis not in y_axes
    )
    if [x.shape[i] for i in x_axes] != [y.shape[i] for i in y_axes]:
        raise ValueError("Axis dimension mismatch")
    left, right = _as_matrix(x, x_axes, False), _as_matrix(y, y_axes, True)
    return _tensordot_core(left, right, shape)


def _dot(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``cupy.dot``: 0-d operands multiply; else ``x``'s last axis against ``y``'s second-to-last
    (its only one when 1-D)."""
    if x.ndim == 0 or y.ndim == 0:
        return np.multiply(x, y)
    return _contract(x, y, [x.ndim - 1], [max(y.ndim - 2, 0)])


def matmul(a: object, b: object, out: ndarray | None = None) -> ndarray:
    x, y = _device_data("a", a), _device_data("b", b)
    if max(x.ndim, y.ndim) <= 2:
        return _result(_dot(x, y), out)
    dtype = np.promote_types(x.dtype, y.dtype)
    left = x[None, :] if x.ndim == 1 else x
    right = y[:, None] if y.ndim == 1 else y
    result = _gemm(left, right, dtype)
    if x.ndim == 1:
        result = result[..., 0, :]
    if y.ndim == 1:
        result = result[..., 0]
    return _result(result, out)


def dot(a: Any, b: Any, out: ndarray | None = None) -> Any:
    if not isinstance(a, ndarray):
        return a.dot(b) if out is None else a.dot(b, out)  # NumPy's, on the host, as in CuPy
    return _result(_dot(_device_data("a", a), _device_data("b", b)), out)


def tensordot(a: object, b: object, axes: Any = 2) -> ndarray:
    x, y = _device_data("a", a), _device_data("b", b)
    if isinstance(axes, int):
        return _result(_contract(x, y, list(range(x.ndim - axes, x.ndim)), list(range(axes))), None)
    return _result(_contract(x, y, _axes(axes[0], x.ndim), _axes(axes[1], y.ndim)), None)


def _axes(spec: Any, ndim: int) -> list[int]:
    """One side of ``tensordot``'s ``axes``: an axis or a sequence of them, made non-negative."""
    return [axis % ndim for axis in ([spec] if isinstance(spec, int) else spec)]


def multiply(a: object, b: object) -> ndarray:
    return _result(np.multiply(_device_data("x1", a), _device_data("x2", b)), None)
