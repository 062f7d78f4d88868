"""The CUDA backend: importing CuPy lazily, probing a device (saying why not), copies, entering
the device per call. The products are `Backend`'s pipeline; the ``cupy`` module is injectable,
so the tests run this code over a stand-in.
"""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import partial
from types import ModuleType
from typing import Any

import numpy as np

from gpudot._descriptions import DOT, MATMUL
from gpudot._dtypes import NUMERIC_DTYPES
from gpudot._precision import current_precision
from gpudot.backends._base import Backend
from gpudot.backends._cupy_memory import run_with_memory_policy

_DLPACK_CPU = 1  # kDLCPU, the DLPack device type of host memory

__all__ = ["CUDA_INSTALL_HINT", "CupyBackend"]

CUDA_INSTALL_HINT = 'pip install "gpudot[cuda12]" (CUDA 12) or "gpudot[cuda13]" (CUDA 13)'


#: gpudot's extra per CUDA major version, and the oldest NVIDIA driver that runs it (NVIDIA's
#: CUDA minor version compatibility table: 12.x needs 525 or newer, 13.x needs 580 or newer).
_CUDA_EXTRAS = {12: ("cuda12", 525), 13: ("cuda13", 580)}


def _cuda_version(version: int) -> str:
    """CUDA's ``1000 * major + 10 * minor`` encoding as ``"major.minor"``."""
    return f"{version // 1000}.{version % 1000 // 10}"


def _driver_fix(runtime: ModuleType) -> str:
    """What the installed CuPy needs from the driver, how to check it, and the other extra."""
    major = runtime.runtimeGetVersion() // 1000
    if major not in _CUDA_EXTRAS:
        return f"check the driver with nvidia-smi, or install CuPy with {CUDA_INSTALL_HINT}"
    extra, driver = _CUDA_EXTRAS[major]
    other, (other_extra, other_driver) = next(
        (cuda, entry) for cuda, entry in _CUDA_EXTRAS.items() if cuda != major
    )
    return (
        f'the installed CuPy is built for CUDA {major} ("gpudot[{extra}]") and needs NVIDIA driver '
        f"{driver} or newer: check the driver with nvidia-smi and install or update it, or, with a "
        f'driver {other_driver} or newer, pip install "gpudot[{other_extra}]" (CUDA {other})'
    )


def _runtime_failure(runtime: ModuleType, error: Exception) -> str:
    """Why the first CUDA runtime call failed, and the fix."""
    status = str(error).split(":", 1)[0]
    if status == "cudaErrorInsufficientDriver":
        supported = runtime.driverGetVersion()  # 0 without a driver, as CUDA documents
        why = (
            "no NVIDIA driver was found"
            if supported == 0
            else f"the NVIDIA driver is too old (it supports CUDA {_cuda_version(supported)})"
        )
        return f"{why} ({error}); {_driver_fix(runtime)}"
    if status == "cudaErrorNoDevice":
        return f"the NVIDIA driver found no CUDA device (check CUDA_VISIBLE_DEVICES) ({error})"
    return f"the CUDA runtime failed to start ({error})"


#: Dtypes whose CuPy GEMM can use TF32: their compute-type slot is set around each product.
_TF32_DTYPES = frozenset((np.dtype("float32"), np.dtype("complex64")))

#: CuPy's compute type is one process-wide value per dtype: products that set it take turns.
_COMPUTE_TYPE_LOCK = threading.RLock()


