"""Integer operands the kernel tests share, built in NumPy from a seeded generator."""

from __future__ import annotations

import numpy as np


def operand(shape, dtype, family, seed):
    """``shape`` values of integer ``dtype``: all its minimum (``"min"``), all its maximum
    (``"max"``), a seeded mix of minimum, maximum, +-1 and 0 (``"mixed"``), or seeded values
    over its full range (``"random"``)."""
    info = np.iinfo(dtype)
    if family == "min":
        return np.full(shape, info.min, dtype)
    if family == "max":
        return np.full(shape, info.max, dtype)
    rng = np.random.default_rng(seed)
    if family == "mixed":
        return rng.choice(np.array([info.min, info.max, -1 if info.min else 1, 0], dtype), shape)
    return rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)


#: The layouts `laid_out` builds.
LAYOUTS = ["fortran", "strided", "negative", "broadcast", "vector-left", "vector-right"]


def laid_out(layout, left, right):
    """Operands of dtypes ``left`` and ``right`` in ``layout`` (one of `LAYOUTS`): Fortran-ordered
    matrices, strided views, negative strides, broadcast stacks ((3, 1, 20, 70) @ (4, 70, 70),
    ``b`` with a negative column stride), or a 1-D left or right operand."""
    a = operand((3, 1, 20, 70), left, "random", 3)
    b = operand((4, 140, 90), right, "random", 4)[:, ::2, :70][..., ::-1]
    if layout == "fortran":
        a, b = np.asfortranarray(a[0, 0]), np.asfortranarray(b[0])
    elif layout == "strided":
        a, b = a[0, 0, ::2, :], b[1, :, ::3]
    elif layout == "negative":
        a, b = a[..., ::-1, ::-1], b[::-1]
    elif layout == "vector-left":
        a = a[0, 0, 0]
    elif layout == "vector-right":
        b = b[0, :, 0]
    return a, b
