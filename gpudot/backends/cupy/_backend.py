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

from gpudot._config.precision import current_precision
from gpudot._config.transfer import DLPACK_CUDA
from gpudot._core.descriptions import DOT, MATMUL
from gpudot._dtypes import NUMERIC_DTYPES
from gpudot.backends._base import Backend
from gpudot.backends.cupy._libraries import missing_libraries
from gpudot.backends.cupy._out_of_memory import run_with_memory_policy

#: CuPy's integer and bool matmul kernel (`_tensordot_core_int_kernel` in
#: cupy/_core/_routines_linalg.pyx, v14.2.0) indexes with 32-bit ``int``: each call's
#: operand and result matrices (``M*K``, ``K*N``, ``M*N`` elements) must stay below this. Tests
#: lower it, with the stand-in's own limit.
INTEGER_KERNEL_INDEX_LIMIT = 2**31

#: ``cudaErrorMemoryAllocation``: CUDA's status for a failed device allocation (the wheel does not
#: export CuPy's ``runtime.errorMemoryAllocation`` alias to Python).
_CUDA_ERROR_MEMORY_ALLOCATION = 2

#: cuBLAS statuses that mean device memory ran out. CuPy creates each thread's cuBLAS handle
#: (per device) at its first float GEMM, outside CuPy's pool; ``cublasCreate`` reports a failed
#: allocation as ``CUBLAS_STATUS_ALLOC_FAILED`` (3), and a CUDA context or workspace it could not
#: set up for want of memory as ``CUBLAS_STATUS_NOT_INITIALIZED`` (1). Every other status (a bad
#: argument, a failed kernel, an unsupported GPU) is not memory and is raised as it is.
_CUBLAS_MEMORY_STATUSES = frozenset((1, 3))

__all__ = ["CUDA_INSTALL_HINT", "INTEGER_KERNEL_INDEX_LIMIT", "CupyBackend"]

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


def _libraries_fix(runtime: ModuleType, missing: list[str]) -> str:
    """What is missing of the CUDA libraries, and the extra (or toolkit) that brings them."""
    major = runtime.runtimeGetVersion() // 1000
    install = (
        f'pip install "gpudot[{_CUDA_EXTRAS[major][0]}]" (NVIDIA\'s CUDA {major} wheels), '
        f"or a CUDA {major} Toolkit with CUDA_PATH set"
        if major in _CUDA_EXTRAS
        else CUDA_INSTALL_HINT
    )
    return f"CuPy cannot load {', '.join(missing)}; install what is missing with {install}"


#: Dtypes whose CuPy GEMM can use TF32. They share one compute-type slot, which every product
#: sets (TF32 or full float32) and holds while it runs.
_TF32_DTYPES = frozenset((np.dtype("float32"), np.dtype("complex64")))
_FLOAT32 = np.dtype("float32")

#: The oldest compute capability with TF32 (Ampere, 8.0), as CuPy writes it.
_TF32_CAPABILITY = 80

