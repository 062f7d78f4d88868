"""pytest plugin: the ``--gpudot-backend`` option and the ``backend`` fixture.

Loaded through the ``pytest11`` entry point. Tests that take ``backend`` run once per backend
(every registered one unless ``--gpudot-backend`` names some) with that backend in effect; a
backend that cannot run here is skipped with the reason its probe gives.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gpudot._state import use_backend
from gpudot.backends import Backend, backend_names, lookup


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("gpudot").addoption(
        "--gpudot-backend",
        action="append",
        default=[],
        metavar="NAME",
        help="run gpudot's conformance suite on backend NAME (repeatable; default: all registered)",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        names = metafunc.config.getoption("gpudot_backend") or list(backend_names())
        metafunc.parametrize("backend", names, indirect=True, ids=names)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    """The backend under test, in effect for the duration of the test."""
    selected = lookup(request.param)
    reason = selected.unavailable_reason()
    if reason is not None:
        pytest.skip(f"backend {selected.name!r} cannot run here: {reason}")
    with use_backend(selected):
        yield selected
