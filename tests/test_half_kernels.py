"""The float16/bfloat16 numba kernel on its own and through gpudot: NumPy's bits for float16
``matmul``, ml_dtypes' for bfloat16 ``dot``, on shapes straddling its micro-tiles (`HALF_TILE`),
output blocks (MC x NC), k blocks (``kc``) and the serial/parallel split, on every layout, on
stacks, and on the values where a shortcut would round differently.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from types import ModuleType, SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gpudot
from gpudot.__main__ import main
from gpudot._tuning import HALF_TILE
from gpudot.backends import lookup
from gpudot.backends.numpy._exact import _cost_rule as _routing
from gpudot.backends.numpy._exact import _half_precision as _ordered
from gpudot.backends.numpy._kernels import _load as _numba_kernels
from gpudot.testing._inputs import hard_values
from gpudot.testing._oracle import check_bits

ml_dtypes = pytest.importorskip("ml_dtypes")
BF16 = np.dtype(ml_dtypes.bfloat16)
F16 = np.dtype(np.float16)
MR, NR = HALF_TILE
FINITE = ("normal", "cancel", "huge", "tiny")
pytestmark = [
    pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning"),
    pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning"),
]


@pytest.fixture(scope="module")
def kernels() -> ModuleType:
    pytest.importorskip("numba")
    monkey = pytest.MonkeyPatch()
    monkey.setattr(_numba_kernels, "ENABLED", True)
    found = _numba_kernels.kernels()
    monkey.undo()
    assert found is not None
    return found


def expected(a: np.ndarray, b: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """NumPy's float16 matmul, or ml_dtypes' bfloat16 dot matrix by matrix (the oracles)."""
    if dtype == F16:
        return np.matmul(a, b)
    a3, b3 = np.broadcast_arrays(a[..., :, :1], b[..., :1, :])  # the batch shape only
    batch = a3.shape[:-2]
    a_full = np.broadcast_to(a, batch + a.shape[-2:])
    b_full = np.broadcast_to(b, batch + b.shape[-2:])
    out = np.empty(batch + (a.shape[-2], b.shape[-1]), BF16)
    for index in np.ndindex(batch):
        out[index] = np.dot(a_full[index], b_full[index])
    return out


def run(kernels: ModuleType, a, b, dtype, kc: int, parallel: bool):
    """`ordered_compiled` with one of the two kernels and k blocks of ``kc``."""
    kernel = kernels.ordered_product if parallel else kernels.ordered_product_serial
    chosen = SimpleNamespace(
        MR=MR, NR=NR, KC=kc, ordered_product=kernel, ordered_product_serial=kernel
    )
    return _ordered.ordered_compiled(chosen, a, b, dtype)


def same_bits(result, reference) -> None:
    assert result.dtype == reference.dtype and result.shape == reference.shape
    assert result.tobytes() == reference.tobytes()


# --- the kernel on its own ---------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    dtype=st.sampled_from([F16, BF16]),
    family=st.sampled_from(FINITE),
    m=st.integers(1, 12 * MR + MR + 1),  # MC = 12 MR rows per block
    n=st.integers(1, 4 * NR + NR + 1),  # NC = 4 NR columns per block
    kc=st.sampled_from([1, 3, 16]),
    steps=st.integers(1, 2 * 16 + 2),
    batch=st.sampled_from(["none", "both", "a", "b", "broadcast"]),
    parallel=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_kernel_matches_the_oracle(kernels, dtype, family, m, n, kc, steps, batch, parallel, seed):
    k = min(steps, 2 * kc + 1)
    lead_a = {"none": (), "both": (2,), "a": (3,), "b": (), "broadcast": (2, 1)}[batch]
    lead_b = {"none": (), "both": (2,), "a": (), "b": (3,), "broadcast": (1, 2)}[batch]
    a = hard_values(lead_a + (m, k), "float32", family, seed).astype(dtype)
    b = hard_values(lead_b + (k, n), "float32", family, seed + 1).astype(dtype)
    result = run(kernels, a, b, dtype, kc, parallel)
    if np.isfinite(a).all() and np.isfinite(b).all():
        same_bits(result, expected(a, b, dtype))
    else:  # "huge" float16 values beyond 65504 became inf: NumPy's loop takes them
        assert result is None


@pytest.mark.parametrize("dtype", [F16, BF16], ids=["float16", "bfloat16"])
@pytest.mark.parametrize("k", [1, 511, 512, 513, 1025])
def test_k_around_the_default_k_block(kernels, dtype, k):
    assert kernels.KC == 512
    a = hard_values((MR + 1, k), "float32", "cancel", 1).astype(dtype)
    b = hard_values((k, NR + 2), "float32", "normal", 2).astype(dtype)
    for parallel in (False, True):
        same_bits(run(kernels, a, b, dtype, kernels.KC, parallel), expected(a, b, dtype))


@pytest.mark.parametrize("dtype", [F16, BF16], ids=["float16", "bfloat16"])
@pytest.mark.parametrize(
    "shape_a, shape_b", [((0, 5), (5, 3)), ((4, 0), (0, 3)), ((4, 5), (5, 0)), ((0, 2, 3), (3, 4))]
)
def test_zero_sizes_and_empty_sums(kernels, dtype, shape_a, shape_b):
    a, b = np.ones(shape_a, dtype), np.ones(shape_b, dtype)
    result = run(kernels, a, b, dtype, 4, False)
    same_bits(result, np.matmul(a, b) if dtype == F16 else np.matmul(a, b).astype(BF16))
    assert not np.signbit(result.astype(np.float32)).any()  # an empty sum is +0.0


@pytest.mark.parametrize("dtype", [F16, BF16], ids=["float16", "bfloat16"])
@pytest.mark.parametrize("value", [np.inf, -np.inf, np.nan])
def test_inf_and_nan_operands_are_left_to_numpy(kernels, dtype, value):
    a, b = np.ones((MR + 3, 20), dtype), np.ones((20, NR + 5), dtype)
    a[MR + 2, 19] = value
    assert run(kernels, a, b, dtype, 8, True) is None
    assert run(kernels, b.T, a.T, dtype, 8, False) is None


# --- bfloat16: where a fused multiply-add would round differently --------------------------------


def _bf16(values) -> np.ndarray:
    return np.array(values, np.float32).astype(BF16)


#: (a row, b column, what a fused multiply-add would give): the second product underflows to a
#: float32 subnormal tie (rounded up by the multiply, then cancelled: +0.0; fused: -2^-150 -> -0.0)
#: or overflows (inf after the multiply; fused: -1.5 * 2^127 + 2^128 = 2^126).
BOUNDARY = {
    "underflow": ([-(2.0**-74), 1.5 * 2.0**-75], [2.0**-74, 2.0**-74], -0.0),
    "overflow": ([-1.5 * 2.0**63, 2.0**64], [2.0**64, 2.0**64], 2.0**126),
}


@pytest.mark.parametrize("case", sorted(BOUNDARY))
def test_bfloat16_products_beyond_the_float32_normal_range(kernels, case):
    row, column, fused = BOUNDARY[case]
    a = np.zeros((MR + 1, 2), np.float32)
    b = np.zeros((2, NR + 1), np.float32)
    a[MR], b[:, NR] = row, column
    a, b = a.astype(BF16), b.astype(BF16)
    reference = np.dot(a, b)
    assert reference[MR, NR].tobytes() != _bf16([fused]).tobytes()  # the case tells them apart
    for parallel in (False, True):
        same_bits(run(kernels, a, b, BF16, 512, parallel), reference)


@settings(max_examples=60, deadline=None)
@given(
    exponents=st.tuples(st.integers(-140, 127), st.integers(-140, 127)),
    spread=st.integers(0, 12),
    seed=st.integers(0, 2**16),
)
def test_bfloat16_at_extreme_exponents(kernels, exponents, spread, seed):
    """Exponents near both ends: the kernel's exponent check chooses fused or separate steps."""
    rng = np.random.default_rng(seed)

    def draw(shape, exponent):
        scale = 2.0 ** (exponent + rng.integers(-spread, spread + 1, shape).astype(np.float64))
        values = rng.choice([-1, 1], shape) * rng.uniform(1, 2, shape) * scale
        return np.clip(values, -3.3e38, 3.3e38).astype(np.float32).astype(BF16)

    a, b = draw((MR + 2, 9), exponents[0]), draw((9, NR + 3), exponents[1])
    same_bits(run(kernels, a, b, BF16, 4, False), np.dot(a, b))


