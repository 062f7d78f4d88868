"""A backend for any Array API namespace (or a library array-api-compat wraps, e.g. PyTorch).

It runs the shared `gpudot._core.algorithms`, so ``dot`` keeps NumPy's N-D semantics; dtypes are
translated by name; ``supported_dtypes`` leaves out what the namespace lacks and ``bool`` (the
standard's ``matmul`` has none). Another device's arrays cross under the transfer policy.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from gpudot._dtypes import NUMERIC_DTYPE_NAMES
from gpudot._errors import UnsupportedDtypeError
from gpudot.backends._base import Backend

__all__ = ["ARRAY_API_INSTALL_HINT", "ArrayAPIBackend"]

ARRAY_API_INSTALL_HINT = 'pip install "gpudot[array-api]"'


def _standard(namespace: ModuleType) -> tuple[ModuleType, bool]:
    """The namespace itself if it follows the Array API, else array-api-compat's wrapper of it;
    and whether the wrapper is used."""
    if hasattr(namespace, "__array_api_version__"):
        return namespace, False
    try:
        import array_api_compat
    except ImportError as error:
        raise ImportError(
            f"{namespace.__name__} is not an Array API namespace and array-api-compat, which "
            f"wraps it, is not installed ({error}); install it with {ARRAY_API_INSTALL_HINT}"
        ) from error
    return array_api_compat.array_namespace(namespace.asarray(0)), True


class ArrayAPIBackend(Backend):
    """Products with an Array API namespace on one of its devices.

    Parameters
    ----------
    namespace : module
        The array library, e.g. ``array_api_strict`` or ``torch`` (wrapped by array-api-compat).
    name : str
        The backend's registry name.
    device : object, optional
        A device of the namespace; default: the namespace's default device.
    """

    memory_layout = False

    def __init__(self, namespace: ModuleType, *, name: str, device: Any = None):
        self.name = name
        self._xp, self._compat = _standard(namespace)
        info = self._xp.__array_namespace_info__()
        self._device = info.default_device() if device is None else device
        self._dtypes = [
            (np.dtype(n), getattr(self._xp, n)) for n in NUMERIC_DTYPE_NAMES if hasattr(self._xp, n)
        ]
        self.supported_dtypes = frozenset(dt for dt, _ in self._dtypes if dt.kind != "b")

    @property
    def device(self) -> str:
        return str(self._device)

    @property
    def xp(self) -> ModuleType:
        return self._xp

    def unavailable_reason(self) -> None:
        return None

    def _namespace_of(self, x: object) -> object:
        if self._compat:
            import array_api_compat

            if not array_api_compat.is_array_api_obj(x):
                return None
            return array_api_compat.array_namespace(x)
        get_namespace = getattr(x, "__array_namespace__", None)
        return get_namespace() if get_namespace is not None else None

    def locate(self, x: object) -> str | None:
        if self._namespace_of(x) is not self._xp:
            return None
        return str(x.device)  # type: ignore[attr-defined]

    def from_host(self, x: np.ndarray) -> Any:
        if x.dtype not in dict(self._dtypes):
            raise UnsupportedDtypeError(
                f"{x.dtype} arrays cannot be moved to the {self.name!r} backend: "
                f"{self._xp.__name__} has no {x.dtype}. Use the 'numpy' backend for it."
            )
        return self._xp.asarray(x, device=self._device)

    def from_foreign(self, x: Any, source: Backend) -> Any:
        if source.locate(x) is not None and self._namespace_of(x) is self._xp:
            return x.to_device(self._device)
        return super().from_foreign(x, source)

    def place_like(self, like: Any, result: Any, source: Backend) -> Any:
        placed = super().place_like(like, result, source)
        return placed if placed.device == like.device else placed.to_device(like.device)

    def to_numpy(self, x: Any) -> np.ndarray:
        return np.array(np.from_dlpack(x), copy=True)

    def numpy_dtype(self, x: Any) -> np.dtype:
        for numpy_dtype, native in self._dtypes:
            if x.dtype == native:
                return numpy_dtype
        raise TypeError(f"the {self.name!r} backend has no NumPy equivalent of dtype {x.dtype}")

    def native_dtype(self, dtype: np.dtype) -> Any:
        native = dict(self._dtypes).get(np.dtype(dtype))
        if native is None:
            raise UnsupportedDtypeError(
                f"the {self.name!r} backend cannot compute in {dtype}: "
                f"{self._xp.__name__} has no such dtype. Use the 'numpy' backend for it."
            )
        return native

    def deliver(self, result: Any, out: Any, out_owner: Backend | None) -> Any:
        if out is not None and out_owner is self and out.dtype != result.dtype:
            result = self._xp.astype(result, out.dtype)  # the same-kind cast NumPy's out= does
        return super().deliver(result, out, out_owner)
