"""Test-session setup for the repository: the CUDA backend over the CuPy stand-in.

Registers ``"cupy-standin"``: gpudot's real `CupyBackend` with ``tests/fakecupy`` injected as
its ``cupy`` module, so the shipped conformance suite (and every test taking ``backend``) runs
the CUDA backend's code in CI, labelled ``[cupy-standin]`` in each test ID. The stand-in is on
``sys.path`` only inside this test session (pytest's ``pythonpath`` setting).
"""

import fakecupy

from gpudot import register_backend
from gpudot.backends._cupy import CupyBackend

register_backend(
    "cupy-standin",
    lambda: CupyBackend(module=fakecupy, name="cupy-standin"),
    module="fakecupy",
)
