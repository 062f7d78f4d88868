"""A minimal CuPy double for the GPU-operations tests: devices, a memory limit, compute types.

Only the API `gpudot.backends._cupy.CupyBackend` and `gpudot._memory` use. Arrays are NumPy
arrays wrapped in a class of their own (so NumPy never mistakes them for host arrays) with a device
id; every allocation counts against its device's ``limit``; freed bytes stay in the pool's cache,
reused by later allocations unless the device is ``fragmented`` (then only ``free_all_blocks()``
returns them, so a test can see that gpudot frees them). A float32/complex64 2-D
product under ``COMPUTE_TYPE_TF32`` rounds its inputs to TF32's 10-bit mantissa, as tensor
cores do; the batched path ignores the compute type, as CuPy's does. ``GEMMS`` logs
(device, ndim, dtype, compute type) of every product.
"""

from __future__ import annotations

import threading
import weakref
from types import SimpleNamespace

import numpy as np

GEMMS: list[tuple[int, int, str, int]] = []


class OutOfMemoryError(MemoryError):
    def __init__(self, size, total, limit=0):
        super().__init__(f"Out of memory allocating {size:,} bytes (allocated so far: {total:,} bytes).")


class CUDARuntimeError(RuntimeError):
    pass


class _Device:
    def __init__(self, index: int, limit: int):
        self.index, self.limit, self.used, self.cached = index, limit, 0, 0
        self.fragmented = False  # True: cached blocks cannot be reused until free_all_blocks()


DEVICES = [_Device(0, 1 << 30), _Device(1, 1 << 30)]
_local = threading.local()


def reset(count: int = 2, limit: int = 1 << 30) -> None:
    DEVICES[:] = [_Device(i, limit) for i in range(count)]
    _local.__dict__.clear()
    GEMMS.clear()
    _compute_types.clear()


def _current() -> int:
    return getattr(_local, "device", 0)


def _allocate(nbytes: int) -> _Device:
    device = DEVICES[_current()]
    reuse = 0 if device.fragmented else min(device.cached, nbytes)
    if device.used + device.cached + nbytes - reuse > device.limit:
        raise OutOfMemoryError(nbytes, device.used)
    device.cached -= reuse
    device.used += nbytes
    return device


def _release(device: _Device, nbytes: int) -> None:
    device.used -= nbytes
    device.cached += nbytes


class ndarray:  # noqa: N801 (CuPy's name)
    def __init__(self, data: np.ndarray, *, view_of: ndarray | None = None):
        if view_of is None:
            owner = _allocate(data.nbytes)
            weakref.finalize(self, _release, owner, data.nbytes)
            self.device = SimpleNamespace(id=owner.index)
        else:
            self.device = view_of.device
        self._data = data

    shape = property(lambda self: self._data.shape)
    ndim = property(lambda self: self._data.ndim)
    dtype = property(lambda self: self._data.dtype)
    size = property(lambda self: self._data.size)
    nbytes = property(lambda self: self._data.nbytes)

    @property
    def flags(self):
        return SimpleNamespace(c_contiguous=self._data.flags.c_contiguous)

    def set(self, host):
        if not self._data.flags.c_contiguous or host.shape != self.shape or host.dtype != self.dtype:
            raise ValueError("set needs a C-contiguous array of the same shape and dtype")
        self._data[...] = host

    def astype(self, dtype):
        return ndarray(self._data.astype(dtype))

    def copy(self):
        return ndarray(self._data.copy())

    def __getitem__(self, index):
        return ndarray(self._data[index], view_of=self)

    def __setitem__(self, index, value):
        if isinstance(value, np.ndarray):
            raise TypeError("Implicit conversion of a NumPy array is not allowed here")
        self._data[index] = value._data if isinstance(value, ndarray) else value

    def __repr__(self):
        return f"minicupy.ndarray({self._data!r}, device={self.device.id})"


