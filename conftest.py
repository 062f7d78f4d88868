"""Test-session setup for the repository: the CUDA backend over the CuPy stand-in.

Registers ``"cupy-standin"``: gpudot's real `CupyBackend` with ``tests/fakecupy`` injected as
its ``cupy`` module, so the shipped conformance suite (and every test taking ``backend``) runs
the CUDA backend's code in CI, labelled ``[cupy-standin]`` in each test ID. The stand-in is put
on ``sys.path`` here, for this test session only, so it works from any working directory
(e.g. ``--pyargs gpudot.testing`` run elsewhere against an editable install).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "tests"))

import fakecupy  # noqa: E402

from gpudot import register_backend  # noqa: E402
from gpudot.backends.cupy._backend import CupyBackend  # noqa: E402

register_backend(
    "cupy-standin",
    lambda: CupyBackend(module=fakecupy, name="cupy-standin"),
    module="fakecupy",
)
