"""The NumPy backend: products on the host, bit for bit what NumPy computes.

NumPy validates and computes in one C call, so this backend calls it first and only explains a
failure afterwards (with `gpudot._core.checks`), keeping the per-call overhead of a 4x4 product
small. The exact routes (`gpudot.backends.numpy._exact`) are asked first; each answers None at once
below its cost rule's threshold (`_exact.may_route`), and `numpy_takes` (the same rule's)
answers the public functions' question, whether NumPy's own call is this backend's result. The
family products NumPy computes with loops of its own (``vdot``, ``outer``, ``vecdot``,
``matvec``, ``vecmat``) run those loops here for float results, for NumPy's bits.
Arrays of other backends are copied to the host under the transfer policy; everything else
(scalars, lists, ndarray subclasses) reaches NumPy untouched, so NumPy's own semantics apply.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from gpudot._core import checks as _checks
from gpudot._core.descriptions import DOT, MATMUL
from gpudot.backends import _family_reductions as _reductions
from gpudot.backends._base import Backend
from gpudot.backends._cost_model import DEFAULT_PROFILE, CpuEstimate, Profile, cpu_estimate
from gpudot.backends.numpy import _exact

__all__ = ["NumpyBackend", "numpy_takes"]

_ndarray = np.ndarray
_np_matmul = np.matmul
_np_dot = np.dot
#: The public functions' question (`_exact.numpy_takes`), asked of this backend.
numpy_takes = _exact.numpy_takes


def _own_loop(a: np.ndarray, b: np.ndarray, out: Any = None) -> bool:
    """Whether NumPy's own loop of a family product gives its bits here: a result that is not
    integer or bool (those are exact in any order, so they take the ``matmul`` route and its
    fast paths), and ``out`` (if any) a NumPy array."""
    if out is not None and not isinstance(out, _ndarray):
        return False
    return np.result_type(a.dtype, b.dtype).kind not in "biu"


def _run_own(
    own: Callable[..., Any],
    args: tuple[Any, ...],
    options: dict[str, Any],
    check: Callable[..., object],
    check_args: tuple[Any, ...],
) -> Any:
    """``own(*args, **options)``, NumPy's loop; a failure is re-raised with gpudot's message
    where ``check(*check_args)`` (a `gpudot.backends._family_reductions` check) finds the fault,
    NumPy's otherwise."""
    try:
        return own(*args, **options)
    except (ValueError, TypeError) as error:
        _checks.explain(check, check_args, error)


def _matrix_vector(
    backend: Backend,
    func: str,
    reduction: Callable[..., Any],
    x1: Any,
    x2: Any,
    out: Any,
    dtype: Any,
) -> Any:
    """NumPy's ``matvec`` or ``vecmat`` (``func``) for float results, else ``reduction``."""
    own = getattr(np, func, None)
    if own is not None and _own_loop(x1, x2, out):
        checked = (func, backend, x1, x2, out, dtype)
        options = {"out": out, "dtype": dtype}
        return _run_own(own, (x1, x2), options, _reductions.gufunc_checks, checked)
    return reduction(backend, x1, x2, out, dtype)


