"""Warnings that point at the user's line, however deep inside gpudot they are raised.

No fixed ``stacklevel`` fits every call path, so `warn` walks out of gpudot's frames (and
``contextlib``'s) to the first frame of user code; ``gpudot.testing`` counts as user code.
"""

from __future__ import annotations

import sys
import warnings
from types import FrameType

__all__ = ["warn"]

_PACKAGE = "gpudot"
_USER_CODE = f"{_PACKAGE}.testing"
_BETWEEN = "contextlib"  # the machinery of ``with gpudot.use_backend(...)``


def _internal(frame: FrameType) -> bool:
    name = frame.f_globals.get("__name__")
    if not isinstance(name, str):
        return False
    if name == _USER_CODE or name.startswith(f"{_USER_CODE}."):
        return False
    return name in (_PACKAGE, _BETWEEN) or name.startswith(f"{_PACKAGE}.")


def warn(message: str, category: type[Warning]) -> None:
    """Issue ``message`` as a ``category`` warning located at the first frame of user code.

    Where there is none (gpudot's own command line), it is located at the outermost frame.
    """
    frame = sys._getframe()
    stacklevel = 1  # this frame; each step out of gpudot's frames adds one
    while _internal(frame) and frame.f_back is not None:
        frame = frame.f_back
        stacklevel += 1
    warnings.warn(message, category, stacklevel=stacklevel)
