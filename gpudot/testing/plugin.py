"""pytest plugin: the ``--gpudot-backend`` option, the ``backend`` fixture, the ``gpu`` marker.

Loaded through the ``pytest11`` entry point. Tests that take ``backend`` run once per backend
(every registered one unless ``--gpudot-backend`` names some) with that backend in effect; a
backend that cannot run here is skipped with the reason its probe gives. Tests marked ``gpu``
run only where ``cupy.is_available()``, and are otherwise skipped with the CUDA backend's probe
reason (e.g. "no NVIDIA driver was found"), never a bare skip.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import pytest

from gpudot._errors import UnsupportedDtypeError
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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "gpu: needs a usable CUDA device (skipped with the CUDA backend's probe reason)"
    )


@functools.cache
def gpu_skip_reason() -> str | None:
    """``None`` where ``cupy.is_available()``, else why not, in the CUDA backend's words."""
    try:
        import cupy  # type: ignore[import-untyped]
    except ImportError:
        pass
    else:
        if cupy.is_available():
            return None
    return lookup("cupy").unavailable_reason() or "cupy.is_available() is False"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """A case whose dtype the backend declared unsupported is skipped with the backend's reason."""
    try:
        return (yield)
    except UnsupportedDtypeError as error:
        pytest.skip(f"unsupported by this backend: {error}")


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("gpu") is not None:
        reason = gpu_skip_reason()
        if reason is not None:
            pytest.skip(f"needs a CUDA device: {reason}")


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
