"""The entry of each public product of the family and of ``multi_dot``: one wrapper per call.

A call passes three policies, in one call frame:

1. On the NumPy backend, two plain NumPy operands that no exact route would speed up go straight to
   NumPy's own function (`gpudot._products.runs_inline`, the test `gpudot.dot` and `gpudot.matmul`
   make inline): its result is the oracle's by definition, and a 4-element call costs about what
   NumPy's own does. A failure there is raised again, explained, by the full path.
2. While a `gpudot.profile` is open, the call is recorded (`gpudot._profile.record_call`).
3. A failure is NumPy's exception for the same arguments (`gpudot._numpy_errors.raise_like_numpy`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from gpudot import _profile
from gpudot._numpy_errors import raise_like_numpy
from gpudot._products import runs_inline

__all__ = ["public_product"]

Product = TypeVar("Product", bound=Callable[..., Any])


def _pair(args: tuple[Any, ...]) -> Sequence[Any]:
    return args[:2]


def public_product(
    numpy_func: Callable[..., Any] | None,
    operands: Callable[[tuple[Any, ...]], Sequence[Any]] = _pair,
    *,
    inline: bool = True,
) -> Callable[[Product], Product]:
    """Make a function the public product ``numpy_func`` stands for (see the module docstring).

    Parameters
    ----------
    numpy_func : callable or None
        NumPy's function of the same name; ``None`` where this NumPy has none (an old NumPy):
        no inline call, and gpudot's errors stay as they are.
    operands : callable
        The operands among a call's positional arguments (default: the first two).
    inline : bool
        Whether a call on two plain NumPy operands may go straight to ``numpy_func`` (1. above).
    """

    inline = inline and numpy_func is not None

    def decorate(product: Product) -> Product:
        @functools.wraps(product)
        def call(*args: Any, **kwargs: Any) -> Any:
            if inline and len(args) > 1 and runs_inline(args[0], args[1]):
                try:
                    return numpy_func(*args, **kwargs)  # type: ignore[misc]
                except (ValueError, TypeError, IndexError):
                    pass  # the full path raises it again, explained
            try:
                if _profile.is_open():
                    return _profile.record_call(product, operands(args), args, kwargs)
                return product(*args, **kwargs)
            except (ValueError, TypeError, IndexError) as error:
                raise_like_numpy(error, numpy_func, *args, **kwargs)
                raise

        return call  # type: ignore[return-value]

    return decorate
