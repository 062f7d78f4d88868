"""``gpudot.linalg``: `multi_dot`, a chain of matrix products in the cheapest order."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from gpudot._api.products import backend_for, run_product
from gpudot.backends._base import Backend

__all__ = ["chain_order", "multi_dot"]

#: A parenthesization: an operand index, or a pair of sub-orders multiplied together.
Order = int | tuple["Order", "Order"]


def _product(backend: Backend, dtype: np.dtype) -> Callable[[Any, Any], Any]:
    """The backend's 2-D product for ``dtype``: ``matmul`` for integers and bools (exact in any
    order, so the backend's fast integer routes apply), else ``dot`` (what NumPy's ``multi_dot``
    calls, so float bits match NumPy's for the same order)."""
    return backend.matmul if dtype.kind in "biu" else backend.dot


def chain_order(dims: Sequence[int]) -> tuple[int, Order]:
    """Cheapest way to multiply a chain whose ``i``-th matrix is ``dims[i] x dims[i + 1]``.

    Dynamic programming over sub-chains: the best cost of ``i..j`` is the best split ``k`` of
    ``cost(i..k) + cost(k+1..j) + dims[i] * dims[k + 1] * dims[j + 1]``. Ties keep the first
    split, as NumPy does, so both pick the same order (and give the same float bits).

    Returns
    -------
    cost : int
        Multiply-adds of the chosen order.
    order : Order
        The parenthesization, e.g. ``(0, (1, 2))`` for ``A (B C)``.
    """
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = -1
            for k in range(i, j):
                candidate = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if cost[i][j] < 0 or candidate < cost[i][j]:
                    cost[i][j], split[i][j] = candidate, k

    def order(i: int, j: int) -> Order:
        return i if i == j else (order(i, split[i][j]), order(split[i][j] + 1, j))

    return cost[0][n - 1], order(0, n - 1)


def multi_dot(arrays: Sequence[Any], *, out: Any = None) -> Any:
    """Product of two or more arrays in the cheapest order, exactly as `numpy.linalg.multi_dot`.

    The first array may be 1-D (a row vector) and the last 1-D (a column vector); all others
    must be 2-D. The order is chosen by `chain_order`: a chain of shapes 10x1000, 1000x10,
    10x1000 costs 100 times less as ``(A B) C`` than as ``A (B C)``.

    Parameters
    ----------
    arrays : sequence of array_like
        At least two operands.
    out : array, optional
        Destination of the last product, with `dot`'s rules (NumPy's): exactly the 2-D shape and
        dtype of that product, C-contiguous.

    Raises
    ------
    ValueError
        Fewer than two arrays, or shapes that do not chain.
    numpy.linalg.LinAlgError
        An inner array that is not 2-D.

    Examples
    --------
    >>> import numpy as np, gpudot
    >>> a, b, c = np.ones((10, 100)), np.ones((100, 5)), np.ones((5, 50))
    >>> gpudot.linalg.multi_dot([a, b, c]).shape
    (10, 50)
    """

    def compute() -> Any:
        return _multi_dot(arrays, out)

    numpy_func = np.linalg.multi_dot
    return run_product("multi_dot", numpy_func, compute, arrays, {"out": out}, args=(arrays,))


def _multi_dot(arrays: Sequence[Any], out: Any) -> Any:
    """`multi_dot` on the backend `backend_for` places the arrays on."""
    if len(arrays) < 2:
        raise ValueError(f"multi_dot: expecting at least two arrays, got {len(arrays)}")
    backend = backend_for(*arrays)
    with backend.context():
        chain = [backend.asarray(x, f"arrays[{i}]") for i, x in enumerate(arrays)]
        if len(chain) == 2:
            return backend.dot(chain[0], chain[1], out)
        first, last = chain[0].ndim, chain[-1].ndim
        if first == 1:
            chain[0] = chain[0][None, :]
        if last == 1:
            chain[-1] = chain[-1][:, None]
        for i, x in enumerate(chain):
            if x.ndim != 2:
                raise np.linalg.LinAlgError(
                    f"multi_dot: arrays[{i}] is {x.ndim}-dimensional (shape {tuple(x.shape)}); "
                    "it must be two-dimensional"
                )
        dims = [chain[0].shape[0]] + [x.shape[1] for x in chain]
        for i in range(len(chain) - 1):
            if chain[i].shape[1] != chain[i + 1].shape[0]:
                raise ValueError(
                    f"multi_dot: arrays[{i}] has shape {tuple(chain[i].shape)} and arrays[{i + 1}] "
                    f"has shape {tuple(chain[i + 1].shape)}; they do not chain"
                )
        product = _product(backend, np.result_type(*(backend.numpy_dtype(x) for x in chain)))

        def evaluate(order: Order, target: Any = None) -> Any:
            if isinstance(order, int):
                return chain[order]
            left, right = evaluate(order[0]), evaluate(order[1])
            return product(left, right) if target is None else backend.dot(left, right, target)

        result = evaluate(chain_order(dims)[1], out)
        if first == 1 and last == 1:
            return result[0, 0]
        if first == 1 or last == 1:
            return backend.xp.reshape(result, (-1,))
        return result