# --- through gpudot, numba on and off ------------------------------------------------------------


def _f16(x) -> np.ndarray:
    return np.asarray(x, np.float32).astype(np.float16)


LAYOUTS = {
    "fortran": lambda x: np.asfortranarray(x),
    "negative-stride": lambda x: x[::-1, ::-1],
    "strided": lambda x: np.repeat(np.repeat(x, 2, 0), 2, 1)[::2, ::2],
    "transposed": lambda x: np.ascontiguousarray(x.T).T,
}


@pytest.mark.parametrize("dtype", [F16, BF16], ids=["float16", "bfloat16"])
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.usefixtures("eager", "numba_mode")
def test_layouts(dtype, layout):
    func = "matmul" if dtype == F16 else "dot"
    a = LAYOUTS[layout](hard_values((MR + 3, 70), "float32", "cancel", 3).astype(dtype))
    b = LAYOUTS[layout](hard_values((70, NR + 7), "float32", "normal", 4).astype(dtype))
    check_bits(lookup("numpy"), func, a, b)


@pytest.mark.parametrize(
    "shape_a, shape_b",
    [
        ((3, 9, 20), (20, 50)),
        ((9, 20), (4, 20, 50)),
        ((2, 1, 9, 20), (1, 3, 20, 50)),
        ((20,), (2, 20, 50)),
    ],
)
@pytest.mark.usefixtures("eager", "numba_mode")
def test_float16_stacks_broadcast(shape_a, shape_b):
    a = hard_values(shape_a, "float16", "cancel", 5)
    b = hard_values(shape_b, "float16", "normal", 6)
    check_bits(lookup("numpy"), "matmul", a, b)


