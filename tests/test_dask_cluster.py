"""The Dask backend on a `distributed.LocalCluster` of worker processes (see ``conftest.py``).

A representative subset of the conformance suite runs here (every shape case for a spread of
dtypes, and split contractions): the full suite already runs on the threaded scheduler, and a
round trip to the cluster costs milliseconds per product.
"""

from __future__ import annotations

import numpy as np
import pytest

import gpudot
from gpudot import use_backend
from gpudot.backends import DaskBackend, lookup
from gpudot.testing._inputs import CASES, make, shape_id
from gpudot.testing._oracle import NUMPY_PRODUCTS, assert_matches_numpy, check, error_bound

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
pytest.importorskip("distributed")

CLUSTER_DTYPES = ["bool", "int8", "uint64", "float16", "float64"]


@pytest.fixture
def on_cluster(dask_client):
    """The "dask" backend in effect, computing on the cluster."""
    backend = lookup("dask")
    with dask.config.set(scheduler=dask_client.get), use_backend(backend):
        yield backend


@pytest.mark.parametrize("dtype", CLUSTER_DTYPES)
@pytest.mark.parametrize("case", CASES, ids=shape_id)
def test_conformance_shapes_on_the_cluster(on_cluster, case, dtype):
    func, s1, s2 = case
    check(on_cluster, func, make(s1, dtype, seed=1), make(s2, dtype, seed=2))


@pytest.mark.parametrize("dtype", ["int32", "float32", "complex128", "bool"])
@pytest.mark.parametrize("func", ["dot", "matmul"])
def test_split_contraction_on_the_cluster(on_cluster, func, dtype):
    a, b = make((4, 3, 50), dtype, seed=3), make((50, 5), dtype, seed=4)
    x, y = da.from_array(a, chunks=(2, 3, 16)), da.from_array(b, chunks=(16, 5))
    numpy_func, gpudot_func = NUMPY_PRODUCTS[func], getattr(gpudot, func)
    expected = numpy_func(a, b)
    floating = expected.dtype.kind in "fc"
    bound = error_bound(numpy_func, a, b, expected.dtype) if floating else None
    assert_matches_numpy(gpudot_func(x, y), expected, on_cluster, bound=bound)


def test_product_larger_than_a_workers_memory_completes(dask_client):
    """An 800 MiB product on workers limited to 256 MiB each: blocks are summed as they come."""
    n, k = 10240, 16
    rng = np.random.default_rng(0)
    a = rng.integers(-(2**40), 2**40, (n, k))
    b = rng.integers(-(2**40), 2**40, (k, n))
    workers = dask_client.scheduler_info()["workers"]
    product = DaskBackend(budget="16MiB").matmul(a, b)
    assert product.nbytes > sum(worker["memory_limit"] for worker in workers.values())
    with dask.config.set(scheduler=dask_client.get):
        row_sums, corner = dask.compute(product.sum(axis=1), product[:64, -64:])
    # (a @ b) summed along rows is a @ (b summed along rows), exactly, also when int64 wraps
    np.testing.assert_array_equal(row_sums, a @ b.sum(axis=1))
    np.testing.assert_array_equal(corner, a[:64] @ b[:, -64:])
    assert set(dask_client.scheduler_info()["workers"]) == set(workers), "no worker restarted"
