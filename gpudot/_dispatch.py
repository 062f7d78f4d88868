"""The dispatch layer above the backends: which backend owns an array, and moving arrays.

An operand that is not an array of the backend running the product is converted here: another
backend's array is copied under the transfer policy (`gpudot._transfer.check_transfer`), another
library's array with ``__dlpack__`` is imported, anything else is host data for `numpy.asarray`.
The backends reach this layer through `Backend.dispatch`, set when this module is imported, so
that no backend imports the registry (which builds them).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gpudot import _torch
from gpudot._transfer import check_transfer, dlpack_location
from gpudot.backends._base import Backend
from gpudot.backends._registry import lookup, owner_of

__all__ = ["convert", "out_owner", "to_numpy"]


def convert(target: Backend, x: object, argname: str) -> Any:
    """``x``, which ``target`` does not own, as an array of ``target``.

    Parameters
    ----------
    target : Backend
        The backend the product runs on.
    x : object
        An array of another backend, or another library's array with ``__dlpack__`` (both
        copied under the transfer policy when on another device), or host data (`numpy.asarray`).
    argname : str
        The operand's name in messages, e.g. ``"x1"``.

    Raises
    ------
    TransferError
        If ``x`` is on another device and the transfer policy is ``"error"``.
    """
    source = owner_of(x)
    if source is None:
        if hasattr(x, "__dlpack__"):
            location = dlpack_location(_torch.exportable(x, argname))
            if location != target.device:
                check_transfer(argname, location, target.device)
            return target.from_dlpack(x)
        return target.from_host(np.asarray(x))
    check_transfer(argname, source.locate(x) or source.device, target.device)
    return target.from_foreign(x, source)


def out_owner(target: Backend, out: object) -> Backend:
    """The backend owning ``out`` (not ``target``'s array), after applying the transfer policy.

    Raises
    ------
    TypeError
        If ``out`` is not an array of any backend.
    """
    owner = owner_of(out)
    if owner is None:
        raise TypeError(f"out must be an array, got {type(out).__name__}")
    check_transfer("out", owner.locate(out) or owner.device, target.device)
    return owner


def to_numpy(x: Any) -> np.ndarray:
    """A NumPy copy (or view, for NumPy input) of an array from any backend."""
    owner = owner_of(x)
    return np.asarray(x) if owner is None else owner.to_numpy(x)


class _Dispatch:
    """This module as `gpudot.backends._base.Dispatch`."""

    lookup = staticmethod(lookup)
    owner_of = staticmethod(owner_of)
    convert = staticmethod(convert)
    out_owner = staticmethod(out_owner)


Backend.dispatch = _Dispatch()
