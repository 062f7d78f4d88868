"""pytest plugin: the ``--gpudot-backend`` option, the ``backend`` fixture, the ``gpu`` marker.

Loaded through the ``pytest11`` entry point. Tests that take ``backend`` run once per backend
with that backend in effect. The run cannot go green by accident:

- without ``--gpudot-backend`` every registered backend runs; one that cannot run here is
  skipped, and its probe's reason is reported once, in one folded skip line and at the end;
- ``--gpudot-backend=NAME`` with an unknown NAME stops the run at once with a usage error that
  lists the valid names (exit code 4, pytest's ``USAGE_ERROR``);
- ``--gpudot-backend=NAME`` naming a backend that cannot run here (``cuda`` without a driver)
  stops the run before any test with the probe's reason (exit code `EXIT_UNAVAILABLE`), unless
  ``--gpudot-allow-unavailable`` asks for its cases to be skipped instead.

Tests marked ``gpu`` run only where ``cupy.is_available()`` and are otherwise skipped with the
CUDA backend's probe reason (e.g. "no NVIDIA driver was found"), never a bare skip.
"""

from __future__ import annotations

import functools
from collections.abc import Generator, Iterator

import pytest

from gpudot import UnsupportedDtypeError, use_backend
from gpudot.backends import Backend, backend_names, lookup

__all__ = ["EXIT_UNAVAILABLE"]

#: Exit code of a run stopped because a backend named with ``--gpudot-backend`` cannot run here.
EXIT_UNAVAILABLE = 6

_SKIP_REASON = pytest.StashKey[str]()
_UNAVAILABLE = pytest.StashKey[dict[str, str]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gpudot")
    group.addoption(
        "--gpudot-backend",
        action="append",
        default=[],
        metavar="NAME",
        help="run gpudot's conformance suite on backend NAME (repeatable; default: all "
        "registered). The run stops, exit code 6, if NAME cannot run here.",
    )
    group.addoption(
        "--gpudot-allow-unavailable",
        action="store_true",
        help="skip the cases of a --gpudot-backend that cannot run here instead of stopping",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "gpu: needs a usable CUDA device (skipped with the CUDA backend's probe reason)"
    )
    config.stash[_UNAVAILABLE] = {}
    for name in config.getoption("gpudot_backend"):
        try:
            lookup(name)
        except (TypeError, ValueError) as error:
            raise pytest.UsageError(f"--gpudot-backend={name}: {error}") from None


def pytest_sessionstart(session: pytest.Session) -> None:
    """Stop before any test if a backend the user named cannot run here (unless allowed)."""
    config = session.config
    if config.getoption("gpudot_allow_unavailable"):
        return
    for name in config.getoption("gpudot_backend"):
        reason = lookup(name).unavailable_reason()
        if reason is not None:
            pytest.exit(
                f"--gpudot-backend={name}: backend {lookup(name).name!r} cannot run here: "
                f"{reason}. Fix the machine, or pass --gpudot-allow-unavailable to skip its "
                "cases instead.",
                returncode=EXIT_UNAVAILABLE,
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


def _skip_once(item: pytest.Item, reason: str) -> None:
    """Skip ``item`` so that every skip for the same reason folds into one report line."""
    item.stash[_SKIP_REASON] = reason
    pytest.skip(reason)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Report a `_skip_once` skip at one place, so pytest folds them into one summary line."""
    report = yield
    reason = item.stash.get(_SKIP_REASON, None)
    if reason is not None and report.skipped:
        report.longrepr = (__file__, _skip_once.__code__.co_firstlineno, reason)
    return report


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
            _skip_once(item, f"needs a CUDA device: {reason}")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        names = metafunc.config.getoption("gpudot_backend") or list(backend_names())
        metafunc.parametrize("backend", names, indirect=True, ids=names)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Name, once each, the backends whose cases were skipped because they cannot run here."""
    unavailable = terminalreporter.config.stash.get(_UNAVAILABLE, {})
    for name, reason in unavailable.items():
        terminalreporter.write_line(f"gpudot: backend {name!r} cannot run here: {reason}")


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    """The backend under test, in effect for the duration of the test."""
    selected = lookup(request.param)
    reason = selected.unavailable_reason()
    if reason is not None:
        request.config.stash[_UNAVAILABLE][selected.name] = reason
        _skip_once(request.node, f"backend {selected.name!r} cannot run here: {reason}")
    with use_backend(selected):
        yield selected
