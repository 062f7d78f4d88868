"""gpudot.profile(): records of every product, checked against the stand-in's copy counters."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import gpudot
from gpudot._api import products as _products
from gpudot._dispatch.auto import AutoBackend
from gpudot.backends import lookup
from gpudot.backends._cost_model import DEFAULT_PROFILE


def test_numpy_calls_are_recorded_with_shapes_dtypes_and_precision():
    a, b = np.ones((2, 3), np.float32), np.ones((3, 4), np.int8)
    with gpudot.use_backend("numpy"), gpudot.profile() as p:
        gpudot.matmul(a, b)
        gpudot.dot([1, 2], [3, 4], precision="tf32")
    first, second = p.records
    assert (first.function, first.backend, first.device, first.route) == (
        "matmul",
        "numpy",
        "cpu",
        "",
    )
    assert first.shapes == ((2, 3), (3, 4), (2, 4))
    assert first.dtypes == ("float32", "int8", "float32")
    assert (first.precision, second.precision) == ("highest", "tf32")
    assert second.shapes == ((2,), (2,), ()) and second.dtypes == ("int64", "int64", "int64")
    assert first.h2d_bytes == first.d2h_bytes == 0 and first.gpu_s is None and first.wall_s > 0
    table = str(p).splitlines()
    assert table[0].split()[:3] == ["#", "function", "backend"]
    assert "(2, 3) x (3, 4) x (2, 4)" in table[1] and table[-1].startswith("2 call(s)")


def hooked():
    """Whether the products run on the profile's recorder, none of them inline."""
    inline_off = _products._inline_backend is not _products._NUMPY
    assert inline_off == (_products._wrap is not None) == (_products._record is not None)
    return inline_off


def test_the_hook_is_gone_after_the_block_so_products_pay_nothing():
    assert not hooked()
    with gpudot.profile():
        assert hooked()
    assert not hooked()
    with pytest.raises(RuntimeError), gpudot.profile():
        raise RuntimeError
    assert not hooked()
    with gpudot.profile() as p:
        pass
    gpudot.matmul(np.eye(2), np.eye(2))
    assert p.records == []


def test_nested_profiles_and_other_threads_are_recorded():
    with gpudot.profile() as outer:
        with gpudot.profile() as inner:
            worker = threading.Thread(target=gpudot.matmul, args=(np.eye(2), np.eye(2)))
            worker.start()
            worker.join()
        gpudot.dot(np.eye(2), np.eye(2))
        assert hooked()
    assert [r.function for r in inner.records] == ["matmul"]
    assert [r.function for r in outer.records] == ["matmul", "dot"]


def test_gpu_calls_record_copies_and_event_time_like_the_stand_in_counts(standin):
    a, b = np.ones((64, 32)), np.ones((32, 16))
    with gpudot.use_backend(standin.backend):
        on_device = standin.xp.asarray(b)
    host_out = np.empty((64, 16))
    standin.xp.transfers.reset()
    with gpudot.profile() as p, gpudot.use_backend(standin.backend):
        gpudot.matmul(a, on_device)
        gpudot.matmul(a, b, out=host_out)
    first, second = p.records
    assert (first.backend, first.device) == ("cupy-standin", "cuda:0")
    assert first.h2d_bytes == a.nbytes and first.d2h_bytes == 0
    assert second.h2d_bytes == a.nbytes + b.nbytes and second.d2h_bytes == host_out.nbytes
    counters = standin.xp.transfers
    assert counters.host_to_device_bytes == first.h2d_bytes + second.h2d_bytes
    assert counters.device_to_host_bytes == first.d2h_bytes + second.d2h_bytes
    assert first.gpu_s is not None and 0 <= first.gpu_s <= first.wall_s


def test_host_product_of_device_operands_counts_device_to_host(standin):
    with gpudot.use_backend(standin.backend):
        x = standin.xp.asarray(np.ones((8, 8)))
    with gpudot.profile() as p, gpudot.use_backend("numpy"):
        result = gpudot.matmul(x, np.ones((8, 8)))
    assert isinstance(result, standin.xp.ndarray)  # a mix gives a device result: copied back
    assert (p.records[0].d2h_bytes, p.records[0].h2d_bytes) == (512, 512)


def test_peer_copies_are_counted_separately(standin):
    with standin.xp.cuda.Device(0):
        on0 = standin.xp.asarray(np.ones((4, 4)))
    with gpudot.profile() as p, gpudot.use_backend(standin.devices[1]):
        gpudot.matmul(on0, on0)
    # on0 to cuda:1 for each operand (128 B each), and the result back to cuda:0 (128 B)
    assert (p.records[0].peer_bytes, p.records[0].h2d_bytes, p.records[0].device) == (
        384,
        0,
        "cuda:1",
    )


def test_auto_records_where_it_went_and_why(standin):
    auto = AutoBackend(standin.backend, lookup("numpy"), DEFAULT_PROFILE)
    big = np.ones((300, 300), np.int32)
    with gpudot.profile() as p, gpudot.use_backend(auto):
        gpudot.matmul(np.eye(2), np.eye(2))
        gpudot.matmul(big, big)
    small, large = p.records
    assert small.backend == "numpy" and "CPU predicted faster" in small.route
    assert large.backend == "cupy-standin" and "GPU predicted faster" in large.route
    assert large.h2d_bytes == 2 * big.nbytes


