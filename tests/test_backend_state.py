"""Backend selection: set/use/get, threads and tasks, fallback, strictness, names, registry."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import warnings

import numpy as np
import pytest

import gpudot
from gpudot._dispatch import backend_setting as _state
from gpudot._dispatch.registry import _ENTRIES, _INSTANCES
from gpudot.backends import Backend, lookup
from gpudot.backends.cupy._backend import CupyBackend
from gpudot.backends.numpy._backend import NumpyBackend


@pytest.fixture(autouse=True)
def restore_default_backend():
    saved = _state.BACKEND_SETTING.default
    yield
    _state.BACKEND_SETTING.default = saved


@pytest.fixture
def cuda_reason():
    reason = lookup("cuda").unavailable_reason()
    if reason is None:
        pytest.skip("a CUDA device is usable here; these tests cover the fallback")
    return reason


class TaggedNumpy(NumpyBackend):
    """A second always-available backend, to tell choices apart."""

    def __init__(self, name: str):
        self.name = name


@pytest.fixture
def other():
    gpudot.register_backend("other-test", lambda: TaggedNumpy("other-test"), replace=True)
    yield lookup("other-test")
    _ENTRIES.pop("other-test")
    _INSTANCES.pop("other-test", None)


def test_default_is_numpy():
    assert gpudot.get_backend().name == "numpy"


def test_set_backend_returns_and_persists(other):
    assert gpudot.set_backend("other-test") is other
    assert gpudot.get_backend() is other


def test_aliases_resolve_to_the_same_backend():
    assert lookup("cpu") is lookup("numpy")
    assert lookup("cuda") is lookup("cupy")
    assert lookup("cuda:1") is lookup("cupy:1")
    assert lookup("cuda:1").index == 1


@pytest.mark.parametrize(
    "name, canonical",
    [
        ("CPU", "numpy"),
        ("NumPy", "numpy"),
        ("CUDA", "cupy"),
        ("Cuda:0", "cupy:0"),
        ("CuPy:1", "cupy:1"),
    ],
)
def test_names_are_matched_case_insensitively(name, canonical):
    backend = lookup(name)
    assert backend is lookup(canonical) and backend.name == canonical


def test_set_and_use_backend_take_any_case(other):
    assert gpudot.set_backend("Other-Test") is other
    with gpudot.use_backend("NumPy") as selected:
        assert selected is lookup("numpy") and gpudot.get_backend().name == "numpy"
    assert gpudot.get_backend() is other


def test_auto_in_any_case_is_auto():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "auto" never warns
        assert gpudot.set_backend("AUTO") is gpudot.set_backend("auto")


def test_cuda_in_capitals_falls_back_like_cuda(cuda_reason):
    with pytest.warns(gpudot.GpudotFallbackWarning, match="backend 'cupy' is unavailable"):
        assert gpudot.set_backend("CUDA") is lookup("numpy")


def test_register_backend_refuses_names_that_are_not_lowercase():
    with pytest.raises(ValueError, match="must be lowercase"):
        gpudot.register_backend("Mixed-Test", NumpyBackend)
    with pytest.raises(ValueError, match="must be lowercase"):
        gpudot.register_backend("mixed-test", NumpyBackend, aliases=("MIXED",))
    assert "mixed-test" not in _ENTRIES


def test_use_backend_restores_on_exit_and_on_error(other):
    with gpudot.use_backend("other-test") as selected:
        assert selected is other and gpudot.get_backend() is other
    assert gpudot.get_backend().name == "numpy"
    with pytest.raises(KeyError), gpudot.use_backend("other-test"):
        raise KeyError
    assert gpudot.get_backend().name == "numpy"


def test_products_run_on_the_backend_in_effect(other, monkeypatch):
    calls = []
    monkeypatch.setattr(other, "matmul", lambda *args: calls.append(args) or "from other")
    with gpudot.use_backend(other):
        assert gpudot.matmul(np.eye(2), np.eye(2)) == "from other"
    assert len(calls) == 1


def test_set_backend_is_seen_by_threads_started_later(other):
    gpudot.set_backend("other-test")
    seen = []
    thread = threading.Thread(target=lambda: seen.append(gpudot.get_backend()))
    thread.start()
    thread.join()
    assert seen == [other]


def test_use_backend_does_not_leak_across_threads(other):
    inside, outside = threading.Barrier(2), []

    def scoped():
        with gpudot.use_backend("other-test"):
            inside.wait()  # the other thread looks while this override is active
            inside.wait()

    def observer():
        inside.wait()
        outside.append(gpudot.get_backend().name)
        inside.wait()

    threads = [threading.Thread(target=scoped), threading.Thread(target=observer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outside == ["numpy"]


def test_use_backend_is_per_asyncio_task(other):
    async def task(name, entered, release):
        with gpudot.use_backend(name):
            entered.set()
            await release.wait()
            return gpudot.get_backend().name

    async def main():
        entered_a, entered_b, release = asyncio.Event(), asyncio.Event(), asyncio.Event()
        a = asyncio.create_task(task("other-test", entered_a, release))
        b = asyncio.create_task(task("numpy", entered_b, release))
        await entered_a.wait()
        await entered_b.wait()
        release.set()
        return await a, await b

    assert asyncio.run(main()) == ("other-test", "numpy")


@pytest.mark.parametrize("name", ["cdua", "CDUA"])
def test_unknown_name_lists_the_valid_ones(name):
    with pytest.raises(ValueError, match=f"unknown backend '{name}'") as error:
        gpudot.set_backend(name)
    for name in ("'auto'", "'numpy'", "'cpu'", "'cupy'", "'cuda'", "'cuda:N'"):
        assert name in str(error.value)


def test_cuda_falls_back_with_one_warning_that_says_why(cuda_reason):
    with pytest.warns(gpudot.GpudotFallbackWarning) as record:
        selected = gpudot.set_backend("cuda")
    assert selected.name == "numpy" and gpudot.get_backend().name == "numpy"
    assert len(record) == 1
    message = str(record[0].message)
    assert cuda_reason in message and "strict=True" in message


def test_strict_raises_with_the_same_reason(cuda_reason):
    with pytest.raises(gpudot.BackendUnavailableError, match="unavailable") as error:
        gpudot.set_backend("cuda", strict=True)
    assert isinstance(error.value, RuntimeError)
    assert cuda_reason in str(error.value)
    assert gpudot.get_backend().name == "numpy"


def test_use_backend_strict_raises(cuda_reason):
    with pytest.raises(gpudot.BackendUnavailableError), gpudot.use_backend("cuda", strict=True):
        pass


def test_auto_is_numpy_without_a_warning_when_cuda_cannot_run(cuda_reason):
    assert gpudot.set_backend("auto").name == "numpy"


def test_cupy_not_installed_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)  # makes `import cupy` raise ImportError
    reason = CupyBackend().unavailable_reason()
    assert "CuPy is not installed" in reason and "gpudot[cuda12]" in reason


def test_warning_and_error_classes():
    assert issubclass(gpudot.GpudotFallbackWarning, UserWarning)
    assert issubclass(gpudot.BackendUnavailableError, RuntimeError)
    assert issubclass(gpudot.TransferError, TypeError)


def test_register_backend_refuses_taken_names():
    with pytest.raises(ValueError, match="already registered"):
        gpudot.register_backend("cpu", NumpyBackend)


def test_set_backend_accepts_a_backend_instance(other):
    assert gpudot.set_backend(other) is other
    with pytest.raises(TypeError, match="Backend"):
        _state.BACKEND_SETTING.set("numpy")


def test_backend_is_abstract():
    with pytest.raises(TypeError):
        Backend()  # type: ignore[abstract]


def _first_use(env_value: str) -> subprocess.CompletedProcess[str]:
    code = "import gpudot; print('imported', flush=True); print(gpudot.get_backend().name)"
    env = {"GPUDOT_BACKEND": env_value, "PATH": ""}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)


@pytest.mark.parametrize("env_value", ["cpu", "CPU", " NumPy "])
def test_environment_variable_selects_the_default(env_value):
    run = _first_use(env_value)
    assert run.returncode == 0 and run.stdout.split() == ["imported", "numpy"]


@pytest.mark.parametrize("env_value", ["", "  "], ids=["empty", "blank"])
def test_empty_environment_variable_means_unset(env_value):
    run = _first_use(env_value)
    assert run.returncode == 0 and run.stdout.split() == ["imported", "numpy"]
    assert run.stderr == ""  # no warning, no error


def test_invalid_environment_variable_fails_on_first_use_not_import():
    run = _first_use("cdua")
    assert run.stdout.split() == ["imported"]
    assert "GPUDOT_BACKEND='cdua' is invalid" in run.stderr and "'numpy'" in run.stderr


@pytest.mark.parametrize("env_value", ["cuda", "CUDA"])
def test_environment_variable_cuda_falls_back_with_a_warning(cuda_reason, env_value):
    run = _first_use(env_value)
    assert run.returncode == 0 and run.stdout.split() == ["imported", "numpy"]
    assert "GpudotFallbackWarning" in run.stderr
