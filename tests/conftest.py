"""Test-session setup for the repository's own tests (the shipped suite needs none)."""
from collections.abc import Iterator
from typing import Any

import pytest

#: Per-worker memory limit of the test cluster: smaller than the products the tests build.
CLUSTER_MEMORY_LIMIT = 256 * 2**20


@pytest.fixture(scope="session")
def dask_client() -> Iterator[Any]:
    """A `distributed.Client` on a two-process `LocalCluster` (loopback only, no dashboard).

    Each worker has one thread and `CLUSTER_MEMORY_LIMIT` bytes of memory. The client is not
    made the default: tests choose it with ``dask.config.set(scheduler=client.get)``.
    """
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        memory_limit=CLUSTER_MEMORY_LIMIT,
    ) as cluster, distributed.Client(cluster, set_as_default=False) as client:
        yield client
