"""The NumPy backend: products on the host, bit for bit what NumPy computes.

NumPy validates and computes in one C call, so this backend calls it first and only explains a
failure afterwards (with `gpudot._core.checks`), keeping the per-call overhead of a 4x4 product
small. The exact routes (`gpudot.backends.numpy._exact`) are asked only for dtypes without BLAS and
only when ``(x1.size / K) * x2.size`` (which bounds the multiply-adds from above) reaches the least
work any route takes (`_exact.LEAST_WORK`).
Arrays of other backends are copied to the host under the transfer policy; everything else
(scalars, lists, ndarray subclasses) reaches NumPy untouched, so NumPy's own semantics apply.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from gpudot._core import checks as _checks
from gpudot._core.descriptions import DOT, MATMUL
from gpudot._dtypes import BLAS_DTYPES
from gpudot.backends._base import Backend
from gpudot.backends._cost_model import DEFAULT_PROFILE, CpuEstimate, Profile, cpu_estimate
from gpudot.backends.numpy import _exact

__all__ = ["NumpyBackend"]

_ndarray = np.ndarray
_np_matmul = np.matmul
_np_dot = np.dot


def _work(a: np.ndarray, b: np.ndarray) -> int:
    """``(a.size / K) * b.size``: at least the multiply-adds of ``a @ b`` (0 for a 0-d ``a``)."""
    return (a.size // (a.shape[-1] or 1)) * b.size if a.ndim else 0


class NumpyBackend(Backend):
    """Products on the host with NumPy; always available."""

    name = "numpy"
    numpy_loops = True
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
        elif x1.dtype not in BLAS_DTYPES or dtype is not None:
            if (out is None or type(out) is _ndarray) and _work(x1, x2) >= _exact.LEAST_WORK:
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
        elif a.dtype not in BLAS_DTYPES:
            if (out is None or type(out) is _ndarray) and _work(a, b) >= _exact.LEAST_WORK:
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
