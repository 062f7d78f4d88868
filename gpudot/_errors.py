"""Exceptions and warnings raised by gpudot.

Each subclasses the builtin that NumPy or CuPy would raise in the same situation, so code that
already catches ``RuntimeError`` or ``TypeError`` around a product keeps working.
"""

__all__ = [
    "BackendUnavailableError",
    "GpudotFallbackWarning",
    "PluginWarning",
    "TransferError",
    "TransferWarning",
]


class BackendUnavailableError(RuntimeError):
    """A backend was required (``strict=True``) but cannot run here; the message says why."""


class GpudotFallbackWarning(UserWarning):
    """gpudot fell back to another backend; the message says why and how to fix or silence it."""


class TransferError(TypeError):
    """An operand lives on another backend or device and the transfer policy is ``"error"``.

    A ``TypeError``, like CuPy's own refusal of NumPy operands.
    """


class TransferWarning(UserWarning):
    """An operand was copied between backends or devices under the ``"warn"`` transfer policy."""


class PluginWarning(UserWarning):
    """A backend plugin (``gpudot.backends`` entry point) failed to load; the message names it."""
