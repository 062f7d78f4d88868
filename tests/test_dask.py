"""The Dask backend on the threaded scheduler: split contractions, chunking, budget, routing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gpudot
from gpudot._dispatch import registry as _registry
from gpudot.backends import DaskBackend
from gpudot.backends.numpy._backend import NumpyBackend
from gpudot.testing import assert_matches_numpy
from gpudot.testing._inputs import make
from gpudot.testing._oracle import check, error_bound
from gpudot.testing._strategies import dot_operands, draw_operands, matmul_operands

da = pytest.importorskip("dask.array")
from dask.callbacks import Callback  # noqa: E402

FUNCS = {"dot": np.dot, "matmul": np.matmul}

# (func, shape1, shape2): plain, batched with broadcasting, N-D dot, vectors
SPLIT_CASES = [
    ("matmul", (9, 70), (70, 7)),
    ("matmul", (3, 1, 6, 40), (5, 40, 4)),
    ("matmul", (40,), (2, 40, 3)),
    ("matmul", (40,), (40,)),
    ("dot", (2, 5, 40), (3, 40, 4)),
    ("dot", (6, 40), (40,)),
    ("dot", (40,), (40,)),
]


def case_id(case):
    func, s1, s2 = case
    return f"{func}-{'x'.join(map(str, s1))}-{'x'.join(map(str, s2))}"


def split(func, s1, s2, dtype, seed=0):
    """Operands as Dask arrays whose contracted axis is in several chunks of 16."""
    a, b = make(s1, dtype, seed), make(s2, dtype, seed + 1)
    chunks1 = a.shape[:-1] + (16,)
    chunks2 = b.shape[:-2] + (16, b.shape[-1]) if b.ndim >= 2 else (16,)
    return a, b, da.from_array(a, chunks=chunks1), da.from_array(b, chunks=chunks2)


def layers(x) -> str:
    return " ".join(dict(x.dask.layers))


@pytest.fixture
def dask_backend():
    backend = DaskBackend()
    with gpudot.use_backend(backend):
        yield backend


# --- the backend as a whole -------------------------------------------------------------------


def test_dask_arrays_are_recognised_and_computed_by_to_numpy():
    x = da.from_array(np.arange(6.0).reshape(2, 3), chunks=1)
    assert _registry.owner_of(x) is _registry.lookup("dask")
    host = gpudot.to_numpy(x)
    assert type(host) is np.ndarray
    np.testing.assert_array_equal(host, np.arange(6.0).reshape(2, 3))


def test_products_are_lazy_dask_arrays_of_the_right_shape_and_dtype(dask_backend):
    a, b, x, y = split("matmul", (3, 1, 6, 40), (5, 40, 4), "int16")
    result = gpudot.matmul(x, y)
    expected = np.matmul(a, b)
    assert isinstance(result, da.Array)
    assert (result.shape, result.dtype) == (expected.shape, expected.dtype)


@pytest.mark.parametrize("func", FUNCS)
def test_vector_products_compute_to_numpy_scalars(dask_backend, func):
    for operands in [(np.arange(3), np.arange(3)), split(func, (40,), (40,), "int32")[2:]]:
        result = getattr(gpudot, func)(*operands)
        if dask_backend.owns(operands[0]):  # Dask operands: a lazy result
            result = result.compute()
        else:  # NumPy operands: NumPy's result, computed by the call
            assert not dask_backend.owns(result)
        expected = FUNCS[func](*map(np.asarray, operands))
        assert type(result) is type(expected)
        assert result == expected


def test_errors_are_raised_at_call_time_with_numpy_types(dask_backend):
    x, y = da.ones((3, 2), chunks=1), da.ones((3, 4), chunks=1)
    with pytest.raises(ValueError, match=r"\(3, 2\).*\(3, 4\)"):
        gpudot.matmul(x, y)
    with pytest.raises(ValueError, match="broadcast"):
        gpudot.matmul(da.ones((2, 3, 2)), da.ones((4, 2, 2)))
    with pytest.raises(TypeError, match="x1 has dtype <U1"):
        gpudot.matmul(da.from_array(np.array([["a"]])), y)
    with pytest.raises(TypeError, match="same_kind"):
        gpudot.matmul(y.T, y, dtype=np.int16)


def test_unknown_chunk_sizes_are_refused_with_the_fix(dask_backend):
    x = da.arange(6, chunks=3)
    unknown = x[x > 2]
    with pytest.raises(ValueError, match="compute_chunk_sizes"):
        gpudot.dot(unknown, unknown)


# --- split contraction: partial products summed ------------------------------------------------


@pytest.mark.parametrize("dtype", ["bool", "int8", "int16", "int32", "int64", "uint8", "uint64"])
@pytest.mark.parametrize("case", SPLIT_CASES, ids=case_id)
def test_split_contraction_is_bit_exact_for_integers_and_bools(dask_backend, case, dtype):
    func, s1, s2 = case
    a, b, x, y = split(func, s1, s2, dtype)
    result = getattr(gpudot, func)(x, y)
    assert f"gpudot-{func}-sum" in layers(result), "the contracted axis should stay split"
    assert_matches_numpy(result, FUNCS[func](a, b), dask_backend)


def test_split_contraction_wraps_on_overflow_like_numpy(dask_backend):
    a = np.full((3, 64), np.iinfo(np.int8).max, dtype=np.int8)
    b = np.full((64, 2), np.iinfo(np.int8).min, dtype=np.int8)
    result = gpudot.matmul(da.from_array(a, chunks=(3, 8)), da.from_array(b, chunks=(8, 2)))
    assert_matches_numpy(result, np.matmul(a, b), dask_backend)


def test_matmul_dtype_argument_with_split_contraction(dask_backend):
    a, b, x, y = split("matmul", (9, 70), (70, 7), "int8")
    for dtype in (np.int16, np.float64):
        expected = np.matmul(a, b, dtype=dtype)
        result = gpudot.matmul(x, y, dtype=dtype)
        assert_matches_numpy(result, expected, dask_backend, bound=np.zeros(expected.shape))


@pytest.mark.parametrize("dtype", ["float32", "float64", "complex64", "complex128"])
@pytest.mark.parametrize("case", SPLIT_CASES[:5], ids=case_id)
def test_split_contraction_floats_within_the_oracle_bound(dask_backend, case, dtype):
    func, s1, s2 = case
    a, b, x, y = split(func, s1, s2, dtype)
    expected = FUNCS[func](a, b)
    bound = error_bound(FUNCS[func], a, b, expected.dtype)
    assert_matches_numpy(getattr(gpudot, func)(x, y), expected, dask_backend, bound=bound)


def test_float16_partials_are_summed_in_float32_and_rounded_once(dask_backend):
    rng = np.random.default_rng(0)
    a = rng.uniform(0, 1, (40, 4096)).astype(np.float16)
    b = rng.uniform(0, 1, (4096, 30)).astype(np.float16)
    result = gpudot.matmul(da.from_array(a, chunks=(40, 256)), da.from_array(b, chunks=(256, 30)))
    assert "gpudot-matmul-sum" in layers(result)
    exact = a.astype(np.float64) @ b.astype(np.float64)
    ulp = np.spacing(exact.astype(np.float16)).astype(np.float64)
    error = np.abs(result.compute().astype(np.float64) - exact)
    assert result.dtype == np.float16
    assert (error <= ulp).all(), "each entry within one float16 ulp of the exact product"
    assert (error <= ulp / 2).mean() > 0.99, "almost all entries correctly rounded"


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "complex128"])
def test_one_contracted_chunk_gives_numpys_float_bits(dask_backend, dtype):
    a, b = make((8, 70), dtype, 1), make((70, 6), dtype, 2)
    result = gpudot.matmul(da.from_array(a, chunks=(8, 70)), da.from_array(b, chunks=(70, 6)))
    host = result.compute()
    assert host.tobytes() == np.matmul(a, b).tobytes()


# --- chunking and the memory budget ------------------------------------------------------------


def test_misaligned_contracted_chunks_are_rechunked_to_match(dask_backend):
    a, b = make((20, 30), "int64", 1), make((30, 10), "int64", 2)
    x, y = da.from_array(a, chunks=(10, 7)), da.from_array(b, chunks=(11, 5))
    result = gpudot.matmul(x, y)
    assert "rechunk" in layers(result)
    assert_matches_numpy(result, a @ b, dask_backend)


def test_aligned_chunks_within_the_budget_are_kept(dask_backend):
    a, b = make((20, 30), "int64", 1), make((30, 10), "int64", 2)
    x, y = da.from_array(a, chunks=(5, 30)), da.from_array(b, chunks=(30, 4))
    result = gpudot.matmul(x, y)
    assert "rechunk" not in layers(result)
    assert result.chunks == ((5, 5, 5, 5), (4, 4, 2))
    assert_matches_numpy(result, a @ b, dask_backend)


def _task_peaks(result) -> list[int]:
    """Bytes each gpudot task held (its inputs plus its output), measured while computing."""
    held: dict[object, int] = {}

    def nbytes(value) -> int:
        return sum(map(nbytes, value)) if isinstance(value, list) else int(value.nbytes)

    def pretask(key, dsk, state):
        deps = dsk[key].dependencies
        held[key] = sum(nbytes(state["cache"][dep]) for dep in deps)

    def posttask(key, value, dsk, state, worker_id):
        held[key] += nbytes(value)

    with Callback(pretask=pretask, posttask=posttask):
        result.compute(scheduler="sync")
    return [size for key, size in held.items() if str(key[0]).startswith("gpudot-")]


BUDGET_CASES = [
    ("matmul", (300, 200), (200, 100), "float64", 40_000),  # contracted axis split
    ("matmul", (600, 40), (40, 500), "float64", 200_000),  # whole contraction, tiles
    ("matmul", (6, 50, 60), (60, 40), "int32", 80_000),  # several batch entries per block
    ("matmul", (2, 1, 64, 300), (3, 300, 32), "float16", 30_000),
    ("dot", (4, 30, 200), (5, 200, 20), "int8", 10_000),
    ("dot", (50, 400), (400,), "complex128", 50_000),
    ("matmul", (128, 256), (256, 64), "int8", 20_000),
]


@pytest.mark.parametrize("func, s1, s2, dtype, budget", BUDGET_CASES)
def test_peak_bytes_per_task_stay_within_the_budget(func, s1, s2, dtype, budget):
    backend = DaskBackend(budget=budget)
    a, b = make(s1, dtype, 1), make(s2, dtype, 2)
    result = getattr(backend, func)(a, b)
    peaks = _task_peaks(result)
    assert peaks and max(peaks) <= budget, f"peak {max(peaks)} bytes > budget {budget}"
    expected = FUNCS[func](a, b)
    bound = error_bound(FUNCS[func], a, b, expected.dtype) if expected.dtype.kind in "fc" else None
    assert_matches_numpy(result, expected, backend, bound=bound)


def test_budget_defaults_to_dasks_chunk_size_setting():
    import dask

    with dask.config.set({"array.chunk-size": "3MiB"}):
        assert DaskBackend().budget == 3 * 2**20
    assert DaskBackend(budget="1 kiB").budget == 1024


def test_whole_problem_fitting_the_budget_is_one_block(dask_backend):
    a, b = make((50, 60), "float64"), make((60, 40), "float64")
    assert dask_backend.matmul(a, b).numblocks == (1, 1)
    assert type(gpudot.matmul(a, b)) is np.ndarray  # NumPy operands: computed, as NumPy


# --- which backend multiplies the blocks -------------------------------------------------------


def test_numpy_chunks_are_multiplied_by_the_numpy_backend(dask_backend, monkeypatch):
    numpy_backend = _registry.lookup("numpy")
    calls = []
    original = type(numpy_backend).matmul

    def spy(self, x1, x2, out=None, dtype=None):
        calls.append((type(x1), gpudot.get_precision()))
        return original(self, x1, x2, out, dtype)

    monkeypatch.setattr(type(numpy_backend), "matmul", spy)
    a, b, x, y = split("matmul", (9, 70), (70, 7), "int32")
    with gpudot.use_precision("fast"):
        result = gpudot.matmul(x, y)
    assert_matches_numpy(result, a @ b, dask_backend)
    assert len(calls) == x.numblocks[1], "one block product per contracted chunk"
    assert calls[0] == (np.ndarray, "fast"), "blocks see the caller's precision"


class DeviceArray(np.ndarray):
    """Stand-in for a device array type, owned by `FakeDevice` (no GPU needed)."""


class FakeDevice(NumpyBackend):
    """A device backend over `DeviceArray`: counts copies onto it and block products."""

    name = "fakegpu"

    def __init__(self):
        self.copies = 0
        self.products = 0

    @property
    def device(self) -> str:
        return "cuda:0"

    def locate(self, x):
        return "cuda:0" if isinstance(x, DeviceArray) else None

    def from_host(self, x):
        return np.asarray(x).view(DeviceArray)

    def from_foreign(self, x, source):
        self.copies += 1
        return np.array(source.to_numpy(x)).view(DeviceArray)

    def matmul(self, x1, x2, out=None, dtype=None):
        self.products += 1  # (Dask may hand a NumPy subclass's chunks over as plain arrays)
        return super().matmul(x1, x2, out, dtype)


@pytest.fixture
def fake_device(monkeypatch):
    device = FakeDevice()
    monkeypatch.setattr(_registry, "_INSTANCES", {"fakegpu": device, **_registry._INSTANCES})
    return device


def test_mixed_chunks_meet_on_the_device_under_the_transfer_policy(dask_backend, fake_device):
    a, b = make((12, 40), "int64", 1), make((40, 6), "int64", 2)
    x = da.from_array(a, chunks=(6, 20))
    y = da.from_array(b.view(DeviceArray), chunks=(20, 6))
    with gpudot.use_transfer_policy("error"), pytest.raises(gpudot.TransferError, match="x1"):
        gpudot.matmul(x, y)
    with gpudot.use_transfer_policy("warn"), pytest.warns(gpudot.TransferWarning, match="x1"):
        result = gpudot.matmul(x, y)
    assert fake_device.copies == 0, "nothing is copied before compute"
    np.testing.assert_array_equal(np.asarray(result.compute()), a @ b)
    assert fake_device.copies == x.numblocks[0] * x.numblocks[1]
    assert fake_device.products == 2 * 2


def test_device_arrays_are_chunked_where_they_are(dask_backend, fake_device):
    a, b = make((40, 30), "int32", 1), make((30, 20), "int32", 2)
    with gpudot.use_transfer_policy("error"):
        result = DaskBackend(budget=8_000).matmul(a.view(DeviceArray), b.view(DeviceArray))
    assert isinstance(result._meta, DeviceArray)
    assert result.numblocks != (1, 1)
    np.testing.assert_array_equal(np.asarray(result.compute()), a @ b)
    assert fake_device.copies == 0
    assert fake_device.products >= result.numblocks[0] * result.numblocks[1]


def test_same_library_chunks_are_not_transfers(dask_backend):
    a, b = make((4, 5), "int64", 1), make((5, 3), "int64", 2)
    with gpudot.use_transfer_policy("error"):
        result = gpudot.matmul(a, da.from_array(b, chunks=2))
    assert_matches_numpy(result, a @ b, dask_backend)


# --- out= --------------------------------------------------------------------------------------


def test_numpy_out_is_computed_into(dask_backend):
    a, b, x, y = split("matmul", (9, 70), (70, 7), "int64")
    out = np.zeros((9, 7), dtype=np.int64)
    with gpudot.use_transfer_policy("error"), pytest.raises(gpudot.TransferError, match="out"):
        gpudot.matmul(x, y, out=out)
    assert not out.any(), "out untouched when the call is refused"
    assert gpudot.matmul(x, y, out=out) is out
    np.testing.assert_array_equal(out, a @ b)


def test_dask_out_becomes_the_product(dask_backend):
    a, b, x, y = split("dot", (9, 70), (70, 7), "float64")
    out = da.zeros((9, 7), chunks=3)
    assert gpudot.dot(x, y, out=out) is out
    bound = error_bound(np.dot, a, b, np.dtype(np.float64))
    assert_matches_numpy(out, np.dot(a, b), dask_backend, bound=bound)


# --- the shipped property tests, with budgets small enough to split every axis -----------------

budgets = st.sampled_from([16, 64, 256, 1024])
BLOCK_SETTINGS = settings(max_examples=60, deadline=None)
# Dask warns when a product has 10x more blocks than an operand: that is the point here.
many_blocks = pytest.mark.filterwarnings("ignore:Increasing number of chunks:Warning")


@many_blocks
@BLOCK_SETTINGS
@given(data=st.data(), shapes=matmul_operands(), budget=budgets)
def test_matmul_in_small_blocks_matches_numpy(data, shapes, budget):
    backend = DaskBackend(budget=budget)
    with gpudot.use_backend(backend):
        check(backend, "matmul", *draw_operands(data, backend, shapes))


@many_blocks
@BLOCK_SETTINGS
@given(data=st.data(), shapes=dot_operands(), budget=budgets)
def test_dot_in_small_blocks_matches_numpy(data, shapes, budget):
    backend = DaskBackend(budget=budget)
    with gpudot.use_backend(backend):
        check(backend, "dot", *draw_operands(data, backend, shapes))
