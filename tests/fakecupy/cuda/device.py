"""``cupy.cuda.Device``: select a device, as a context manager or with ``use()``."""

from __future__ import annotations

from fakecupy._machine import MACHINE
from fakecupy.cuda import runtime

__all__ = ["Device"]


class Device:
    """A CUDA device; like CuPy's, it is not validated until it is used."""

    def __init__(self, device: int | None = None):
        self.id = runtime.getDevice() if device is None else int(device)
        self._previous: list[int] = []

    def use(self) -> None:
        runtime.setDevice(self.id)

    def __enter__(self) -> Device:
        previous = runtime.getDevice()
        runtime.setDevice(self.id)
        self._previous.append(previous)
        return self

    def __exit__(self, *exc_info: object) -> None:
        runtime.setDevice(self._previous.pop())

    @property
    def compute_capability(self) -> str:
        """``major * 10 + minor`` as a string, as CuPy gives it (``"80"`` for Ampere)."""
        runtime.check_device(self.id)
        return str(MACHINE.compute_capability)

    @property
    def mem_info(self) -> tuple[int, int]:
        """(free, total) bytes of this device."""
        with Device(self.id):
            return runtime.memGetInfo()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Device) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return f"<CUDA Device {self.id}>"
