"""The dot-product (VNNI) kernels and their "vnni" route: NumPy's bits and result dtypes.

NumPy is the oracle. Every 8/16-bit dtype pair NumPy multiplies, with its own result dtype and
with ``dtype=``/``out=`` of every integer width; shapes straddling the register tile (`MR` rows,
``VECTORS * LANES`` columns), the panel width `NR`, the k block `KC` (in groups of 4 bytes or 2
int16), the rows of a task `MB` and the serial/parallel threshold; K where int32 sums wrap and
where an int64 result needs its K blocks; extremes; layouts; batches; zero sizes. The route is
checked with numba and the dot-product instructions, with them switched off, and without numba.
Tests of the kernels themselves skip, with the reason, on a CPU without the instructions.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from integer_operands import LAYOUTS, laid_out, operand

import gpudot
from gpudot._tuning import VNNI_PARALLEL_MIN_WORK
from gpudot.backends import lookup
from gpudot.backends.numpy._exact import _cost_rule as _routing
from gpudot.backends.numpy._exact import _integer
from gpudot.backends.numpy._kernels import _cpu_features as _cpu
from gpudot.backends.numpy._kernels import _load as _numba_kernels
from gpudot.testing._oracle import check_bits

NARROW = ["int8", "uint8", "int16", "uint16"]
RESULTS = [None, "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64"]


@pytest.fixture
def vnni(monkeypatch):
    """The dot-product kernels module, switched on (skips without numba or the instructions)."""
    pytest.importorskip("numba")
    monkeypatch.setattr(_numba_kernels, "ENABLED", True)
    monkeypatch.setattr(_cpu, "ENABLED", True)
    if not _cpu.cpu_vnni_bits():
        pytest.skip("this CPU has no AVX512-VNNI or AVX-VNNI")
    kernels = _numba_kernels.kernels("vnni")
    if kernels is None:
        pytest.skip("numba kernels could not be imported")
    return kernels


@pytest.fixture
def numpy_backend():
    """The NumPy backend (the only one with these routes), in effect for the test."""
    with gpudot.use_backend("numpy"):
        yield lookup("numpy")


@pytest.fixture(params=["vnni", "vnni-off", "no-numba"])
def mode(request, monkeypatch):
    """Three ways: the dot-product kernels (skipped where the CPU lacks them), numba without
    them, and no numba at all."""
    monkeypatch.setattr(_cpu, "ENABLED", request.param == "vnni")
    monkeypatch.setattr(_numba_kernels, "ENABLED", request.param != "no-numba")
    if request.param != "no-numba":
        pytest.importorskip("numba")
    if request.param == "vnni" and not _cpu.cpu_vnni_bits():
        pytest.skip("this CPU has no AVX512-VNNI or AVX-VNNI")
    return request.param


def _pairs():
    """(a dtype, b dtype, result dtype) for every narrow pair and result NumPy accepts."""
    for left in NARROW:
        for right in NARROW:
            for result in RESULTS:
                loop = np.result_type(left, right) if result is None else np.dtype(result)
                if loop.kind in "iu" and all(
                    np.can_cast(x, loop, "same_kind") for x in (left, right)
                ):
                    yield left, right, result


PAIRS = list(_pairs())


def _operands_as_routed(a, b, dtype):
    """What the NumPy backend hands the route: operands NumPy's cast would not change stay."""
    return [x if np.can_cast(x.dtype, dtype, "safe") else x.astype(dtype) for x in (a, b)]


def _check_kernel(a, b, result=None):
    """``dot_product_matmul`` on ``a``, ``b`` against ``np.matmul(a, b, dtype=result)``;
    whether the kernels took the product at all."""
    expected = np.matmul(a, b, dtype=result)
    left, right = _operands_as_routed(a, b, expected.dtype)
    got = _integer.dot_product_matmul(left, right, expected.dtype)
    if got is not None:
        assert got.dtype == expected.dtype and got.shape == expected.shape
        assert got.tobytes() == expected.tobytes()
    return got is not None