#: CuPy's compute type is one process-wide value per dtype group: gpudot's products take turns.
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
    #: No float is NumPy's bits: cuBLAS sums in its own order (float16 2-D with a float32
    #: accumulator, float16 batches widened to float32), and one-element products sum in CUB's
    #: order (float16 ones are gpudot's, in float32: `gpudot._core.algorithms`). Integers and bool
    #: are NumPy's bits: CuPy's kernel accumulates in the loop dtype, which wraps like NumPy.
    bit_exact_floats: frozenset[np.dtype] | None = frozenset()

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
        """Probe once: CuPy importable, the CUDA libraries its products load (cuBLAS, NVRTC and
        the CUDA headers), a driver, a device, and one tiny allocation on it. The reason names
        every missing part and its fix.

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
        missing = missing_libraries(cp)  # needs no driver: checked whatever the device says
        problems = [self._device_failure(cp)]
        if missing:
            problems.append(_libraries_fix(cp.cuda.runtime, missing))
        return "; and ".join(problem for problem in problems if problem) or None

    def _device_failure(self, cp: ModuleType) -> str | None:
        """Why the driver or the device cannot run products, or ``None``."""
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

    def is_out_of_memory(self, error: BaseException) -> bool:
        """Whether ``error`` says memory ran out: any `MemoryError` (CuPy's pool
        ``OutOfMemoryError``, RMM's and other allocators'), a ``CUDARuntimeError`` with
        ``cudaErrorMemoryAllocation`` (a raw ``cudaMalloc``), or a ``CUBLASError`` whose status is
        a failed allocation (a new thread's cuBLAS handle)."""
        if isinstance(error, MemoryError):
            return True
        if not isinstance(error, RuntimeError):
            return False
        cuda = self.xp.cuda
        if isinstance(error, cuda.runtime.CUDARuntimeError):
            return bool(error.status == _CUDA_ERROR_MEMORY_ALLOCATION)
        try:  # imports cuBLAS's bindings, loaded already if a cuBLAS call failed
            cublas_error = cuda.cublas.CUBLASError
        except ImportError:
            return False
        return isinstance(error, cublas_error) and error.status in _CUBLAS_MEMORY_STATUSES

    def free_cached_memory(self) -> None:
        """Free what CuPy caches: the device pool's free unsplit blocks (nvidia-smi shows them
        used) and the pinned host pool's free buffers, which host copies leave behind."""
        with self.context():
            self.xp.get_default_memory_pool().free_all_blocks()
        self.xp.get_default_pinned_memory_pool().free_all_blocks()

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
            if out.flags.c_contiguous:  # np.asarray keeps a 0-d result 0-d (ascontiguousarray: 1-d)
                out.set(np.asarray(host, dtype=out.dtype, order="C"))
            else:
                out[...] = self.from_host(host)

    def tf32_available(self) -> bool:
        """Whether this backend's device runs TF32: compute capability 8.0 or newer. Below it CuPy
        warns and keeps ``COMPUTE_TYPE_DEFAULT`` when asked for TF32."""
        with self.context():  # CuPy caches each device's capability (cupy/cuda/device.pyx)
            return int(self.xp.cuda.Device().compute_capability) >= _TF32_CAPABILITY

    def compute_type(self, dtype: np.dtype) -> int:
        """CuPy's compute type for float32 and complex64 GEMMs while a product with result
        ``dtype`` runs: ``COMPUTE_TYPE_TF32`` for a float32/complex64 result under a precision
        other than ``"highest"`` on a device with TF32, else ``COMPUTE_TYPE_DEFAULT`` (full
        float32), also for the float32 GEMMs gpudot runs inside products of other dtypes (the exact
        routes, float16 through float32), whose results need every float32 bit."""
        constants = self.xp._core._routines_linalg
        tf32 = (
            dtype in _TF32_DTYPES and current_precision() != "highest" and self.tf32_available()
        )
        return int(constants.COMPUTE_TYPE_TF32 if tf32 else constants.COMPUTE_TYPE_DEFAULT)

    @contextmanager
    def holding_compute_type(self, dtype: np.dtype) -> Iterator[None]:
        """Hold CuPy's float32/complex64 compute type at `compute_type` while the block runs, under
        a lock that every gpudot product takes, then restore CuPy's value.

        CuPy keeps one process-wide slot, read by each GEMM as it launches, so the lock makes
        gpudot's products take turns: none of them sees another's TF32, nor ``CUPY_TF32``.
        """
        core = self.xp._core
        with _COMPUTE_TYPE_LOCK:
            previous = core.get_compute_type(_FLOAT32)
            core.set_compute_type(_FLOAT32, self.compute_type(dtype))
            try:
                yield
            finally:
                core.set_compute_type(_FLOAT32, previous)

    def compute(self, product: Callable[..., Any], a: Any, b: Any, dtype: np.dtype) -> Any:
        with self.holding_compute_type(np.dtype(dtype)):
            return product(self.xp, a, b, dtype, index_limit=INTEGER_KERNEL_INDEX_LIMIT)

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
        """Host producers are host data (copied in); CUDA ones go to `cupy.from_dlpack`, which
        keeps the producer's device (CuPy 14.2 has no ``device=``), then are copied onto this
        backend's device if they are elsewhere: CuPy's GEMMs never check an operand's device."""
        if x.__dlpack_device__()[0] not in DLPACK_CUDA:  # as cupy/_core/dlpack.pyx
            return super().from_dlpack(x)
        with self.context():
            array = self.xp.from_dlpack(x)
            return array if self.owns(array) else array.copy()

    def to_numpy(self, x: Any) -> np.ndarray:
        host: np.ndarray = self.xp.asnumpy(x)
        return host
