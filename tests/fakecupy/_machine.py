"""The simulated machine: how many devices, whether a driver is present, copy counters."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["MACHINE", "Transfers", "simulate", "transfers"]

GIB = 2**30


@dataclasses.dataclass
class Machine:
    """What the stand-in pretends the host has."""

    device_count: int = 2
    driver: bool = True
    #: CUDA versions as CUDA writes them (1000 * major + 10 * minor): the runtime CuPy was built
    #: with, and the newest the driver supports (0 without a driver).
    runtime_version: int = 12090
    driver_version: int = 13000
    memory_per_device: int = 16 * GIB
    device_name: str = "fakecupy simulated GPU"
    #: The CUDA libraries CuPy's loader finds (NVIDIA's wheels, a toolkit): a bare CuPy wheel
    #: without the CUDA extra has none of them.
    cublas: bool = True
    nvrtc: bool = True
    cuda_headers: bool = True
    #: ``major * 10 + minor``: TF32 needs 8.0 (Ampere) or newer.
    compute_capability: int = 80


@dataclasses.dataclass
class Transfers:
    """Counters of host<->device copies and their bytes, for tests to read and reset."""

    host_to_device: int = 0
    host_to_device_bytes: int = 0
    device_to_host: int = 0
    device_to_host_bytes: int = 0

    def reset(self) -> None:
        for field in dataclasses.fields(self):
            setattr(self, field.name, 0)


MACHINE = Machine()
transfers = Transfers()


@contextmanager
def simulate(**settings: object) -> Iterator[Machine]:
    """Change the simulated machine (``device_count``, ``driver``, ...) inside the block.

    The memory pools, current devices and copy counters start afresh and are restored after.
    """
    from fakecupy.cuda import memory

    saved = dataclasses.replace(MACHINE)
    for name, value in settings.items():
        if not hasattr(MACHINE, name):
            raise TypeError(f"unknown machine setting {name!r}")
        setattr(MACHINE, name, value)
    pools = memory.reset_pools()
    transfers.reset()
    try:
        yield MACHINE
    finally:
        for field in dataclasses.fields(MACHINE):
            setattr(MACHINE, field.name, getattr(saved, field.name))
        memory.restore_pools(pools)
        transfers.reset()
