"""The dispatch layer above the backends: which backend owns an array, and moving arrays.

An operand that is not an array of the backend running the product is converted here: another
backend's array is copied under the transfer policy (`gpudot._config.transfer.check_transfer`),
another library's array with ``__dlpack__`` is imported, anything else is host data for
`numpy.asarray`. The backends reach this layer through `Backend.dispatch`, set when this module is
imported, so that no backend imports the registry (which builds them).

The layer also decides what comes back (`follow_operands`): the backend decides where the
arithmetic runs, the operands decide the kind of the result. Every layer that hands a result to
the user (the public products, the family, ``multi_dot``, the profile, the out-of-memory
policy's ``"cpu"`` fallback) asks this one function.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from gpudot._config.transfer import check_result_transfer, check_transfer, dlpack_location
from gpudot._core import foreign_arrays as _torch
from gpudot._dispatch.backend_setting import current_backend
from gpudot._dispatch.registry import lookup, owner_of
from gpudot.backends._base import Backend

__all__ = ["convert", "follow_operands", "location", "out_owner", "to_numpy"]

_ndarray = np.ndarray
_NUMPY = lookup("numpy")
#: Host data that needs no look-up: NumPy arrays and scalars, lists, Python numbers.
_PLAIN = (_ndarray, np.generic, list, tuple, int, float, complex)
_DLPACK_CPU, _DLPACK_CUDA = 1, 2  # DLPack's device types of host memory and of a CUDA device


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


def _owner(x: object) -> Backend | None:
    """The backend whose library made ``x``: a registered one, or the backend in effect (which
    may be an unregistered instance); ``None`` for plain host data."""
    owner = owner_of(x)
    if owner is None and not isinstance(x, _PLAIN):
        in_effect = current_backend()
        return in_effect if in_effect.locate(x) is not None else None
    return owner


def to_numpy(x: Any) -> np.ndarray:
    """A NumPy copy (or view, for NumPy input) of an array from any backend."""
    owner = _owner(x)
    return np.asarray(x) if owner is None else owner.to_numpy(x)


def location(x: object) -> str:
    """The device label of ``x``'s memory: its backend's (``"cpu"``, ``"cuda:0"``; a Dask array's
    is its chunks'), else what its ``__dlpack_device__`` says (``"cpu"`` for host data and NumPy
    scalars). Computing a Dask array of NumPy chunks, or wrapping a NumPy array in one, is no
    transfer."""
    owner = _owner(x)
    if owner is not None and owner is lookup("dask"):
        return location(x._meta)  # type: ignore[attr-defined]
    if owner is not None:
        return owner.locate(x) or owner.device
    dlpack_device = getattr(x, "__dlpack_device__", None)
    if dlpack_device is None or isinstance(x, np.generic):
        return "cpu"
    kind, index = dlpack_device()
    if kind == _DLPACK_CPU:
        return "cpu"
    return f"cuda:{index}" if kind == _DLPACK_CUDA else f"DLPack device type {kind}:{index}"


def _host(x: object) -> bool:
    """Whether ``x`` is host data, whose products come back as NumPy: a NumPy array or scalar,
    a list, a Python scalar (anything that is neither a backend's array nor has ``__dlpack__``)."""
    if isinstance(x, _PLAIN):
        return True
    owner = _owner(x)
    return owner is _NUMPY or (owner is None and not hasattr(x, "__dlpack__"))


def _lead(operands: Sequence[Any], result: Any) -> Any:
    """The operand whose kind the result takes, or None for host operands: a Dask array first
    (results stay lazy), else the first operand not on the host, preferring one that is where
    ``result`` already is (no copy)."""
    leads = [x for x in operands if not _host(x)]
    if len(leads) < 2:
        return leads[0] if leads else None
    dask = lookup("dask")
    lazy = [x for x in leads if _owner(x) is dask]
    if lazy:
        return lazy[0]
    here = location(result)
    return next((x for x in leads if location(x) == here and type(x) is type(result)), leads[0])


def follow_operands(
    result: Any, operands: Sequence[Any], out: Any = None, *, scalar: bool = True
) -> Any:
    """``result`` as the kind of array its operands decide: the rule of every backend.

    - Host operands (NumPy arrays and scalars, lists, Python scalars) give a NumPy array, or a
      NumPy scalar for a 0-d result where ``scalar`` (NumPy gives one for every product but
      ``tensordot``), whichever backend computed it.
    - A backend's arrays (CuPy, an Array API plugin's, Dask) give that backend's array on their
      device; with host operands beside them too (data on a device stays there). A Dask array
      among the operands gives a Dask array.
    - Another library's arrays with ``__dlpack__`` (PyTorch, JAX) give its array on its device
      (`gpudot._core.foreign_arrays.result_like`).
    - With ``out`` given, ``result`` (which is ``out``) as it is: NumPy's rule.

    A result computed elsewhere is copied back under the transfer policy
    (`gpudot._config.transfer.check_result_transfer`), as its operands were copied there (the result
    of lists and scalars alone, plain host data, is always converted back); applying the rule
    twice copies nothing.

    Raises
    ------
    TransferError
        If the result must be copied back and the transfer policy is ``"error"``.
    TypeError
        If the operands' library cannot hold the result's dtype.
    """
    if out is not None:
        return result
    if type(result) is _ndarray or isinstance(result, np.generic):  # the commonest: all on the host
        for x in operands:
            if type(x) is not _ndarray and not isinstance(x, _PLAIN):
                break
        else:
            return result
    lead = _lead(operands, result)
    if lead is None:
        if isinstance(result, (_ndarray, np.generic)):
            return result
        here = location(result)
        if here != "cpu" and any(isinstance(x, _ndarray) for x in operands):  # not for lists
            check_result_transfer(here, "cpu")
        host = to_numpy(result)
        return host[()] if scalar and host.ndim == 0 else host
    here, there = location(result), location(lead)
    owner = _owner(lead)
    if owner is None:  # another library's array, e.g. a torch.Tensor
        if type(result) is type(lead) and here == there:
            return result
        if here != there:
            check_result_transfer(here, there)
        if there == "cpu" and not isinstance(result, (_ndarray, np.generic)):
            result = to_numpy(result)  # a device result, or a lazy one computed
        return _torch.result_like(lead, result)
    if owner.locate(result) is not None and (here == there or owner is lookup("dask")):
        return result  # a lazy result stays lazy, its chunks where the Dask backend put them
    if here != there:  # wrapping a host result in a Dask array is no copy
        check_result_transfer(here, there)
    if isinstance(result, np.generic):
        result = np.asarray(result)
    return owner.place_like(lead, result, _owner(result) or _NUMPY)


class _Dispatch:
    """This module as `gpudot.backends._base.Dispatch`."""

    lookup = staticmethod(lookup)
    owner_of = staticmethod(owner_of)
    convert = staticmethod(convert)
    out_owner = staticmethod(out_owner)
    follow_operands = staticmethod(follow_operands)


Backend.dispatch = _Dispatch()