# --- the kernels ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("left", "right", "result"), PAIRS, ids=str)
@pytest.mark.parametrize("family", ["random", "min", "max", "mixed"])
def test_every_dtype_pair_and_result(vnni, left, right, result, family):
    """(7, 70, 130): a tile of rows + 1, K not a multiple of 4, a panel + 2 columns."""
    a, b = operand((7, 70), left, family, 1), operand((70, 130), right, family, 2)
    taken = _check_kernel(a, b, result)
    loop = np.result_type(left, right) if result is None else np.dtype(result)
    width = _integer.dot_product_width(*(x.dtype for x in _operands_as_routed(a, b, loop)), loop)
    assert taken == bool(width)  # the kernels take every pair they say they take


def _edges(kernels):
    """Shapes straddling the tile, the panel, the k block and a task's rows."""
    mr, columns, nr = kernels.MR, kernels.VECTORS * kernels.LANES, kernels.NR
    kc_bytes = 4 * kernels.KC
    return [
        (mr, 4, columns),  # exactly one tile
        (mr, 1, 1),  # one column: masked stores only
        (mr + 1, 3, columns + 1),  # the last row block starts MR rows before the end
        (2 * mr - 1, kc_bytes - 1, nr - 1),
        (kernels.MB + 1, kc_bytes + 1, nr + 1),  # two row blocks, two k blocks, two panels
        (3 * kernels.MB - 5, 2 * kc_bytes + 3, 3 * nr + 17),
    ]


@pytest.mark.parametrize("dtypes", [("int8", "int8"), ("uint8", "uint8"), ("int8", "uint8"),
                                    ("uint8", "int8"), ("int16", "int16")], ids=str)
@pytest.mark.parametrize("edge", range(6))
def test_tile_panel_and_block_edges(vnni, dtypes, edge):
    m, k, n = _edges(vnni)[edge]
    a, b = operand((m, k), dtypes[0], "random", edge), operand((k, n), dtypes[1], "mixed", edge)
    for result in (None, "int32", "int64"):
        if result == "int64" and "int16" in dtypes:
            continue  # two int16 products can reach 2^31: not the kernels' (asserted below)
        assert _check_kernel(a, b, result)
    assert not _check_kernel(a.astype(np.int16), b.astype(np.int16), "int64")


def test_fewer_rows_than_a_tile_are_not_taken(vnni):
    a, b = operand((vnni.MR - 1, 64), "int8", "random", 1), operand((64, 64), "int8", "random", 2)
    assert not _check_kernel(a, b)


@pytest.mark.parametrize("result", [None, "int32", "int64"])
def test_sums_past_2_to_31(vnni, result):
    """140000 products of -128 * -128 (and 127 * -128): sums of 2.3e9 wrap an int32 result,
    must not wrap an int64 one (three K blocks of `INT64_BLOCK`), and wrap int8 mod 2^8."""
    k = 140_000
    assert k > 2 * _integer.INT64_BLOCK
    a = np.full((vnni.MR, k), -128, np.int8)
    a[1::2] = 127
    b = np.full((k, 20), -128, np.int8)
    b[:, ::3] = 127
    assert _check_kernel(a, b, result)
    if result == "int64":
        assert np.matmul(a, b, dtype=np.int64).max() > 2**31  # the case is what it claims


def test_int16_extremes_wrap(vnni):
    """-32768 * -32768 twice per lane is 2^31: vpdpwssd wraps it, as NumPy's int32 sum does."""
    a = np.full((vnni.MR, 4000), -32768, np.int16)
    b = np.full((4000, 33), -32768, np.int16)
    b[::5] = 32767
    for result in (None, "int32"):
        assert _check_kernel(a, b, result)
    assert _check_kernel(a.view(np.uint16), b.view(np.uint16))  # the same residues mod 2^16


@pytest.mark.parametrize(("left", "right"), [("int8", "int8"), ("uint8", "uint8")])
def test_the_correction_is_needed(vnni, monkeypatch, left, right):
    """Bytes of one signedness run as unsigned x signed ones (``b`` XOR 0x80): without the 128
    times the row sums of ``a`` as start values (``b`` still flipped), the result is wrong;
    with them, NumPy's."""
    a, b = operand((50, 300), left, "random", 3), operand((300, 70), right, "random", 4)
    expected = np.matmul(a, b, dtype=np.int32)
    assert _check_kernel(a, b, "int32")
    monkeypatch.setattr(_integer, "correction_scale", lambda *dtypes: 0)
    dropped = _integer.dot_product_matmul(a, b, np.dtype(np.int32))
    assert dropped is not None and not np.array_equal(dropped, expected)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtypes", [("int8", "int8"), ("uint8", "int8"), ("int16", "int16")])
