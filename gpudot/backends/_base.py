"""The backend interface, and the product pipeline that every backend shares.

A backend is a name, an array namespace ``xp``, an availability probe and conversions; the
pipeline (`Backend.dot`, `Backend.matmul`) checks with NumPy's rules and runs the shared
`gpudot._core.algorithms`, and the rest of the family (`Backend.vdot`, ``inner``, ``outer``,
``tensordot``, ``vecdot``, ``matvec``, ``vecmat``) is reduced to those two
(`gpudot.backends._family_reductions`) unless a backend has loops of its own. Backends are
leaves: they reach the dispatch layer (`gpudot._dispatch.conversions`) through
`Backend.dispatch`, never by importing it (docs/architecture.md).
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import numpy as np

from gpudot._core import algorithms as _algorithms
from gpudot._core import checks as _checks
from gpudot._core import foreign_arrays as _torch
from gpudot._core.descriptions import DOT, MATMUL, Description
from gpudot.backends import _family_reductions as _reductions

if TYPE_CHECKING:
    from numpy.typing import DTypeLike

    from gpudot.backends._cost_model import CpuEstimate, Profile

__all__ = ["Backend", "Dispatch", "Exactness"]


class Exactness(enum.Enum):
    """How a backend's results of one dtype compare with NumPy's (`Backend.exactness`).

    ``BOUND`` is the summation-order bound of `gpudot._core.error_bounds.error_bound`: any two
    orders of a float sum differ by at most ``(2K + 1) * eps * (|a| @ |b|) + tiny`` per element
    (``K`` the contracted length, doubled for complex; ``eps`` and ``tiny`` of the result dtype).
    """

    BITS = "NumPy's bits"
    BOUND = "within (2K + 1) * eps * (|a| @ |b|) + tiny of NumPy"


class Dispatch(Protocol):
    """The dispatch layer above the backends, as a backend sees it
    (`gpudot._dispatch.conversions`)."""

    def lookup(self, name: str) -> Backend:
        """The backend registered as ``name`` (e.g. the NumPy backend for host blocks)."""

    def owner_of(self, x: object) -> Backend | None:
        """The backend whose library made ``x``, or ``None`` for plain host data."""

    def convert(self, target: Backend, x: object, argname: str) -> Any:
        """``x``, not an array of ``target``, as one: copied under the transfer policy."""

    def out_owner(self, target: Backend, out: object) -> Backend:
        """The backend owning ``out``, not an array of ``target``, under the transfer policy."""

    def follow_operands(
        self, result: Any, operands: Any, out: Any = None, *, scalar: bool = True
    ) -> Any:
        """``result`` as the kind of array ``operands`` decide (NumPy for host operands...)."""


class Backend(abc.ABC):
    """Where products run: one array library on one device.

    Subclasses set `name`, `device` and optionally `supported_dtypes` and `bit_exact_floats`,
    and implement `xp`, `unavailable_reason`, `locate`, `from_host` and `to_numpy`. Override
    `from_foreign` for a cheaper device-to-device copy, `context` to enter the device for the
    duration of a call, `place_like` where a result must land on one operand's device among
    several, and a family product (`vdot`...) where the library has a loop of its own.
    """

    #: Registry name, e.g. ``"numpy"`` or ``"cupy:1"``.
    name: str
    #: Dtypes this backend multiplies; ``None`` means every dtype NumPy supports.
    supported_dtypes: frozenset[np.dtype] | None = None
    #: Float dtypes whose results here are NumPy's bits (``None``: every dtype); other floats are
    #: within the summation-order bound (`Exactness`). Integers, bool (and object arrays) are
    #: NumPy's bits on every backend: wraparound has no bound. The default, no float dtype, is
    #: the conservative claim.
    bit_exact_floats: frozenset[np.dtype] | None = frozenset()
    #: Whether arrays have a memory layout: strides, C/Fortran order, views sharing memory.
    memory_layout: bool = True
    #: The layer above the backends; `gpudot._dispatch.conversions` sets it when gpudot is imported.
    dispatch: ClassVar[Dispatch]

    @property
    @abc.abstractmethod
    def device(self) -> str:
        """Label of the device products run on, e.g. ``"cpu"`` or ``"cuda:0"``."""

    @property
    @abc.abstractmethod
    def xp(self) -> ModuleType:
        """The array namespace the shared algorithms run on."""

    @abc.abstractmethod
    def unavailable_reason(self) -> str | None:
        """``None`` if the backend can run here, else a sentence saying why not and the fix."""

    @abc.abstractmethod
    def locate(self, x: object) -> str | None:
        """Device label of ``x`` if it is an array of this backend's library, else ``None``."""

    def placement(self, *operands: object) -> tuple[Backend, str]:
        """The backend that runs a whole family product of ``operands``, and why."""
        return self, ""

    def estimate_seconds(
        self,
        func: str,
        dtype: np.dtype,
        m: int,
        n: int,
        k: int,
        batch: int = 1,
        profile: Profile | None = None,
        *,
        vector: bool = False,
        operands: np.dtype | None = None,
    ) -> CpuEstimate | None:
        """Predicted time of ``func`` on a (batch of) (m, k) @ (k, n) here, one operand 1-D
        where ``vector``, the operands of dtype ``operands`` where narrower than ``dtype``;
        None: no model."""
        return None

    @abc.abstractmethod
    def from_host(self, x: np.ndarray) -> Any:
        """Copy a NumPy array onto this backend's device."""

    @abc.abstractmethod
    def to_numpy(self, x: Any) -> np.ndarray:
        """Copy an array of this backend's library to a NumPy array on the host."""

    def exactness(self, dtype: DTypeLike) -> Exactness:
        """Whether results of ``dtype`` (the result's) are NumPy's bits here or within the
        summation-order bound, under precision ``"highest"`` (the default; ``"tf32"`` and
        ``"fast"`` trade bits for their own bounds): what the conformance suite asserts."""
        dtype = np.dtype(dtype)
        declared = self.bit_exact_floats
        floating = dtype.kind in "fc" or dtype.name == "bfloat16"  # ml_dtypes' kind is "V"
        if not floating or declared is None or dtype in declared:
            return Exactness.BITS
        return Exactness.BOUND

    def context(self) -> AbstractContextManager[object]:
        """Context entered around each product, e.g. selecting the device."""
        return nullcontext()

    def from_foreign(self, x: Any, source: Backend) -> Any:
        """Copy ``x``, an array of backend ``source``, onto this backend's device."""
        return self.from_host(source.to_numpy(x))

    def place_like(self, like: Any, result: Any, source: Backend) -> Any:
        """``result``, an array of backend ``source``, as an array of this backend on the device
        of ``like``, an operand of this backend: where the operands say a result belongs
        (`gpudot._dispatch.conversions.follow_operands`). Backends with several devices override
        it."""
        return self.from_foreign(result, source)

    def from_dlpack(self, x: Any) -> Any:
        """Import ``x``, another library's host array with ``__dlpack__``, zero-copy, then
        `from_host` (device backends override this)."""
        return self.from_host(_torch.host_array(x))

    def owns(self, x: object) -> bool:
        """Whether ``x`` is already an array of this backend, on its device."""
        return self.locate(x) == self.device

    def asarray(self, x: object, argname: str = "x") -> Any:
        """Return ``x`` as an array of this backend, copying it under the transfer policy."""
        if self.owns(x):
            return x
        return self.dispatch.convert(self, x, argname)

    def check_out(self, out: object) -> Backend:
        """Return the backend that owns ``out``, after applying the transfer policy to it."""
        if self.owns(out):
            return self
        return self.dispatch.out_owner(self, out)

    def deliver(self, result: Any, out: Any, out_owner: Backend | None) -> Any:
        """Return ``result``, or write it into ``out`` (owned by ``out_owner``) and return that."""
        if out is None:
            return result
        if out_owner is not self:
            assert out_owner is not None
            result = out_owner.from_foreign(result, self)
        out[...] = result
        return out

    def compute(self, product: Callable[..., Any], a: Any, b: Any, dtype: np.dtype) -> Any:
        """Run ``product`` (`_algorithms.dot` or ``matmul``) on ``xp``: a hook around arithmetic
        (e.g. to select a GPU compute type)."""
        return product(self.xp, a, b, dtype)

    def numpy_dtype(self, x: Any) -> np.dtype:
        """The NumPy dtype of ``x``, an array of this backend (Array API dtypes are not NumPy's)."""
        dtype: np.dtype = x.dtype
        return dtype

    def native_dtype(self, dtype: np.dtype) -> Any:
        """``dtype`` as this backend's library spells it, for the shared algorithms."""
        return dtype

    def check_dtypes(
        self, func: str, a: np.dtype, b: np.dtype, names: tuple[str, str] = ("a", "b")
    ) -> None:
        """NumPy's `TypeError` for dtypes it cannot multiply, `UnsupportedDtypeError` for ones
        this backend does not."""
        _checks.check_dtypes(func, (a, b), self.supported_dtypes, self.name, names)

    def matmul(self, x1: Any, x2: Any, out: Any = None, dtype: Any = None) -> Any:
        """``numpy.matmul`` on this backend; see `gpudot.matmul`."""
        return self._product(MATMUL, _algorithms.matmul, x1, x2, out, dtype)

    def dot(self, a: Any, b: Any, out: Any = None) -> Any:
        """``numpy.dot`` on this backend; see `gpudot.dot`."""
        return self._product(DOT, _algorithms.dot, a, b, out, None)

    # The rest of the family, on operands already arrays of this backend (the public functions
    # convert them inside `context`): reduced to `dot` and `matmul`, so their fast paths and
    # precision apply. Results and errors are NumPy's (see `gpudot.vdot`...). An override for a
    # loop of the library's own calls the reduction (`gpudot.backends._family_reductions`) for
    # the cases it leaves, not ``super()``: `gpudot.profile` runs these methods on its recorder.

    def vdot(self, a: Any, b: Any) -> Any:
        """``numpy.vdot`` on this backend; see `gpudot.vdot`."""
        return _reductions.vdot(self, a, b)

    def inner(self, a: Any, b: Any) -> Any:
        """``numpy.inner`` on this backend; see `gpudot.inner`."""
        return _reductions.inner(self, a, b)

    def outer(self, a: Any, b: Any, out: Any = None) -> Any:
        """``numpy.outer`` on this backend; see `gpudot.outer`."""
        return _reductions.outer(self, a, b, out)

    def tensordot(self, a: Any, b: Any, axes: Any = 2) -> Any:
        """``numpy.tensordot`` on this backend; see `gpudot.tensordot`."""
        return _reductions.tensordot(self, a, b, axes)

    def vecdot(self, x1: Any, x2: Any, out: Any = None, axis: int = -1, dtype: Any = None) -> Any:
        """``numpy.vecdot`` on this backend; see `gpudot.vecdot`."""
        return _reductions.vecdot(self, x1, x2, out, axis, dtype)

    def matvec(self, x1: Any, x2: Any, out: Any = None, dtype: Any = None) -> Any:
        """``numpy.matvec`` on this backend; see `gpudot.matvec`."""
        return _reductions.matvec(self, x1, x2, out, dtype)

    def vecmat(self, x1: Any, x2: Any, out: Any = None, dtype: Any = None) -> Any:
        """``numpy.vecmat`` on this backend; see `gpudot.vecmat`."""
        return _reductions.vecmat(self, x1, x2, out, dtype)

    def _product(
        self,
        func: Description,
        algorithm: Callable[..., Any],
        x1: Any,
        x2: Any,
        out: Any,
        dtype: Any,
    ) -> Any:
        """Check the product ``func`` describes, compute it with ``algorithm``, deliver it."""
        with self.context():
            name1, name2 = func.arg_names
            a, b = self.asarray(x1, name1), self.asarray(x2, name2)
            dtype1, dtype2 = self.numpy_dtype(a), self.numpy_dtype(b)
            self.check_dtypes(func.name, dtype1, dtype2, func.arg_names)
            shape = func.result_shape(tuple(a.shape), tuple(b.shape))
            loop = func.result_dtype(dtype1, dtype2, dtype)
            out_owner = None
            if out is not None:
                out_owner = self.check_out(out)
                func.check_out(shape, loop, out, out_dtype=out_owner.numpy_dtype(out))
            result = self.compute(algorithm, a, b, self.native_dtype(loop))
            return self.deliver(result, out, out_owner)

    def __repr__(self) -> str:
        return f"<gpudot backend {self.name!r}>"
