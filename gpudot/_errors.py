"""Exceptions and warnings raised by gpudot.

Each subclasses the builtin that NumPy or CuPy would raise in the same situation, so code that
already catches ``RuntimeError`` or ``TypeError`` around a product keeps working.
"""

__all__ = [
    "AutogradError",
    "BackendUnavailableError",
    "DeviceMemoryError",
    "GpudotFallbackWarning",
    "PluginWarning",
    "TransferError",
    "UnsupportedDtypeError",
    "TransferWarning",
]


class AutogradError(TypeError, RuntimeError):
    """An operand is a torch tensor that requires grad: autograd does not flow through gpudot.

    A ``TypeError``, as for any operand gpudot cannot take, and a ``RuntimeError``, as PyTorch
    raises when NumPy's own products are given such a tensor. The fix is ``tensor.detach()``.
    """


class BackendUnavailableError(RuntimeError):
    """A backend was required (``strict=True``) but cannot run here; the message says why."""


class GpudotFallbackWarning(UserWarning):
    """gpudot fell back to another backend; the message says why and how to fix or silence it."""


class TransferError(TypeError):
    """An operand lives on another backend or device and the transfer policy is ``"error"``.

    A ``TypeError``, like CuPy's own refusal of NumPy operands.
    """


class UnsupportedDtypeError(TypeError):
    """The backend in effect does not multiply this dtype (it declared so in ``supported_dtypes``).

    A ``TypeError``, as NumPy raises for dtypes it cannot multiply. The conformance suite skips a
    case that raises it, with its message as the reason, instead of failing it.
    """


class TransferWarning(UserWarning):
    """An operand was copied between backends or devices under the ``"warn"`` transfer policy."""


class DeviceMemoryError(MemoryError):
    """A product did not fit in device memory, even after freeing CuPy's cached blocks.

    A ``MemoryError``, like CuPy's own ``OutOfMemoryError``. The message names the operation, the
    operands' shapes and dtypes, the bytes needed and the device's free and total memory; the
    out-of-memory policy (`gpudot.set_oom_policy`) can tile the product or compute it on the host
    instead.
    """


class PluginWarning(UserWarning):
    """A backend plugin (``gpudot.backends`` entry point) failed to load; the message names it."""