FAMILY = {
    "vdot": (gpudot.vdot, np.vdot, (6,), (6,), {}),
    "inner": (gpudot.inner, np.inner, (3, 4), (5, 4), {}),
    "outer": (gpudot.outer, np.outer, (3,), (4,), {}),
    "tensordot": (gpudot.tensordot, np.tensordot, (3, 4), (4, 5), {"axes": 1}),
    "vecdot": (gpudot.vecdot, np.vecdot, (3, 4), (3, 4), {}),
    "matvec": (gpudot.matvec, np.matvec, (3, 4), (4,), {}),
    "vecmat": (gpudot.vecmat, np.vecmat, (4,), (4, 3), {}),
}


@pytest.mark.parametrize("dtype", ["int32", "float64"])
@pytest.mark.parametrize("name", FAMILY)
def test_each_family_call_is_one_record_with_its_components(name, dtype):
    func, numpy_func, shape_a, shape_b, kwargs = FAMILY[name]
    a, b = np.arange(1, 1 + np.prod(shape_a), dtype=dtype).reshape(shape_a), np.ones(shape_b, dtype)
    with gpudot.use_backend("numpy"), gpudot.profile() as p:
        result = func(a, b, **kwargs)
    expected = numpy_func(a, b, **kwargs)
    assert np.asarray(result).tobytes() == np.asarray(expected).tobytes()
    (record,) = p.records
    assert (record.function, record.backend, record.device) == (name, "numpy", "cpu")
    assert record.shapes == (shape_a, shape_b, np.shape(expected))
    assert record.dtypes == (dtype, dtype, str(np.asarray(expected).dtype))
    assert {c.function for c in record.components} <= {"dot", "matmul"}
    if record.components:
        assert record.wall_s >= sum(c.wall_s for c in record.components)
    else:  # NumPy's own loop: for NumPy's float bits, or outer's elementwise multiply
        assert (dtype == "float64" or name == "outer") and record.route == "NumPy's own loop"
    if dtype == "int32" and name != "outer":  # integers always take the matmul/dot routes
        assert record.components
    assert f"{name}" in str(p) and str(p).splitlines()[-1].startswith("1 call(s)")


def test_multi_dot_is_one_record_with_a_component_per_product():
    arrays = [np.ones((3, 40)), np.ones((40, 2)), np.ones((2, 50))]
    with gpudot.profile() as p:
        result = gpudot.linalg.multi_dot(arrays)
    assert result.tobytes() == np.linalg.multi_dot(arrays).tobytes()
    (record,) = p.records
    assert record.function == "multi_dot"
    assert record.shapes == ((3, 40), (40, 2), (2, 50), (3, 50))
    assert [c.shapes for c in record.components] == [
        ((3, 40), (40, 2), (3, 2)),
        ((3, 2), (2, 50), (3, 50)),
    ]
    table = str(p).splitlines()
    assert table[1].split()[:2] == ["0", "multi_dot"] and table[2].split()[:2] == ["0.1", "dot"]


def test_a_failing_family_call_records_nothing():
    with gpudot.profile() as p, pytest.raises(ValueError):
        gpudot.inner(np.ones(3), np.ones(4))
    assert p.records == []


def test_auto_family_calls_show_where_they_ran_and_why(standin):
    auto = AutoBackend(standin.backend, lookup("numpy"), DEFAULT_PROFILE)
    big = np.ones((300, 300), np.int32)
    with gpudot.profile() as p, gpudot.use_backend(auto):
        gpudot.tensordot(big, big, axes=1)
        gpudot.tensordot(np.eye(2, dtype=np.int32), np.eye(2, dtype=np.int32), axes=1)
        on_gpu = standin.xp.asarray(big)
        gpudot.tensordot(on_gpu, big, axes=1)
    host, small, device = p.records
    assert [r.function for r in p.records] == ["tensordot"] * 3
    assert (host.backend, small.backend, device.backend) == ("numpy", "numpy", "cupy-standin")
    assert "host operands" in host.route and "CPU" in host.route
    assert device.route == "an operand is already on the GPU"
    (component,) = device.components
    assert component.backend == "cupy-standin" and component.h2d_bytes == 0  # b copied before
    assert device.h2d_bytes == big.nbytes and (host.h2d_bytes, small.h2d_bytes) == (0, 0)


@pytest.mark.parametrize("name", FAMILY)
def test_auto_runs_each_family_call_on_one_side(standin, name):
    """Without the profile too: a family call's parts never mix host and device arrays."""
    func, numpy_func, shape_a, shape_b, kwargs = FAMILY[name]
    a = np.arange(np.prod(shape_a), dtype=np.int64).reshape(shape_a)
    b = np.arange(np.prod(shape_b), dtype=np.int64).reshape(shape_b)
    auto = AutoBackend(standin.backend, lookup("numpy"), DEFAULT_PROFILE)
    with gpudot.use_backend(auto):
        on_host = func(a, b, **kwargs)
        on_device = func(standin.xp.asarray(a), b, **kwargs)
    expected = numpy_func(a, b, **kwargs)
    assert np.array_equal(on_host, expected)
    assert standin.backend.owns(on_device) and not standin.backend.owns(on_host)
    assert np.array_equal(gpudot.to_numpy(on_device), expected)
