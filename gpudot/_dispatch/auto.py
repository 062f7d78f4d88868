"""``"auto"``: each product runs where the cost model predicts it finishes first.

Operands on a GPU keep the product there; host operands go there when `gpudot.backends._cost_model`,
copies included (the operands there and the result back: host operands give a NumPy result),
beats the CPU backend's own estimate, and never where the transfer policy ``"error"`` refuses
the copies. Without a usable GPU ``"auto"`` is the NumPy backend itself.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from gpudot._config.transfer import get_transfer_policy
from gpudot._core.descriptions import PRODUCTS
from gpudot._dispatch.calibration import load_profile
from gpudot._dispatch.registry import lookup
from gpudot.backends._base import Backend
from gpudot.backends._cost_model import Profile, estimate

__all__ = ["AutoBackend", "auto_backend"]

_ndarray = np.ndarray
_AUTO: dict[str, Backend] = {}


def auto_backend() -> Backend:
    """The backend ``"auto"`` selects here: an `AutoBackend` if CUDA is usable, else NumPy."""
    backend = _AUTO.get("auto")
    if backend is None:
        gpu, cpu = lookup("cuda"), lookup("numpy")
        backend = (
            cpu if gpu.unavailable_reason() is not None else AutoBackend(gpu, cpu, load_profile())
        )
        _AUTO["auto"] = backend
    return backend


class AutoBackend(Backend):
    """Routes each product to ``gpu`` or ``cpu`` with the cost model under ``profile``.

    Parameters
    ----------
    gpu, cpu : Backend
        The device backend (CuPy) and the host backend (NumPy).
    profile : Profile
        Machine figures (see ``python -m gpudot calibrate``).
    """

    name = "auto"

    def __init__(self, gpu: Backend, cpu: Backend, profile: Profile):
        self.gpu, self.cpu, self.profile = gpu, cpu, profile

    @property
    def device(self) -> str:
        return self.gpu.device

    @property
    def xp(self) -> ModuleType:
        return self.cpu.xp

    def unavailable_reason(self) -> str | None:
        return self.gpu.unavailable_reason()

    def locate(self, x: object) -> str | None:
        return self.gpu.locate(x) or self.cpu.locate(x)

    def owns(self, x: object) -> bool:
        return self.locate(x) is not None

    def from_host(self, x: np.ndarray) -> np.ndarray:
        return x  # host data stays on the host until a product decides

    def asarray(self, x: object, argname: str = "x") -> Any:
        """``x`` on the GPU (`gpudot.asarray` keeps data there, explicitly)."""
        return self.gpu.asarray(x, argname)

    def to_numpy(self, x: Any) -> np.ndarray:
        return self.gpu.to_numpy(x) if self.gpu.locate(x) else self.cpu.to_numpy(x)

    def route(
        self, func: str, x1: Any, x2: Any, out: Any = None, dtype: Any = None
    ) -> tuple[Backend, str]:
        """The backend that should compute ``func(x1, x2)`` and why."""
        if any(self.gpu.locate(x) is not None for x in (x1, x2, out)):
            return self.gpu, "an operand or out= is already on the GPU"
        if type(x1) is not _ndarray or type(x2) is not _ndarray:
            return self.cpu, "host data that is not a NumPy array"
        if get_transfer_policy() == "error":
            return self.cpu, "host operands, and the transfer policy 'error' refuses copies"
        sizes = PRODUCTS[func].sizes(x1.shape, x2.shape)
        if sizes is None:
            return self.cpu, "not a matrix product (scalar or mismatched shapes)"
        try:
            operands = np.result_type(x1, x2)
            compute = np.dtype(dtype) if dtype is not None else operands
        except TypeError:
            return self.cpu, "dtype has no common type"
        supported = self.gpu.supported_dtypes
        if supported is not None and compute not in supported:
            return self.cpu, f"{compute} is not supported on the GPU"
        m, n, k, batch = sizes
        vector = (x1.ndim == 1) != (x2.ndim == 1)
        cpu = self.cpu.estimate_seconds(  # operands narrower than compute: a dtype= product
            func, compute, m, n, k, batch, self.profile, vector=vector, operands=operands
        )
        guess = estimate(
            self.profile,
            compute,
            m,
            n,
            k,
            batch,
            host_bytes=x1.nbytes + x2.nbytes,
            result_bytes=m * n * batch * compute.itemsize,
            cpu=cpu,
            func=func,
        )
        return (self.gpu if guess.device == "gpu" else self.cpu), guess.reason

    def placement(self, *operands: object) -> tuple[Backend, str]:
        """The GPU if an operand is already there, else the CPU: the cost model rates ``dot``
        and ``matmul`` only, and a family product's parts must stay on one side."""
        if any(self.gpu.locate(x) is not None for x in operands):
            return self.gpu, "an operand is already on the GPU"
        return self.cpu, "host operands: the cost model rates dot and matmul only, so the CPU"

    def matmul(self, x1: Any, x2: Any, out: Any = None, dtype: Any = None) -> Any:
        return self.route("matmul", x1, x2, out, dtype)[0].matmul(x1, x2, out, dtype)

    def dot(self, a: Any, b: Any, out: Any = None) -> Any:
        return self.route("dot", a, b, out)[0].dot(a, b, out)

    def __repr__(self) -> str:
        where = f"{self.gpu.device} or cpu per call"
        return f"<gpudot backend 'auto': {where} ({self.profile.source} profile)>"