def test_layouts_and_batches(vnni, layout, dtypes):
    a, b = laid_out(layout, *dtypes)
    taken = _check_kernel(a, b, "int32")
    assert taken == (layout != "vector-left")  # one row is fewer than a tile's


@pytest.mark.parametrize("shape", [(8, 0, 5), (0, 5, 4), (8, 5, 0)])
def test_zero_size(vnni, shape):
    m, k, n = shape
    a, b = np.ones((m, k), np.int8), np.ones((k, n), np.int8)
    for result in (None, "int32", "int64"):
        _check_kernel(a, b, result)


@pytest.mark.parametrize("k", [1, 2])  # 2000 * 2000 * k straddles VNNI_PARALLEL_MIN_WORK
def test_parallel_threshold(vnni, k):
    assert 2000 * 2000 < VNNI_PARALLEL_MIN_WORK <= 2000 * 2000 * 2 * 4
    a, b = operand((2000, 4 * k), "int8", "random", 5), operand((4 * k, 2000), "int8", "random", 6)
    assert _check_kernel(a, b, "int32")


# --- the route, with the kernels, without them, without numba -----------------------------------


@pytest.mark.parametrize("func", ["matmul", "dot"])
@pytest.mark.parametrize(("left", "right"), [("int8", "int8"), ("uint8", "uint8"),
                                             ("int8", "uint8"), ("int16", "int16"),
                                             ("uint16", "uint16"), ("uint8", "int16")])
def test_route_end_to_end(numpy_backend, mode, func, left, right):
    """Through the NumPy backend: matrices, stacks with broadcasting, N-D ``dot``, and the
    matrix-vector products (another kernel's)."""
    a, b = operand((200, 256), left, "random", 7), operand((256, 384), right, "random", 8)
    check_bits(numpy_backend, func, a, b)
    check_bits(numpy_backend, func, operand((3, 64, 256), left, "mixed", 9), b[None, :, :130])
    check_bits(numpy_backend, func, a, b[:, 0])
    if func == "dot":
        check_bits(numpy_backend, "dot", a, operand((2, 256, 130), right, "random", 10))


@pytest.mark.parametrize("result", ["int16", "int32", "int64", "uint32"])
@pytest.mark.parametrize(("left", "right"), [("int8", "int8"), ("uint8", "int8"),
                                             ("int16", "int16")])
def test_dtype_and_out(numpy_backend, mode, result, left, right):
    """``dtype=`` and ``out=`` of every integer width: NumPy's bits and dtype, out= filled."""
    a, b = operand((3, 100, 300), left, "random", 11), operand((300, 90), right, "mixed", 12)
    if not all(np.can_cast(x.dtype, result, "same_kind") for x in (a, b)):
        return
    expected = np.matmul(a, b, dtype=result)
    got = gpudot.to_numpy(gpudot.matmul(a, b, dtype=result))
    assert got.dtype == expected.dtype and got.tobytes() == expected.tobytes()
    out = np.full(expected.shape, 7, result)
    assert gpudot.matmul(a, b, out=out) is out
    assert out.tobytes() == np.matmul(a, b, out=np.empty_like(out)).tobytes()
    wide = np.empty(expected.shape, np.int64)
    gpudot.matmul(a, b, dtype=result, out=wide)
    assert wide.tobytes() == np.matmul(a, b, dtype=result, out=np.empty_like(wide)).tobytes()