@pytest.mark.parametrize("dtype", [F16, BF16], ids=["float16", "bfloat16"])
@pytest.mark.parametrize("shape_a, shape_b", [((3, 4, 20), (2, 20, 5)), ((6, 20), (2, 3, 20, 7))])
@pytest.mark.usefixtures("eager", "numba_mode")
def test_nd_dot(dtype, shape_a, shape_b):
    a = hard_values(shape_a, "float32", "cancel", 7).astype(dtype)
    b = hard_values(shape_b, "float32", "normal", 8).astype(dtype)
    check_bits(lookup("numpy"), "dot", a, b)


#: float16 (a, b) pairs, each as one row times one column, repeated to fill tiles.
VALUES = {
    "negative zeros": ([-0.0, -0.0, 0.0], [1.0, 2.0, -0.0]),  # -0 products: the sum is +0.0
    "one negative zero": ([-0.0], [3.0]),
    "subnormal inputs": ([6e-8, 1e-7, -3e-5], [1.0, 0.5, 2.0]),
    "subnormal result": ([2.0**-12, -(2.0**-12), 2.0**-13], [2.0**-11, 2.0**-12, 2.0**-10]),
    "overflow to inf": ([65504.0, 65504.0], [1.0, 1.0]),
    "overflow to -inf": ([-300.0, -300.0, 1.0], [300.0, 300.0, 1.0]),
    "near 65504": ([65504.0, -32.0], [1.0, 1.0]),
    "rounds to 65504": ([65504.0, 15.0], [1.0, 1.0]),
    "cancellation": ([60000.0, 2.0, -60000.0, 1e-3], [2.0, 1e-3, 2.0, 3.0]),
}


@pytest.mark.parametrize("dtype", [F16, BF16], ids=["float16", "bfloat16"])
@pytest.mark.parametrize("case", sorted(VALUES))
@pytest.mark.usefixtures("eager", "numba_mode")
def test_boundary_values(dtype, case):
    row, column = VALUES[case]
    a = np.tile(np.asarray(row, np.float32), (MR + 1, 1)).astype(dtype)
    b = np.tile(np.asarray(column, np.float32)[:, None], (1, NR + 1)).astype(dtype)
    a[1::2] = -a[1::2]
    result = check_bits(lookup("numpy"), "matmul" if dtype == F16 else "dot", a, b)
    assert result.shape == (MR + 1, NR + 1)


