"""Example gpudot plugin: backends on array-api-strict, one per device.

``array-api-strict`` runs on its default device, ``array-api-strict-device1`` on ``device1``;
operands on the other device are copied only under gpudot's transfer policy.
"""

import array_api_strict

from gpudot.backends import ArrayAPIBackend

__all__ = ["default_device", "device1"]


def default_device() -> ArrayAPIBackend:
    """The backend on array-api-strict's default device."""
    return ArrayAPIBackend(array_api_strict, name="array-api-strict")


def device1() -> ArrayAPIBackend:
    """The backend on array-api-strict's ``device1``."""
    device = array_api_strict.Device("device1")
    return ArrayAPIBackend(array_api_strict, name="array-api-strict-device1", device=device)