class CupyBackend(Backend):
    """Products on a CUDA device with CuPy.

    Parameters
    ----------
    index : int, optional
        Device to run on (``"cuda:N"``). ``None`` follows CuPy's current device.
    module : module, optional
        The ``cupy`` module; imported on first use when not given (tests pass a stand-in).
    name : str, optional
        Registry name; defaults to ``"cupy"`` or ``"cupy:N"``.
    """

    supported_dtypes = NUMERIC_DTYPES

    def __init__(
        self, index: int | None = None, *, module: ModuleType | None = None, name: str | None = None
    ):
        self.index = index
        self._module = module
        self.name = name or ("cupy" if index is None else f"cupy:{index}")
        self._reason: tuple[str | None] | None = None

    @property
    def xp(self) -> ModuleType:
        if self._module is None:
            self._module = importlib.import_module("cupy")
        return self._module

    @property
    def device(self) -> str:
        index = self.index if self.index is not None else self.xp.cuda.runtime.getDevice()
        return f"cuda:{index}"

    def unavailable_reason(self) -> str | None:
        """Probe once: CuPy importable, a driver, a device, and one tiny allocation on it.

        Raises
        ------
        ValueError
            If a device index was given and no such device exists.
        """
        if self._reason is None:
            self._reason = (self._probe(),)
        return self._reason[0]

    def _probe(self) -> str | None:
        try:
            cp = self.xp
        except ImportError as error:
            return f"CuPy is not installed ({error}); install it with {CUDA_INSTALL_HINT}"
        try:
            count = cp.cuda.runtime.getDeviceCount()
        except cp.cuda.runtime.CUDARuntimeError as error:
            return _runtime_failure(cp.cuda.runtime, error)
        if count == 0:
            return "no CUDA device is visible (check CUDA_VISIBLE_DEVICES)"
        if self.index is not None and not 0 <= self.index < count:
            raise ValueError(
                f"CUDA device {self.index} does not exist: {count} device(s) visible, "
                f"choose 'cuda:0' to 'cuda:{count - 1}'"
            )
        try:
            with self.context():
                cp.zeros(1)
        except Exception as error:  # any failure here means the device is not usable
            failure = f"{type(error).__name__}: {error}"
            return f"CUDA device {self.device} cannot allocate memory ({failure})"
        return None

    @property
    def out_of_memory_error(self) -> type[BaseException]:
        """CuPy's ``OutOfMemoryError`` (importable only from ``cupy.cuda.memory``)."""
        error: type[BaseException] = self.xp.cuda.memory.OutOfMemoryError
        return error

    def free_cached_memory(self) -> None:
        """Return the memory pool's cached blocks to the device (nvidia-smi shows them used)."""
        with self.context():
            self.xp.get_default_memory_pool().free_all_blocks()

    def synchronize(self) -> None:
        """Wait until this backend's device has finished all queued work (for timing)."""
        with self.context():
            self.xp.cuda.runtime.deviceSynchronize()

    def memory_info(self) -> tuple[int, int]:
        """(free, total) bytes this backend can use: the device's, within the pool's limit."""
        with self.context():
            free, total = self.xp.cuda.runtime.memGetInfo()
            pool = self.xp.get_default_memory_pool()
            limit = pool.get_limit()
            if limit:  # set_limit() or CUPY_GPU_MEMORY_LIMIT
                free = min(free + pool.free_bytes(), limit - pool.used_bytes())
                total = min(total, limit)
        return int(free), int(total)

    def fill_from_host(self, out: Any, host: np.ndarray) -> None:
        """Copy ``host`` into the device array ``out`` (same shape), in place if contiguous."""
        with self.context():
            if out.flags.c_contiguous:
                out.set(np.ascontiguousarray(host, dtype=out.dtype))
            else:
                out[...] = self.from_host(host)

    def compute_type(self, dtype: np.dtype) -> int | None:
        """CuPy compute type a ``dtype`` product gets under the precision in effect, or ``None``:
        ``COMPUTE_TYPE_DEFAULT`` under ``"highest"``, else ``COMPUTE_TYPE_TF32`` (docs/gpus.md)."""
        if dtype not in _TF32_DTYPES:
            return None
        constants = self.xp._core._routines_linalg
        tf32 = current_precision() != "highest"
        return int(constants.COMPUTE_TYPE_TF32 if tf32 else constants.COMPUTE_TYPE_DEFAULT)

    @contextmanager
    def _compute_type(self, dtype: np.dtype) -> Iterator[None]:
        """Select the compute type for ``dtype`` for this product only, then restore CuPy's."""
        wanted = self.compute_type(dtype)
        if wanted is None:
            yield
            return
        core = self.xp._core
        with _COMPUTE_TYPE_LOCK:
            previous = core.get_compute_type(dtype)
            core.set_compute_type(dtype, wanted)
            try:
                yield
            finally:
                core.set_compute_type(dtype, previous)

    def compute(self, product: Callable[..., Any], a: Any, b: Any, dtype: np.dtype) -> Any:
        with self._compute_type(np.dtype(dtype)):
            return product(self.xp, a, b, dtype)

    # The products are partials, not closures: a closure would turn this method's arguments into
    # cells, allocated on every call.
    def matmul(self, x1: Any, x2: Any, out: Any = None, dtype: Any = None) -> Any:
        product = partial(Backend.matmul, self, dtype=dtype)
        return run_with_memory_policy(self, MATMUL, product, x1, x2, out, dtype)

    def dot(self, a: Any, b: Any, out: Any = None) -> Any:
        return run_with_memory_policy(self, DOT, partial(Backend.dot, self), a, b, out)

    def _loaded(self) -> ModuleType | None:
        """The cupy module if it was imported already: no cupy array can exist otherwise."""
        return self._module or sys.modules.get("cupy")

    def locate(self, x: object) -> str | None:
        cp = self._loaded()
        if cp is None or not isinstance(x, cp.ndarray):
            return None
        return f"cuda:{x.device.id}"

    def context(self) -> AbstractContextManager[object]:
        return nullcontext() if self.index is None else self.xp.cuda.Device(self.index)

    def from_host(self, x: np.ndarray) -> Any:
        with self.context():  # also when called outside a product, e.g. by gpudot.asarray
            return self.xp.asarray(x)

    def from_foreign(self, x: Any, source: Backend) -> Any:
        if isinstance(x, self.xp.ndarray):
            with self.context():
                return x.copy()  # CuPy copies onto the current device, peer to peer
        return super().from_foreign(x, source)

    def place_like(self, like: Any, result: Any, source: Backend) -> Any:
        """``result`` copied onto ``like``'s device (a result follows its operands there)."""
        with self.xp.cuda.Device(like.device.id):
            if isinstance(result, self.xp.ndarray):
                return result.copy()  # peer to peer
            return self.xp.asarray(source.to_numpy(result))

    def from_dlpack(self, x: Any) -> Any:
        """Host producers are host data (copied in); device ones go to `cupy.from_dlpack`."""
        if x.__dlpack_device__()[0] == _DLPACK_CPU:
            return super().from_dlpack(x)
        return self.xp.from_dlpack(x)

    def to_numpy(self, x: Any) -> np.ndarray:
        host: np.ndarray = self.xp.asnumpy(x)
        return host
