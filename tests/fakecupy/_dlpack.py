"""``cupy.from_dlpack``, and `Producer`: another library's device tensor (a torch CUDA tensor).

Modelled on cupy/_core/dlpack.pyx (v14.2.0): ``from_dlpack`` reads ``__dlpack_device__``, refuses
``device=`` (``NotImplementedError``) and host producers (``TypeError``), asks a CUDA producer for
its capsule with the producer's device current, and returns an array on the producer's device
sharing its memory, whatever the current device.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fakecupy._array import ndarray
from fakecupy.cuda import runtime

__all__ = ["Producer", "from_dlpack"]

KDLCPU, KDLCUDA = 1, 2


class _Capsule:
    """What ``__dlpack__`` hands over: the memory and the device it is on."""

    def __init__(self, data: np.ndarray, device: int):
        self.data, self.device = data, device


class Producer:
    """A tensor of another library on device ``device`` (``kind`` 2, CUDA) or on the host (1),
    exporting ``data`` through DLPack without copying."""

    def __init__(self, data: np.ndarray, device: int = 1, kind: int = KDLCUDA):
        self.data, self.device, self.kind = data, device, kind
        self.exports = 0

    def __dlpack_device__(self) -> tuple[int, int]:
        return self.kind, self.device

    def __dlpack__(self, *, stream: Any = None, max_version: Any = None, copy: Any = None) -> Any:
        self.exports += 1
        if self.kind == KDLCPU:
            return self.data.__dlpack__()
        return _Capsule(self.data, self.device)


def from_dlpack(array: Any, *, device: Any = None, copy: Any = None) -> ndarray:
    """A zero-copy array on the producer's device."""
    kind, index = array.__dlpack_device__()
    if device is not None:
        raise NotImplementedError("from_dlpack() does not support device yet.")
    if kind == KDLCPU:
        raise TypeError(
            "CPU arrays cannot be directly imported to CuPy. "
            "Use `cupy.array(numpy.from_dlpack(input))` instead."
        )
    previous = runtime.getDevice()
    runtime.setDevice(index)
    try:
        capsule = array.__dlpack__(stream=1, max_version=(1, 0), copy=copy)
    finally:
        runtime.setDevice(previous)
    return ndarray(capsule.data, capsule.device)
