"""Test-session setup for the repository's own tests (the shipped suite needs none)."""

from __future__ import annotations

import pytest

from gpudot.backends import _registry
from gpudot.backends._cupy import CupyBackend


@pytest.fixture
def minicupy():
    """The minimal CuPy double (tests/minicupy.py), reset, with a registered backend per device."""
    import minicupy as module

    module.reset()
    names = ("minicupy", "minicupy:0", "minicupy:1")
    _registry.register_backend("minicupy", lambda: CupyBackend(module=module, name="minicupy"),
                               module="tests", replace=True)
    for index in (0, 1):
        _registry.register_backend(
            f"minicupy:{index}",
            lambda index=index: CupyBackend(index, module=module, name=f"minicupy:{index}"),
            replace=True,
        )
    for name in names:
        _registry.lookup(name)
    yield module
    for name in names:
        _registry._ENTRIES.pop(name, None)
        _registry._INSTANCES.pop(name, None)