def _on_current(*arrays: ndarray) -> list[np.ndarray]:
    for x in arrays:
        if not isinstance(x, ndarray):
            raise TypeError(f"Argument has incorrect type (expected ndarray, got {type(x).__name__})")
        if x.device.id != _current():
            raise ValueError(f"array on device {x.device.id} used on device {_current()}")
    return [x._data for x in arrays]


def _tf32(x: np.ndarray) -> np.ndarray:
    if x.dtype.kind == "c":
        return _tf32(x.real) + 1j * _tf32(x.imag)
    bits = np.ascontiguousarray(x, np.float32).view(np.uint32)
    return ((bits + 0x1000) & 0xFFFFE000).view(np.float32)


def matmul(a, b):
    x, y = _on_current(a, b)
    ct = _routines_linalg.COMPUTE_TYPE_DEFAULT
    if x.dtype in (np.float32, np.complex64):
        ct = _core.get_compute_type(x.dtype)
    GEMMS.append((_current(), max(x.ndim, y.ndim), x.dtype.name, ct))
    if ct == _routines_linalg.COMPUTE_TYPE_TF32 and max(x.ndim, y.ndim) <= 2:
        x, y = _tf32(x).astype(x.dtype), _tf32(y).astype(y.dtype)
    return ndarray(np.asarray(np.matmul(x, y)))


def multiply(a, b):
    x, y = _on_current(a, b)
    return ndarray(np.asarray(np.multiply(x, y)))


def tensordot(a, b, axes):
    x, y = _on_current(a, b)
    return ndarray(np.asarray(np.tensordot(x, y, axes)))


def asarray(x):
    if isinstance(x, ndarray):
        return x if x.device.id == _current() else x.copy()
    return ndarray(np.array(x))


def empty(shape, dtype):
    return ndarray(np.empty(shape, dtype))


def zeros(shape, dtype=float):
    return ndarray(np.zeros(shape, dtype))


def ones(shape, dtype=float):
    return ndarray(np.ones(shape, dtype))


def asnumpy(x):
    return x._data.copy()


class _Pool:
    def free_all_blocks(self):
        DEVICES[_current()].cached = 0


def get_default_memory_pool():
    return _Pool()


class Device:
    def __init__(self, index=None):
        self.id = _current() if index is None else index
        self._saved: list[int] = []

    def __enter__(self):
        if not 0 <= self.id < len(DEVICES):
            raise CUDARuntimeError("cudaErrorInvalidDevice: invalid device ordinal")
        self._saved.append(_current())
        _local.device = self.id
        return self

    def __exit__(self, *exc):
        _local.device = self._saved.pop()

    @property
    def mem_info(self):
        device = DEVICES[self.id]
        return device.limit - device.used - device.cached, device.limit


def _mem_get_info():
    return Device().mem_info


runtime = SimpleNamespace(
    CUDARuntimeError=CUDARuntimeError,
    getDeviceCount=lambda: len(DEVICES),
    getDevice=_current,
    memGetInfo=_mem_get_info,
    deviceSynchronize=lambda: None,
    getDeviceProperties=lambda i: {"name": b"minicupy device"},
)
cuda = SimpleNamespace(
    runtime=runtime, Device=Device, memory=SimpleNamespace(OutOfMemoryError=OutOfMemoryError)
)

_routines_linalg = SimpleNamespace(COMPUTE_TYPE_TBD=0, COMPUTE_TYPE_DEFAULT=1, COMPUTE_TYPE_PEDANTIC=2,
                                   COMPUTE_TYPE_TF32=7)
_compute_types: dict[str, int] = {}


def _slot(dtype) -> str:  # CuPy keeps one slot for float32 and complex64, one for f64 and c128
    return {"complex64": "float32", "complex128": "float64"}.get(np.dtype(dtype).name, np.dtype(dtype).name)


def _get_compute_type(dtype):
    return _compute_types.get(_slot(dtype), _routines_linalg.COMPUTE_TYPE_DEFAULT)


def _set_compute_type(dtype, compute_type):
    _compute_types[_slot(dtype)] = compute_type


_core = SimpleNamespace(get_compute_type=_get_compute_type, set_compute_type=_set_compute_type,
                        _routines_linalg=_routines_linalg)