def test_the_route_takes_the_kernels(numpy_backend, monkeypatch):
    """int8 products, their ``dtype=np.int32`` form without widening, and int32 operands whose
    values fit a byte, go to the dot-product kernels where the CPU has them."""
    pytest.importorskip("numba")
    monkeypatch.setattr(_numba_kernels, "ENABLED", True)
    monkeypatch.setattr(_cpu, "ENABLED", True)
    calls = []
    original = _integer.dot_product_matmul
    monkeypatch.setattr(
        _integer,
        "dot_product_matmul",
        lambda a, b, dtype: calls.append((a.dtype.name, b.dtype.name)) or original(a, b, dtype),
    )
    a8, b8 = operand((256, 256), "int8", "random", 1), operand((256, 256), "int8", "random", 2)
    check_bits(numpy_backend, "matmul", a8, b8)
    assert gpudot.matmul(a8, b8, dtype=np.int32).tobytes() == np.matmul(
        a8, b8, dtype=np.int32
    ).tobytes()
    wide = [np.clip(x, -127, 127).astype(np.int32) for x in (a8, b8)]  # |x| <= 127: narrowed
    check_bits(numpy_backend, "matmul", *wide)
    expected = [("int8", "int8")] * 3 if _cpu.cpu_vnni_bits() else []
    assert calls == expected
    cost = _routing.product_cost(np.dtype(np.int8), 512, 512, 512)
    assert cost is not None and (cost.route == "vnni") == bool(_cpu.cpu_vnni_bits())
    monkeypatch.setattr(_cpu, "ENABLED", False)
    cost = _routing.product_cost(np.dtype(np.int8), 512, 512, 512)
    assert cost is not None and cost.route != "vnni"
    check_bits(numpy_backend, "matmul", a8, b8)
    assert len(calls) == len(expected)


@pytest.mark.parametrize(("operands", "width"), [("int8", 1), ("uint8", 1), ("int16", 2)])
def test_the_rule_prices_a_dtype_product_at_its_operands_width(vnni, operands, width):
    """``dtype=np.int32`` of narrow operands runs the kernels on the operands themselves: the
    rule (and "auto" through the NumPy backend's estimate) prices that run, not an int32 one."""
    int32 = np.dtype(np.int32)
    narrow = _routing.product_cost(int32, 512, 512, 512, operands=np.dtype(operands))
    wide = _routing.product_cost(int32, 512, 512, 512)
    assert narrow is not None and wide is not None
    assert narrow.route == "vnni" and narrow.ns < wide.ns
    bits = _cpu.vnni_bits()
    expected = _routing._vnni_ns(width, bits, (1, 512, 512, 512), 3 * 512 * 512)
    assert narrow.ns == expected
    numpy = lookup("numpy")
    seconds = numpy.estimate_seconds(
        "matmul", int32, 512, 512, 512, 1, None, operands=np.dtype(operands)
    ).seconds
    assert seconds < numpy.estimate_seconds("matmul", int32, 512, 512, 512, 1, None).seconds
    a, b = operand((512, 512), operands, "random", 1), operand((512, 512), operands, "random", 2)
    calls = []
    original = _integer.dot_product_matmul
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            _integer,
            "dot_product_matmul",
            lambda *args: calls.append(args[0].dtype) or original(*args),
        )
        with gpudot.use_backend("numpy"):
            got = gpudot.matmul(a, b, dtype=np.int32)
    assert calls == [np.dtype(operands)]  # the route priced is the route run
    assert got.tobytes() == np.matmul(a, b, dtype=np.int32).tobytes()


