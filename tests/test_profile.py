"""gpudot.profile(): records of every product, checked against the stand-in's copy counters."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import gpudot
from gpudot import _linalg, _state
from gpudot._costmodel import DEFAULT_PROFILE
from gpudot.backends import lookup
from gpudot.backends._auto import AutoBackend


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


def test_the_hook_is_gone_after_the_block_so_products_pay_nothing():
    unhooked = _state.BACKEND_SETTING.override.get
    assert _linalg._selected == unhooked
    with gpudot.profile():
        assert _linalg._selected != unhooked
    assert _linalg._selected == unhooked
    with pytest.raises(RuntimeError), gpudot.profile():
        raise RuntimeError
    assert _linalg._selected == unhooked
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
        assert _linalg._selected != _state.BACKEND_SETTING.override.get
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
        gpudot.matmul(x, np.ones((8, 8)))
    assert (p.records[0].d2h_bytes, p.records[0].h2d_bytes) == (512, 0)


def test_peer_copies_are_counted_separately(standin):
    with standin.xp.cuda.Device(0):
        on0 = standin.xp.asarray(np.ones((4, 4)))
    with gpudot.profile() as p, gpudot.use_backend(standin.devices[1]):
        gpudot.matmul(on0, on0)
    assert (p.records[0].peer_bytes, p.records[0].h2d_bytes, p.records[0].device) == (
        256,
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