def test_the_rule_picks_the_kernel_and_numpy_below_min_work(monkeypatch):
    pytest.importorskip("numba")
    monkeypatch.setattr(_numba_kernels, "ENABLED", True)
    for dtype, func in ((F16, "matmul"), (BF16, "dot")):
        cost = _routing.product_cost(dtype, 64, 64, 64, func=func)
        assert cost is not None and cost.route == "compiled"
        small = _routing.product_cost(dtype, 16, 16, 16, func=func)
        assert small is not None and small.route == "numpy"


# --- warmup ------------------------------------------------------------------------------------


def test_warmup_compiles_every_listed_kernel(monkeypatch, capsys):
    pytest.importorskip("numba")
    monkeypatch.setattr(_numba_kernels, "ENABLED", True)
    names = gpudot.warmup()
    listed = [
        f"{module}.{name}"
        for module, names_, _ in _numba_kernels.COMPILED
        for name in names_
        if getattr(importlib.import_module(module), "INSTRUCTIONS", True)  # VNNI where the CPU has it
    ]
    assert names == list(dict.fromkeys(listed))

    def kernel(name):
        module, function = name.rsplit(".", 1)
        return getattr(sys.modules[module], function)

    counts = [len(kernel(name).signatures) for name in names]
    assert all(count >= 1 for count in counts)
    # A product then runs with the warmed signature, not a new compilation.
    a = hard_values((64, 64), "float16", "normal", 1)
    check_bits(lookup("numpy"), "matmul", a, a)
    check_bits(lookup("numpy"), "matmul", a[:40, :40], a[:40, :40])
    frozen = a.copy()
    frozen.flags.writeable = False  # a read-only operand needs no other compiled version
    check_bits(lookup("numpy"), "matmul", frozen, frozen)
    check_bits(lookup("numpy"), "matmul", frozen[:40, :40], a[:40, :40])
    assert not frozen.flags.writeable and a.flags.writeable
    assert gpudot.warmup() == names
    after = [len(kernel(name).signatures) for name in names]
    assert after == counts
    assert main(["warmup"]) == 0
    assert capsys.readouterr().out.split() == [
        word for name in names for word in ("compiled", name)
    ]


def test_warmup_without_numba(monkeypatch, capsys):
    monkeypatch.setattr(_numba_kernels, "ENABLED", False)
    assert gpudot.warmup() == []
    assert main(["warmup"]) == 0
    assert capsys.readouterr().out.startswith("nothing to compile: numba is not installed")


def test_warmup_fills_the_disk_cache_that_products_read(tmp_path):
    """After ``python -m gpudot warmup``, a new process's first product compiles nothing."""
    pytest.importorskip("numba")
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    env.pop("GPUDOT_DISABLE_NUMBA", None)
    warm = subprocess.run([sys.executable, "-m", "gpudot", "warmup"], env=env, capture_output=True)
    assert warm.returncode == 0, warm.stderr
    code = (
        "import numpy as np, gpudot\n"
        "from gpudot.backends.numpy._kernels import _half as s\n"
        "for n in (64, 300):\n"
        "    a = np.ones((n, n), np.float16)\n"
        "    assert gpudot.matmul(a, a).tobytes() == np.matmul(a, a).tobytes()\n"
        "for kernel in (s.ordered_product, s.ordered_product_serial):\n"
        "    print(len(kernel.stats.cache_hits), len(kernel.stats.cache_misses))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.split() == ["1", "0", "1", "0"], out.stderr


@pytest.mark.parametrize(
    ("module", "name"),
    [("_half", "ordered_product"), ("_integer", "wrapping_matmul")],
)
def test_threaded_and_serial_builds_have_their_own_disk_cache_entries(module, name):
    """numba keys a cached build by qualified name and bytecode, not by ``parallel=``: the two
    builds of one kernel body must have different names, or one would load the other's code."""
    pytest.importorskip("numba")
    kernels = importlib.import_module(f"gpudot.backends.numpy._kernels.{module}")
    threaded, serial = getattr(kernels, name), getattr(kernels, f"{name}_serial")
    assert threaded.py_func.__code__ is serial.py_func.__code__  # one body
    assert threaded.targetoptions.get("parallel") is True
    assert not serial.targetoptions.get("parallel")
    assert threaded._cache._impl.filename_base != serial._cache._impl.filename_base
