"""Test-session setup for the repository's own tests (the shipped suite needs none)."""

from __future__ import annotations

from types import SimpleNamespace

import fakecupy
import pytest
from fakecupy._core import _routines_linalg

from gpudot.backends import lookup
from gpudot.backends._cupy import CupyBackend


@pytest.fixture
def standin():
    """A fresh two-device stand-in machine: the module, its backends and its memory pool.

    ``backend`` follows the current device (registered ``"cupy-standin"``), ``devices[i]`` is
    ``"cuda:i"``; the stand-in's compute types are restored afterwards.
    """
    saved = list(_routines_linalg.compute_types)
    with fakecupy.simulate(device_count=2):
        yield SimpleNamespace(
            xp=fakecupy,
            backend=lookup("cupy-standin"),
            devices=[CupyBackend(i, module=fakecupy, name=f"cupy-standin:{i}") for i in (0, 1)],
            pool=fakecupy.get_default_memory_pool(),
        )
    _routines_linalg.compute_types[:] = saved
