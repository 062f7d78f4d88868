"""NumPy's own exception for a bad input, with gpudot's explanation after NumPy's words.

Code in the wild matches NumPy's messages with regular expressions, so a product's failure must
be NumPy's: an instance of the class NumPy raises and NumPy's message unchanged, then gpudot's
explanation (the shapes, the fix). On the NumPy backend NumPy's exception is at hand; elsewhere
gpudot's checks fail before any library call, and the public function asks NumPy for its
exception by repeating the call on *stand-ins*: arrays of the same shapes, dtypes and memory
layout that take no memory (zero strides), so nothing is computed or written, and no operand or
``out=`` of the user's is touched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gpudot._core.explained_errors import Explained, explained
from gpudot._dispatch.registry import owner_of
from gpudot._dtypes import refused_kinds
from gpudot._errors import AutogradError, TransferError, UnsupportedDtypeError

__all__ = ["raise_like_numpy"]

#: gpudot's own refusals, which keep gpudot's class and message: a backend without the dtype
#: (where NumPy would compute: see `_numpy_refuses_a_dtype`), a refused transfer, and a tensor
#: that requires grad (`AutogradError` is also the RuntimeError torch gives NumPy).
_GPUDOT_OWN = (UnsupportedDtypeError, TransferError, AutogradError)


class _NoStandIn(Exception):
    """An operand's shape is not known, so NumPy cannot be asked about it."""


def _stand_in(x: Any, *, writeable: bool = False) -> Any:
    """An ndarray shaped, typed and laid out like array ``x``, that takes no memory.

    An operand is a read-only view of one element with zero strides; an ``out=`` (``writeable``)
    keeps ``x``'s C or Fortran order, which NumPy's ``dot`` checks, in pages never touched. A
    list of arrays (multi_dot's chain) becomes a list of stand-ins; anything else that is not
    an array (a nested list, a scalar, None) is returned as it is, for NumPy to take it.
    """
    if isinstance(x, (list, tuple)) and any(hasattr(item, "shape") for item in x):
        return [_stand_in(item) for item in x]
    shape, dtype = getattr(x, "shape", None), _numpy_dtype(x)
    if shape is None or dtype is None:
        return x
    if not all(isinstance(length, (int, np.integer)) for length in shape):
        raise _NoStandIn  # e.g. a Dask array of unknown chunk sizes: its shape has NaNs
    shape = tuple(shape)
    flags = getattr(x, "flags", None)
    if writeable and (flags is None or flags.c_contiguous or flags.f_contiguous):
        return np.empty(shape, dtype, order="C" if flags is None or flags.c_contiguous else "F")
    element = np.empty(1, dtype)
    return np.lib.stride_tricks.as_strided(element, shape, (0,) * len(shape), writeable=writeable)


def _numpy_dtype(x: Any) -> np.dtype | None:
    """``x``'s dtype in NumPy's terms, through the backend that owns it; None if it has none."""
    owner = owner_of(x)
    try:
        return owner.numpy_dtype(x) if owner is not None else np.dtype(x.dtype)
    except (AttributeError, TypeError):
        return None


def _numpy_refuses_a_dtype(numpy_func: Callable[..., Any], args: tuple[Any, ...]) -> bool:
    """Whether an operand's dtype is one NumPy's function has no product for (`refused_kinds`):
    a backend that cannot hold it refuses it first, but NumPy's words are the answer."""
    refused = refused_kinds(numpy_func.__name__)
    flat = [item for x in args for item in (x if isinstance(x, (list, tuple)) else [x])]
    return any(getattr(_numpy_dtype(x), "kind", None) in refused for x in flat)


def raise_like_numpy(
    error: Exception, numpy_func: Callable[..., Any] | None, *args: Any, **kwargs: Any
) -> None:
    """Raise NumPy's exception for ``numpy_func(*args, **kwargs)`` with ``error``'s message
    after it, where ``error`` is gpudot's check failing on that call; else return, and the
    caller re-raises ``error``.

    ``error`` is kept as it is when it already carries NumPy's message, when it is one of
    gpudot's own refusals (a dtype the backend lacks but NumPy multiplies, a refused
    transfer), when an operand's shape is
    unknown (NumPy cannot be asked), or when NumPy accepts the stand-ins (then gpudot is
    stricter than NumPy, which the conformance suite reports).
    """
    if numpy_func is None or isinstance(error, Explained):
        return
    if isinstance(error, _GPUDOT_OWN) and not (
        isinstance(error, UnsupportedDtypeError) and _numpy_refuses_a_dtype(numpy_func, args)
    ):
        return
    try:
        args = tuple(_stand_in(x) for x in args)
        if kwargs.get("out") is not None:
            kwargs["out"] = _stand_in(kwargs["out"], writeable=True)
    except _NoStandIn:
        return
    try:
        numpy_func(*args, **kwargs)
    except Exception as numpy_error:  # noqa: BLE001 - whatever NumPy raises is the answer
        raise explained(numpy_error, str(error)) from None
