"""The four settings follow one convention (gpudot._config.scoped): ``set_*`` returns the value it
stored, which ``get_*`` then returns; ``use_*`` yields the value in effect in its block and
restores the one before on exit, error or not. Per-thread isolation: tests/test_backend_state.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import pytest

import gpudot


class Setting(NamedTuple):
    get: Callable[[], Any]
    set: Callable[[Any], Any]
    use: Callable[[Any], Any]
    values: tuple[str, str]  # two valid values, the default first


SETTINGS = {
    "backend": Setting(
        gpudot.get_backend, gpudot.set_backend, gpudot.use_backend, ("numpy", "dask")
    ),
    "precision": Setting(
        gpudot.get_precision, gpudot.set_precision, gpudot.use_precision, ("highest", "fast")
    ),
    "transfer_policy": Setting(
        gpudot.get_transfer_policy,
        gpudot.set_transfer_policy,
        gpudot.use_transfer_policy,
        ("allow", "error"),
    ),
    "oom_policy": Setting(
        gpudot.get_oom_policy, gpudot.set_oom_policy, gpudot.use_oom_policy, ("raise", "tile")
    ),
}


def _value(setting: Setting, given: str) -> Any:
    """What ``get_*`` reports for ``given``: a backend's instance for its name, else the name."""
    return gpudot.backends.lookup(given) if setting.get is gpudot.get_backend else given


@pytest.fixture(params=SETTINGS)
def setting(request: pytest.FixtureRequest) -> Iterator[Setting]:
    """One setting; its process-wide default is restored afterwards."""
    chosen = SETTINGS[request.param]
    before = chosen.get()
    yield chosen
    chosen.set(before)


@pytest.mark.parametrize("which", [1, 0], ids=["other", "default"])
def test_set_returns_what_get_then_returns(setting, which):
    given = setting.values[which]
    returned = setting.set(given)
    assert returned is setting.get()
    assert returned == _value(setting, given)


def test_use_yields_the_value_and_restores_on_exit(setting):
    first, second = setting.values
    setting.set(first)
    with setting.use(second) as inside:
        assert inside == _value(setting, second)
        assert setting.get() is inside
    assert setting.get() == _value(setting, first)


def test_use_restores_after_an_error(setting):
    first, second = setting.values
    setting.set(first)
    with pytest.raises(KeyError), setting.use(second):
        raise KeyError("inside the block")
    assert setting.get() == _value(setting, first)


def test_set_inside_use_returns_the_default_it_stored(setting):
    """``set_*`` stores the process-wide default; the block's own value stays in effect in it."""
    first, second = setting.values
    with setting.use(first):
        returned = setting.set(second)
        assert returned == _value(setting, second)
        assert setting.get() == _value(setting, first)
    assert setting.get() is returned


@pytest.mark.parametrize("name", SETTINGS)
def test_a_bad_value_is_refused_and_nothing_changes(name):
    setting = SETTINGS[name]
    before = setting.get()
    with pytest.raises((ValueError, TypeError)):
        setting.set("no-such-value")
    with pytest.raises((ValueError, TypeError)), setting.use("no-such-value"):
        pass
    assert setting.get() is before
