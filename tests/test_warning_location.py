"""Each gpudot warning points at the user's line, whatever the call depth inside gpudot.

Every test records the warnings of one call and checks their ``filename`` and ``lineno`` against
the line of that call in this file, found with `_next_line` (no line number is written down).
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import fakecupy
import numpy as np
import pytest

import gpudot
from gpudot import _user_warnings as _caller
from gpudot._dispatch import backend_setting as _state
from gpudot._dispatch.registry import _ENTRIES, _INSTANCES
from gpudot.backends import lookup
from gpudot.backends.cupy._backend import CupyBackend

NODRIVER = "cupy-nodriver-test"


def _next_line() -> int:
    """The line after the caller's: where the call under test is written."""
    return sys._getframe(1).f_lineno + 1


def _assert_located(record: list[warnings.WarningMessage], category: type[Warning], line: int):
    located = [(w.filename, w.lineno) for w in record if issubclass(w.category, category)]
    assert located, f"no {category.__name__} was issued"
    assert located == [(__file__, line)] * len(located)


@pytest.fixture(autouse=True)
def restore_default_backend() -> Iterator[None]:
    saved = _state.BACKEND_SETTING.default
    yield
    _state.BACKEND_SETTING.default = saved


@pytest.fixture
def nodriver() -> Iterator[str]:
    """A registered name for gpudot's CUDA backend on a stand-in machine without a driver."""
    gpudot.register_backend(NODRIVER, lambda: CupyBackend(module=fakecupy, name=NODRIVER))
    with fakecupy.simulate(driver=False):
        yield NODRIVER
    _ENTRIES.pop(NODRIVER)
    _INSTANCES.pop(NODRIVER, None)


def test_set_backend_fallback_points_at_the_call(nodriver):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        line = _next_line()
        gpudot.set_backend(nodriver)
    _assert_located(record, gpudot.GpudotFallbackWarning, line)


def test_use_backend_fallback_points_at_the_with_line(nodriver):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        line = _next_line()
        with gpudot.use_backend(nodriver):
            pass
    _assert_located(record, gpudot.GpudotFallbackWarning, line)


@pytest.mark.parametrize("product", [gpudot.matmul, gpudot.dot, gpudot.vdot])
def test_environment_fallback_points_at_the_first_product(nodriver, monkeypatch, product):
    monkeypatch.setenv("GPUDOT_BACKEND", nodriver)
    _state.BACKEND_SETTING.default = None  # not built yet: the next product reads the variable
    a = np.arange(4.0).reshape(2, 2)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        line = _next_line()
        product(a, a)
    _assert_located(record, gpudot.GpudotFallbackWarning, line)
    assert gpudot.get_backend().name == "numpy"


def test_environment_fallback_in_a_fresh_process_points_at_the_first_use(tmp_path):
    if lookup("cuda").unavailable_reason() is None:
        pytest.skip("a CUDA device is usable here: GPUDOT_BACKEND=cuda does not fall back")
    script = tmp_path / "user.py"
    script.write_text("import gpudot\n\nprint(gpudot.matmul([1.0], [2.0]))\n")
    env = {"GPUDOT_BACKEND": "cuda", "PATH": ""}
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    assert f"{script}:3: GpudotFallbackWarning" in run.stderr


V = np.arange(3.0)
M = np.arange(6.0).reshape(2, 3)

#: A product of the family and its (host) operands; the second moves to the device.
FAMILY: dict[str, tuple[Callable[..., Any], np.ndarray, np.ndarray]] = {
    "matmul": (gpudot.matmul, M, V),
    "dot": (gpudot.dot, M, V),
    "vdot": (gpudot.vdot, V, V),
    "inner": (gpudot.inner, M, V),
    "outer": (gpudot.outer, V, V),
    "tensordot": (gpudot.tensordot, M, V),
    "vecdot": (gpudot.vecdot, M, V),
    "matvec": (gpudot.matvec, M, V),
    "vecmat": (gpudot.vecmat, V, M.T),
}


@pytest.fixture
def device(standin) -> Iterator[Any]:
    """The stand-in's device backend, in effect for the test."""
    with gpudot.use_backend(standin.backend):
        yield standin.backend


@pytest.mark.parametrize("name", FAMILY)
def test_transfer_warning_points_at_the_product(device, name):
    product, host, other = FAMILY[name]
    on_device = device.asarray(other)
    kwargs = {"axes": 1} if name == "tensordot" else {}
    with gpudot.use_transfer_policy("warn"), pytest.warns(gpudot.TransferWarning) as record:
        line = _next_line()
        product(host, on_device, **kwargs)
    _assert_located(record.list, gpudot.TransferWarning, line)


def test_transfer_warning_points_at_multi_dot(device):
    first, second = device.asarray(np.eye(3)), device.asarray(np.ones((3, 2)))
    with gpudot.use_transfer_policy("warn"), pytest.warns(gpudot.TransferWarning) as record:
        line = _next_line()
        gpudot.linalg.multi_dot([M, first, second])
    _assert_located(record.list, gpudot.TransferWarning, line)


def test_transfer_warning_points_at_asarray(device):
    with gpudot.use_transfer_policy("warn"), pytest.warns(gpudot.TransferWarning) as record:
        line = _next_line()
        gpudot.asarray(M)
    _assert_located(record.list, gpudot.TransferWarning, line)


def _warning_from_module(module: str) -> tuple[str, int, int]:
    """Warn from a function of module ``module``; return the warning's place and the call's line."""
    namespace: dict[str, Any] = {"__name__": module, "warn": _caller.warn}
    exec(compile("def run():\n    warn('here', UserWarning)\n", "<module>", "exec"), namespace)
    with pytest.warns(UserWarning) as record:
        line = _next_line()
        namespace["run"]()
    return record[0].filename, record[0].lineno, line


def test_gpudot_frames_are_skipped():
    filename, lineno, line = _warning_from_module("gpudot._example")
    assert (filename, lineno) == (__file__, line)


def test_the_shipped_conformance_suite_is_user_code():
    filename, lineno, _ = _warning_from_module("gpudot.testing.test_example")
    assert (filename, lineno) == ("<module>", 2)
