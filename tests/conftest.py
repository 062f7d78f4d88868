"""Test-session setup for the repository's own tests (the shipped suite needs none)."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import fakecupy
import pytest
from fakecupy._core import _routines_linalg

from gpudot.backends import lookup
from gpudot.backends.cupy._backend import CupyBackend
from gpudot.backends.numpy._exact import _cost_rule as _routing
from gpudot.backends.numpy._kernels import _load as _numba_kernels

#: Per-worker memory limit of the test cluster: smaller than the products the tests build.
CLUSTER_MEMORY_LIMIT = 256 * 2**20


@pytest.fixture(scope="session")
def dask_client() -> Iterator[Any]:
    """A `distributed.Client` on a two-process `LocalCluster` (loopback only, no dashboard).

    Each worker has one thread and `CLUSTER_MEMORY_LIMIT` bytes of memory. The client is not
    made the default: tests choose it with ``dask.config.set(scheduler=client.get)``. The workers
    run without the numba kernels: compiling them inside a worker limited to 256 MiB does not
    finish (the products there are NumPy's bits either way; docs/dask.md).
    """
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            memory_limit=CLUSTER_MEMORY_LIMIT,
            env={"GPUDOT_DISABLE_NUMBA": "1"},
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
    ):
        yield client


@pytest.fixture
def standin() -> Iterator[SimpleNamespace]:
    """A fresh two-device stand-in machine: the module, its backends and its memory pool.

    ``backend`` follows the current device (registered ``"cupy-standin"``), ``devices[i]`` is
    ``"cuda:i"``; the stand-in's compute types are restored afterwards.
    """
    saved = list(_routines_linalg.compute_types)
    with fakecupy.simulate(device_count=2):
        yield SimpleNamespace(
            xp=fakecupy,
            backend=lookup("cupy-standin"),
            devices=[CupyBackend(i, module=fakecupy, name=f"cupy-standin:{i}") for i in (0, 1)],
            pool=fakecupy.get_default_memory_pool(),
        )
    _routines_linalg.compute_types[:] = saved


@pytest.fixture
def eager(monkeypatch):
    """Routing thresholds at zero and fixed costs dropped, so that tiny shapes take the routes."""
    fixed = ("ROUTE_FIXED_NS", "PASS_NS", "LIMB_STEP_NS", "MAGNITUDE_FIXED_NS", "MAGNITUDE_BYTE_NS")
    fixed += ("FINITE_NS", "HALF_RANK1_STEP_NS", "HALF_COMPILED_FIXED_NS", "HALF_PACK_NS")
    for name in ("MIN_WORK", "BOOL_MIN_WORK", "MATRIX_MIN_WORK", "ORDERED_MIN_OUTPUTS", *fixed):
        monkeypatch.setattr(_routing, name, 0)
    monkeypatch.setattr(_routing, "NUMPY_BOOL_STEP_NS", 1e9)


@pytest.fixture(params=["numba", "no-numba"])
def numba_mode(request, monkeypatch):
    """Both ways: with the compiled kernels (skipped without numba) and without them."""
    if request.param == "numba":
        pytest.importorskip("numba")
        monkeypatch.setattr(_numba_kernels, "ENABLED", True)
    else:
        monkeypatch.setattr(_numba_kernels, "ENABLED", False)
    return request.param
