"""numba's thread pool starts with passive OpenMP threads, confined to gpudot (`_numba_kernels`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("numba")

_PROBE = """
import json, os
import numpy as np
from gpudot.backends.numpy._kernels import _load as _numba_kernels
before = {k: os.environ.get(k) for k in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")}
module = _numba_kernels.kernels("integer")
a = np.arange(64 * 64, dtype=np.int32).reshape(64, 64)
import gpudot
same = bool((gpudot.matmul(a, a) == np.matmul(a, a)).all())
print(json.dumps({
    "loaded": module is not None,
    "before": before,
    "after": {k: os.environ.get(k) for k in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")},
    "same": same,
}))
"""


def _probe(**env: str) -> dict[str, object]:
    names = ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")
    clean = {k: v for k, v in os.environ.items() if k not in names}
    result = subprocess.run(
        [sys.executable, "-c", _PROBE],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_spin_is_not_left_in_the_environment() -> None:
    """Libraries loaded after gpudot (PyTorch's libgomp, say) see the user's environment."""
    seen = _probe()
    assert seen["loaded"] and seen["same"]
    assert seen["after"] == {"GOMP_SPINCOUNT": None, "OMP_WAIT_POLICY": None}


@pytest.mark.parametrize(
    ("name", "value"), [("OMP_WAIT_POLICY", "ACTIVE"), ("GOMP_SPINCOUNT", "7")]
)
def test_the_users_setting_is_kept(name: str, value: str) -> None:
    seen = _probe(**{name: value})
    assert seen["after"][name] == value  # type: ignore[index]
    assert seen["same"]


def test_the_pool_starts_with_passive_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    """While numba loads its pool, ``OMP_WAIT_POLICY`` is PASSIVE (libgomp reads it then)."""
    from numba.np.ufunc import parallel

    from gpudot.backends.numpy._kernels import _load as _numba_kernels

    seen = []
    monkeypatch.delenv("GOMP_SPINCOUNT", raising=False)
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    launch = lambda: seen.append(os.environ.get("OMP_WAIT_POLICY"))  # noqa: E731
    monkeypatch.setattr(parallel, "_launch_threads", launch)
    _numba_kernels._start_threads()
    assert seen == ["PASSIVE"]
    assert "OMP_WAIT_POLICY" not in os.environ
    monkeypatch.setenv("GOMP_SPINCOUNT", "1000")
    _numba_kernels._start_threads()
    assert seen == ["PASSIVE"]  # the user's policy holds: not started here
