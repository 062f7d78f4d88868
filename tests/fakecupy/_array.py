"""The stand-in's own array type and its creation and transfer functions.

`ndarray` wraps a NumPy array but is not one: NumPy refuses to convert it implicitly, exactly as
CuPy does, so a device array leaking into host code (or the reverse) fails in tests as it would
on a GPU. Every new buffer is allocated from the current device's memory pool.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from fakecupy._machine import transfers
from fakecupy.cuda import runtime
from fakecupy.cuda.device import Device
from fakecupy.cuda.memory import get_default_memory_pool

__all__ = ["asarray", "asnumpy", "empty", "ndarray", "zeros"]

IMPLICIT_CONVERSION = (
    "Implicit conversion to a NumPy array is not allowed. "
    "Please use .get() to construct a NumPy array explicitly."
)


def _type_error(argname: str, value: object) -> TypeError:
    """CuPy's Cython argument check message."""
    kind = type(value)
    return TypeError(
        f"Argument '{argname}' has incorrect type (expected cupy._core.core._ndarray_base, "
        f"got {kind.__module__}.{kind.__qualname__})"
    )


class ndarray:  # noqa: N801 - CuPy's name
    """A device array: NumPy data plus the device it lives on."""

    __array_priority__ = 100

    def __init__(self, data: np.ndarray, device: int, *, base: ndarray | None = None):
        self._data = data
        self.device = Device(device)
        self._base = base  # views keep their base's buffer alive

    @classmethod
    def _allocate(cls, data: np.ndarray) -> ndarray:
        """Wrap freshly computed ``data`` in a new buffer on the current device."""
        release = get_default_memory_pool().malloc(data.nbytes)
        array = cls(data, runtime.getDevice())
        weakref.finalize(array, release)
        return array

    # --- what gpudot and the contract suite read ----------------------------------------------
    shape = property(lambda self: self._data.shape)
    dtype = property(lambda self: self._data.dtype)
    ndim = property(lambda self: self._data.ndim)
    size = property(lambda self: self._data.size)
    nbytes = property(lambda self: self._data.nbytes)
    strides = property(lambda self: self._data.strides)
    flags = property(lambda self: self._data.flags)
    T = property(lambda self: self._view(self._data.T))

    def _view(self, data: np.ndarray) -> ndarray:
        return ndarray(data, self.device.id, base=self._base if self._base is not None else self)

    def _check_device(self) -> None:
        current = runtime.getDevice()
        if self.device.id != current:
            raise ValueError(
                f"The device where the array resides ({self.device.id}) is different from the "
                f"current device ({current}). Peer access is unavailable between these devices."
            )

    def astype(self, dtype: Any, copy: bool = True) -> ndarray:
        self._check_device()
        return ndarray._allocate(self._data.astype(dtype))

    def copy(self) -> ndarray:
        """A copy on the CURRENT device (peer to peer when it differs, as in CuPy)."""
        return ndarray._allocate(self._data.copy())

    def get(
        self,
        stream: object = None,
        order: str = "C",
        out: np.ndarray | None = None,
        blocking: bool = True,
    ) -> np.ndarray:
        transfers.device_to_host += 1
        transfers.device_to_host_bytes += self.nbytes
        host = np.array(self._data, order=order)
        if out is None:
            return host
        out[...] = host
        return out

    def set(self, arr: np.ndarray, stream: object = None) -> None:
        """Copy a host array of the same shape and dtype into this C-contiguous array, in place."""
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"Only numpy.ndarray can be set to cupy.ndarray, got {type(arr)}")
        if arr.dtype != self.dtype or arr.shape != self.shape:
            raise ValueError(
                f"Mismatched dtype or shape: {arr.dtype} {arr.shape} vs {self.dtype} {self.shape}"
            )
        if not self._data.flags.c_contiguous:
            raise RuntimeError("Cannot set to non-contiguous array")
        transfers.host_to_device += 1
        transfers.host_to_device_bytes += arr.nbytes
        self._data[...] = arr

    def dot(self, b: ndarray, out: ndarray | None = None) -> ndarray:
        from fakecupy._linalg import dot

        return dot(self, b, out)

    def reshape(self, *shape: Any) -> ndarray:
        return self._view(self._data.reshape(*shape))

    def transpose(self, *axes: Any) -> ndarray:
        return self._view(self._data.transpose(*axes))

    def conj(self) -> ndarray:
        self._check_device()
        return ndarray._allocate(self._data.conj())

    def __getitem__(self, key: Any) -> ndarray:
        return self._view(self._data[key])

    def __setitem__(self, key: Any, value: Any) -> None:
        self._check_device()
        if isinstance(value, ndarray):
            value = value._data
        elif isinstance(value, np.ndarray):  # CuPy copies host data over
            transfers.host_to_device += 1
            transfers.host_to_device_bytes += value.nbytes
        self._data[key] = value

    def __array__(self, *args: object, **kwargs: object) -> np.ndarray:
        raise TypeError(IMPLICIT_CONVERSION)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"{np.array_repr(self._data)[:-1]}, device={self.device.id})"


def asarray(
    a: Any, dtype: Any = None, order: str | None = None, *, blocking: bool = False
) -> ndarray:
    """Copy host data onto the current device (counted); device arrays pass through."""
    if isinstance(a, ndarray):
        return a if dtype is None or a.dtype == dtype else a.astype(dtype)
    runtime.check_driver()
    host = np.asarray(a, dtype=dtype, order=order or "K")
    transfers.host_to_device += 1
    transfers.host_to_device_bytes += host.nbytes
    return ndarray._allocate(np.array(host, order="K", copy=True))


def asnumpy(
    a: Any,
    stream: object = None,
    order: str = "C",
    out: np.ndarray | None = None,
    *,
    blocking: bool = True,
) -> np.ndarray:
    """A host copy of a device array; anything else goes through `numpy.asarray`."""
    if isinstance(a, ndarray):
        return a.get(stream, order, out, blocking)
    return np.asarray(a, order=order)


def zeros(shape: Any, dtype: Any = float, order: str = "C") -> ndarray:
    runtime.check_driver()
    return ndarray._allocate(np.zeros(shape, dtype, order))


def empty(shape: Any, dtype: Any = float, order: str = "C") -> ndarray:
    runtime.check_driver()
    return ndarray._allocate(np.empty(shape, dtype, order))


def reshape(a: ndarray, newshape: Any) -> ndarray:
    """``cupy.reshape``: the array method as a function."""
    return a.reshape(newshape)


def transpose(a: ndarray, axes: Any = None) -> ndarray:
    """``cupy.transpose``: the array method as a function."""
    return a.transpose(axes)


def conj(x: ndarray) -> ndarray:
    """``cupy.conj``: a new conjugated array (a real array's copy, like CuPy's ufunc)."""
    return x.conj()


def astype(x: ndarray, dtype: Any, /, *, copy: bool = True) -> ndarray:
    """``cupy.astype`` (CuPy 14, ``cupy/_creation/basic.py``): the method, CuPy arrays only."""
    if not isinstance(x, ndarray):
        raise TypeError(f"Input should be a CuPy array. It is a {type(x)} instead.")
    return x.astype(dtype, copy=copy)


#: ``cupy.permute_dims`` is ``cupy.transpose`` itself (``cupy/__init__.py`` at v14.2.0).
permute_dims = transpose