class NumpyBackend(Backend):
    """Products on the host with NumPy; always available."""

    name = "numpy"
    bit_exact_floats = None  # NumPy's own loops and BLAS, or exact routes with their bits

    @property
    def device(self) -> str:
        return "cpu"

    @property
    def xp(self) -> ModuleType:
        return np

    def unavailable_reason(self) -> None:
        return None

    def locate(self, x: object) -> str | None:
        return "cpu" if isinstance(x, _ndarray) else None

    def from_host(self, x: np.ndarray) -> np.ndarray:
        return x

    def to_numpy(self, x: Any) -> np.ndarray:
        return np.asarray(x)

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
    ) -> CpuEstimate:
        """Predicted seconds of ``func`` on a (batch of) (m, k) @ (k, n) here (one operand 1-D
        where ``vector``; ``operands``: their dtype where narrower than ``dtype``), and the path.

        Integers, bool and float16: the exact routes' cost rule, the numbers this backend picks
        its route with (scaled by the profile's calibration); float32/float64/complex: the
        profile's BLAS throughput. See `gpudot.backends._cost_model.cpu_estimate`.
        """
        chosen = profile or DEFAULT_PROFILE
        return cpu_estimate(
            chosen, np.dtype(dtype), m, n, k, batch, func=func, vector=vector, operands=operands
        )

    def _operand(self, x: object, argname: str) -> Any:
        """``x`` as NumPy takes it: other backends' arrays are copied here, other libraries'
        arrays are imported through DLPack (zero-copy on the host), the rest passes."""
        if isinstance(x, _ndarray):
            return x
        if hasattr(x, "__dlpack__") or self.dispatch.owner_of(x) is not None:
            return self.asarray(x, argname)
        return x

    def matmul(self, x1: Any, x2: Any, out: Any = None, dtype: Any = None) -> Any:
        if type(x1) is not _ndarray or type(x2) is not _ndarray:
            x1, x2 = self._operand(x1, "x1"), self._operand(x2, "x2")
        elif out is None or type(out) is _ndarray:
            routed = _exact.matmul(x1, x2, out, dtype)
            if routed is not None:
                return routed
        if out is not None and not isinstance(out, _ndarray):
            owner = self.check_out(out)
            return self.deliver(self.matmul(x1, x2, dtype=dtype), out, owner)
        try:
            if out is None and dtype is None:
                return _np_matmul(x1, x2)
            return _np_matmul(x1, x2, out=out, dtype=dtype)
        except (ValueError, TypeError) as error:
            _checks.explain(self._check_matmul, (x1, x2, out, dtype), error)

    def dot(self, a: Any, b: Any, out: Any = None) -> Any:
        if type(a) is not _ndarray or type(b) is not _ndarray:
            a, b = self._operand(a, "a"), self._operand(b, "b")
        elif out is None or type(out) is _ndarray:
            routed = _exact.dot(a, b, out)
            if routed is not None:
                return routed
        if out is not None and not isinstance(out, _ndarray):
            owner = self.check_out(out)
            return self.deliver(self.dot(a, b), out, owner)
        try:
            return _np_dot(a, b) if out is None else _np_dot(a, b, out=out)
        except (ValueError, TypeError) as error:
            _checks.explain(self._check_dot, (a, b, out), error)

    # NumPy's own loops of the family, where a reduction to dot/matmul could change a float's bits.
    # A NumPy too old to have a function gets the reduction (NumPy 2.2's semantics). The
    # reductions are called, not ``super()``: `gpudot.profile` runs these methods on its recorder.

    def vdot(self, a: Any, b: Any) -> Any:
        if _own_loop(a, b):
            return _run_own(np.vdot, (a, b), {}, _reductions.vdot_checks, (self, a, b))
        return _reductions.vdot(self, a, b)

    def outer(self, a: Any, b: Any, out: Any = None) -> Any:
        if _own_loop(a, b, out):
            checked = (self, a, b, out)
            return _run_own(np.outer, (a, b), {"out": out}, _reductions.outer_checks, checked)
        return _reductions.outer(self, a, b, out)

    def vecdot(self, x1: Any, x2: Any, out: Any = None, axis: int = -1, dtype: Any = None) -> Any:
        own = getattr(np, "vecdot", None)
        if own is not None and _own_loop(x1, x2, out):
            options = {"out": out, "axis": axis, "dtype": dtype}
            checked = (self, x1, x2, out, axis, dtype)
            return _run_own(own, (x1, x2), options, _reductions.vecdot_checks, checked)
        return _reductions.vecdot(self, x1, x2, out, axis, dtype)

    def matvec(self, x1: Any, x2: Any, out: Any = None, dtype: Any = None) -> Any:
        return _matrix_vector(self, "matvec", _reductions.matvec, x1, x2, out, dtype)

    def vecmat(self, x1: Any, x2: Any, out: Any = None, dtype: Any = None) -> Any:
        return _matrix_vector(self, "vecmat", _reductions.vecmat, x1, x2, out, dtype)

    @staticmethod
    def _check_matmul(x1: object, x2: object, out: Any, dtype: object) -> None:
        a, b = np.asarray(x1), np.asarray(x2)
        MATMUL.check_dtypes((a.dtype, b.dtype), None, "numpy")
        shape = MATMUL.result_shape(a.shape, b.shape)
        loop = MATMUL.result_dtype(a.dtype, b.dtype, dtype)
        if out is not None:
            MATMUL.check_out(shape, loop, out)

    @staticmethod
    def _check_dot(a: object, b: object, out: Any) -> None:
        a, b = np.asarray(a), np.asarray(b)
        DOT.check_dtypes((a.dtype, b.dtype), None, "numpy")
        shape = DOT.result_shape(a.shape, b.shape)
        if out is not None:
            DOT.check_out(shape, DOT.result_dtype(a.dtype, b.dtype, None), out)