# --- which instructions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environment", "bits"),
    [
        ({"NUMBA_CPU_FEATURES": "+avx512f,+avx512bw,+avx512vl,+avx512vnni"}, 512),
        ({"NUMBA_CPU_FEATURES": "+avx2,+avxvnni,-avx512vnni"}, 256),
        ({"NUMBA_CPU_FEATURES": "+avx2,+fma"}, 0),
        ({"NUMBA_CPU_NAME": "generic"}, 0),  # a named CPU without its features: none assumed
    ],
)
def test_features_numba_compiles_for(monkeypatch, environment, bits):
    monkeypatch.delenv("NUMBA_CPU_FEATURES", raising=False)
    monkeypatch.delenv("NUMBA_CPU_NAME", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(_cpu, "ENABLED", True)
    _cpu.cpu_vnni_bits.cache_clear()
    try:
        assert _cpu.cpu_vnni_bits() == bits == _cpu.vnni_bits()
        monkeypatch.setattr(_cpu, "ENABLED", False)
        assert _cpu.vnni_bits() == 0
    finally:
        _cpu.cpu_vnni_bits.cache_clear()


def test_avx_vnni_256_bit_kernels():
    """The 256-bit (AVX-VNNI) build, compiled for a CPU without AVX-512 in a fresh process."""
    pytest.importorskip("numba")
    from llvmlite import binding

    features = binding.get_host_cpu_features()
    if not features.get("avxvnni"):
        pytest.skip("this CPU has no AVX-VNNI")
    flags = ",".join(
        ("-" if name.startswith("avx512") or name.startswith("amx") else "+" if on else "-")
        + name
        for name, on in features.items()
    )
    code = (
        "import numpy as np\n"
        "from gpudot.backends.numpy._exact import _integer\n"
        "from gpudot.backends.numpy._kernels import _cpu_features as _cpu\n"
        "assert _cpu.vnni_bits() == 256\n"
        "rng = np.random.default_rng(0)\n"
        "for left, right in (('int8', 'int8'), ('uint8', 'int8'), ('int16', 'int16')):\n"
        "    a = rng.integers(-128, 128, (37, 301)).astype(left)\n"
        "    b = rng.integers(-128, 128, (301, 59)).astype(right)\n"
        "    got = _integer.dot_product_matmul(a, b, np.dtype(np.int32))\n"
        "    assert got.tobytes() == np.matmul(a, b, dtype=np.int32).tobytes(), (left, right)\n"
        "print('ok')\n"
    )
    env = {**os.environ, "NUMBA_CPU_NAME": "host", "NUMBA_CPU_FEATURES": flags}
    env.pop("GPUDOT_DISABLE_VNNI", None)
    env.pop("GPUDOT_DISABLE_NUMBA", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr[-2000:]


@pytest.mark.parametrize("result", [None, "int32", "int64"])
def test_non_native_byte_order(numpy_backend, mode, result):
    """Big-endian int16 operands are cast as NumPy casts them (the kernels take native ones)."""
    a = operand((64, 300), "int16", "random", 13).astype(">i2")
    b = operand((300, 70), "int16", "mixed", 14).astype(">i2")
    assert _integer.dot_product_width(a.dtype, b.dtype, np.dtype(np.int32)) == 0
    for left in (a, a.astype(np.int16)):
        expected = np.matmul(left, b, dtype=result)
        got = gpudot.to_numpy(gpudot.matmul(left, b, dtype=result))
        assert got.dtype == expected.dtype and np.array_equal(got, expected)


def test_warmed_signatures_serve_every_layout(vnni):
    """After `gpudot.warmup`, products of any layout, read-only or broadcast operands, and both
    thread modes compile nothing more: the kernels always get read-only C-contiguous operands."""
    gpudot.warmup()
    names = ("vnni_product", "vnni_product_serial")
    counts = {name: len(getattr(vnni, name).signatures) for name in names}
    a = operand((3, 50, 70), "int8", "random", 15)
    b = operand((70, 90), "uint8", "random", 16)
    frozen = a.copy()
    frozen.flags.writeable = False
    for left, right in [
        (a, np.asfortranarray(b)),
        (a, b[::-1, ::-1]),
        (frozen, np.broadcast_to(b, (3, 70, 90))),
        (a.astype(np.int16), b.astype(np.int16)[:, ::2]),
        (operand((600, 600), "int8", "random", 17), operand((600, 600), "int8", "random", 18).T),
    ]:
        for result in (None, "int32"):
            assert _check_kernel(left, right, result)
    assert {name: len(getattr(vnni, name).signatures) for name in counts} == counts


# --- the threaded kernel's row blocks ---------------------------------------------------------


@pytest.mark.parametrize("threads", [1, 2, 3, 4])
@pytest.mark.parametrize("m", [1, 5, 6, 7, 95, 96, 97, 192, 193, 512, 1000])
def test_row_blocks_split_the_rows_evenly(vnni, m, threads):
    """Every row in exactly one block; the blocks a multiple of the threads where there are
    enough register tiles, tile-aligned, and equal in tiles to one."""
    blocks = vnni.row_blocks(m, threads)
    tiles = -(-m // vnni.MR)
    assert 1 <= blocks <= tiles
    if tiles >= threads:
        assert blocks % threads == 0
    starts = [b * tiles // blocks * vnni.MR for b in range(blocks)] + [tiles * vnni.MR]
    sizes = np.diff(starts) // vnni.MR
    assert sizes.min() >= 1 and sizes.max() - sizes.min() <= 1
    assert starts[0] == 0 and starts[-1] >= m > starts[-2]


@pytest.mark.parametrize("loops", [1, 2, 3])
@pytest.mark.parametrize("m", [6, 7, 97, 193, 515])
def test_threaded_kernel_at_each_thread_count(vnni, m, loops):
    """The threaded build gives NumPy's bits, packing and correcting in the same parallel
    region, with its loops on one thread or two, and with more loops than numba's threads (one
    thread then runs two loops: the second finds every task taken and the packing done)."""
    import numba

    a, b = operand((m, 36), "int8", "random", m), operand((36, 300), "int8", "mixed", m)
    left = a.view(np.uint8)[None]
    right = b.view(np.uint8)[None]
    left.flags.writeable = right.flags.writeable = False
    panels = np.empty((1, -(-300 // vnni.NR), 9, vnni.NR), np.int32)
    c = np.full((1, m, 300), 12345, np.int32)
    before = numba.get_num_threads()
    numba.set_num_threads(min(loops, numba.config.NUMBA_NUM_THREADS))
    try:
        blocks = vnni.row_blocks(m, loops)
        vnni.vnni_product(left, right, panels, c, 0x80, -128, True, blocks, loops)
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(c[0], np.matmul(a, b, dtype=np.int32))


@pytest.mark.parametrize("loops", [1, 2, 3])
@pytest.mark.parametrize(("m", "k", "n"), [(6, 8, 8), (8, 30, 5), (13, 64, 63), (96, 9, 64),
                                           (7, 33, 100), (97, 8, 8), (8, 8, 129)])
@pytest.mark.parametrize(("left", "right"), [("int8", "int8"), ("uint8", "uint8"),
                                             ("uint8", "int8"), ("int16", "int16")])
def test_a_stack_of_small_matrices(vnni, m, k, n, loops, left, right):
    """A stack of matrices of one panel and one row block runs a task per matrix (packing,
    row starts and tiles together); wider or taller ones the phases. Either way NumPy's bits,
    with panels full of stale values (the lanes past ``n`` are never stored), K not a multiple
    of the group, at each thread count."""
    import numba

    count = 5
    a = operand((count, m, k), left, "mixed", m + k)
    b = operand((count, k, n), right, "random", n)
    group = 4 // a.itemsize
    kp = -(-k // group) * group
    padded = np.zeros((count, m, kp), a.dtype)
    padded[..., :k] = a
    view = np.uint8 if group == 4 else np.int16
    lhs, rhs = padded.view(view), b.view(view)
    lhs.flags.writeable = rhs.flags.writeable = False
    panels = np.random.default_rng(0).integers(
        -(2**31), 2**31, (count, -(-n // vnni.NR), kp // group, vnni.NR), np.int32
    )
    c = np.full((count, m, n), 12345, np.int32)
    assert vnni._matrix_tasks(lhs, panels, c, loops) == (m <= vnni.MB and n <= vnni.NR)
    flip = 0x80 if group == 4 and a.dtype.kind == b.dtype.kind else 0
    scale = _integer.correction_scale(a.dtype, b.dtype)
    before = numba.get_num_threads()
    numba.set_num_threads(min(loops, numba.config.NUMBA_NUM_THREADS))
    try:
        blocks = vnni.row_blocks(m, loops)
        vnni.vnni_product(lhs, rhs, panels, c, flip, scale, a.dtype.kind == "i", blocks, loops)
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(c, np.matmul(a, b, dtype=np.int32))


def test_both_builds_are_kept_in_numbas_disk_cache(vnni, tmp_path):
    """The threaded and serial kernels compile to numba's disk cache (a kernel that reads the
    thread count inside cannot be cached, and every process would compile it again)."""
    code = (
        "import warnings\n"
        "from numba.core.errors import NumbaWarning\n"
        "from numba.core.sigutils import normalize_signature\n"
        "from gpudot.backends.numpy._kernels import _load, _vnni\n"
        "warnings.simplefilter('error', NumbaWarning)\n"
        "for module, names, signature in _load.COMPILED:\n"
        "    if 'vnni_product' in names:\n"
        "        for name in names:\n"
        "            getattr(_vnni, name).compile(tuple(normalize_signature(signature)[0]))\n"
        "        break\n"
    )
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=300)
    cached = {path.name.split("-")[0] for path in tmp_path.rglob("*.nbi")}
    assert {"_vnni.vnni_product", "_vnni.vnni_product_serial"} <= cached
