"""The cheap routes of small products on the NumPy backend.

The public functions call NumPy themselves for plain ndarrays, skipping the backend's call frame,
when the NumPy backend's `numpy_takes` says no exact route would take them (a BLAS dtype, too
small by the routing threshold `may_route`, or two vectors). These tests check that this is done
only when the NumPy backend is in effect *in the calling thread or task*, that it gives NumPy's
exact result and gpudot's explained errors, that everything else still reaches the backend, and
that the threshold every layer asks holds at its boundaries.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import traceback

import numpy as np
import pytest

import gpudot
from gpudot._dispatch import backend_setting as _state
from gpudot._dispatch.registry import _ENTRIES, _INSTANCES
from gpudot.backends import lookup
from gpudot.backends.numpy import _exact
from gpudot.backends.numpy._backend import NumpyBackend
from gpudot.backends.numpy._exact import _entry as _dispatch
from gpudot.testing._inputs import make

PRODUCTS = {"matmul": np.matmul, "dot": np.dot}


class Subclass(np.ndarray):
    """An ndarray subclass: NumPy's own rules apply to it, so it goes through the backend."""


class Tagged(NumpyBackend):
    """Another backend whose products say where they ran."""

    name = "inline-route-test"

    def matmul(self, x1, x2, out=None, dtype=None):
        return "tagged"

    def dot(self, a, b, out=None):
        return "tagged"


@pytest.fixture
def tagged():
    gpudot.register_backend(Tagged.name, Tagged, replace=True)
    yield lookup(Tagged.name)
    _ENTRIES.pop(Tagged.name)
    _INSTANCES.pop(Tagged.name, None)


def assert_same(result, expected):
    assert type(result) is type(expected)
    assert result.dtype == expected.dtype and result.shape == expected.shape
    assert result.tobytes() == expected.tobytes()


@pytest.fixture
def float_operands():
    rng = np.random.default_rng(7)
    return rng.standard_normal((5, 6)), rng.standard_normal((6, 4))


@pytest.mark.parametrize("func", PRODUCTS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
def test_same_bits_as_numpy(func, dtype, float_operands):
    a, b = (x.astype(dtype) for x in float_operands)
    if a.dtype.kind == "c":
        a, b = a + 1j * a[::-1], b - 2j * b[::-1]
    a_before, b_before = a.copy(), b.copy()
    assert_same(getattr(gpudot, func)(a, b), PRODUCTS[func](a, b))
    np.testing.assert_array_equal(a, a_before)
    np.testing.assert_array_equal(b, b_before)


@pytest.mark.parametrize("func", PRODUCTS)
def test_vector_products_are_numpy_scalars(func):
    x = np.arange(5.0)
    result = getattr(gpudot, func)(x, x)
    assert type(result) is np.float64 and result == PRODUCTS[func](x, x)


@pytest.mark.parametrize("func", PRODUCTS)
def test_failures_carry_gpudots_explanation(func):
    a, b = np.ones((2, 3)), np.ones((4, 5))
    with pytest.raises(ValueError) as numpy_error:
        PRODUCTS[func](a, b)
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 5\)") as error:
        getattr(gpudot, func)(a, b)
    assert str(error.value) != str(numpy_error.value)


def test_a_bad_precision_is_refused_even_for_plain_operands():
    with pytest.raises(ValueError, match="precision"):
        gpudot.matmul(np.eye(2), np.eye(2), precision="fastest")


@pytest.fixture(params=[False, True], ids=["never-scoped", "scoped"])
def scoped(request, monkeypatch):
    """Run a test as in a process where `use_backend` was never called, and after one was."""
    monkeypatch.setattr(_state.BACKEND_SETTING, "scoped", request.param)
    return request.param


# inner of vectors returns the backend's dot itself
@pytest.mark.parametrize("func", [*PRODUCTS, "inner"])
def test_set_backend_turns_the_route_off(tagged, func, scoped):
    saved = _state.BACKEND_SETTING.default
    x = np.arange(2.0)
    try:
        gpudot.set_backend(tagged)
        assert getattr(gpudot, func)(x, x) == "tagged"
    finally:
        _state.BACKEND_SETTING.default = saved
    assert getattr(gpudot, func)(x, x) == getattr(np, func)(x, x)


@pytest.mark.parametrize("func", PRODUCTS)
def test_the_first_product_builds_the_default_backend(tagged, func, monkeypatch, scoped):
    saved = _state.BACKEND_SETTING.default
    monkeypatch.setenv("GPUDOT_BACKEND", Tagged.name)
    _state.BACKEND_SETTING.default = None  # as in a fresh process
    try:
        assert getattr(gpudot, func)(np.eye(2), np.eye(2)) == "tagged"
        assert _state.BACKEND_SETTING.default is tagged
    finally:
        _state.BACKEND_SETTING.default = saved


@pytest.mark.parametrize("func", PRODUCTS)
def test_each_thread_gets_the_backend_in_effect_there(tagged, func):
    x = np.eye(3) * 2.0
    both_inside, results = threading.Barrier(2), {}

    def run(label, backend):
        with gpudot.use_backend(backend):
            both_inside.wait()  # the two overrides are active at the same time
            results[label] = getattr(gpudot, func)(x, x)
            both_inside.wait()

    threads = [
        threading.Thread(target=run, args=("tagged", Tagged.name)),
        threading.Thread(target=run, args=("numpy", "numpy")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results["tagged"] == "tagged"
    np.testing.assert_array_equal(results["numpy"], PRODUCTS[func](x, x))


@pytest.mark.parametrize("func", PRODUCTS)
def test_each_asyncio_task_gets_the_backend_in_effect_there(tagged, func):
    x = np.eye(3) * 2.0

    async def product(backend, entered, release):
        with gpudot.use_backend(backend):
            entered.set()
            await release.wait()
            return getattr(gpudot, func)(x, x)

    async def main():
        entered_a, entered_b, release = asyncio.Event(), asyncio.Event(), asyncio.Event()
        a = asyncio.create_task(product(Tagged.name, entered_a, release))
        b = asyncio.create_task(product("numpy", entered_b, release))
        await entered_a.wait()
        await entered_b.wait()
        release.set()
        return await a, await b

    on_tagged, on_numpy = asyncio.run(main())
    assert on_tagged == "tagged"
    np.testing.assert_array_equal(on_numpy, PRODUCTS[func](x, x))


@pytest.mark.parametrize("func", [*PRODUCTS, "inner"])
def test_a_task_started_inside_use_backend_keeps_it_after_the_block(tagged, func, monkeypatch):
    """Why `ScopedSetting.scoped` is never reset: the task copies the override, and keeps it
    after the block that made it has exited, while its creator is back on the default."""
    monkeypatch.setattr(_state.BACKEND_SETTING, "scoped", False)  # as in a fresh process
    x = np.arange(3.0)

    async def main():
        with gpudot.use_backend(Tagged.name):
            task = asyncio.create_task(asyncio.sleep(0, None))
            later = asyncio.create_task(_product_after(task, func, x))
        return getattr(gpudot, func)(x, x), await later

    on_default, in_task = asyncio.run(main())
    assert on_default == getattr(np, func)(x, x)
    assert in_task == "tagged"


async def _product_after(task, func, x):
    await task
    return getattr(gpudot, func)(x, x)


@pytest.mark.parametrize(
    "operands",
    [
        pytest.param((np.eye(181, dtype=np.int64), np.eye(181, dtype=np.int64)), id="int64"),
        pytest.param((np.eye(2).tolist(), np.eye(2)), id="list"),
        pytest.param((np.eye(2).view(Subclass), np.eye(2)), id="subclass"),
    ],
)
def test_other_operands_reach_the_backend(operands, monkeypatch):
    numpy_backend = lookup("numpy")
    calls = []
    monkeypatch.setattr(
        type(numpy_backend), "matmul", lambda self, *args: calls.append(args) or "backend"
    )
    assert gpudot.matmul(*operands) == "backend"
    assert len(calls) == 1


# x1.size * x2.size bounds the multiply-adds, so below MIN_WORK the routes would decline.
SMALL_OPERANDS = [((8, 8), (8, 8)), ((4, 32, 8), (8, 2)), ((181,), (181,)), ((3, 60), (60, 3))]


@pytest.fixture
def route_calls(monkeypatch):
    asked = []
    monkeypatch.setattr(_exact, "matmul", lambda *args: asked.append("matmul"))
    monkeypatch.setattr(_exact, "dot", lambda *args: asked.append("dot"))
    return asked


@pytest.mark.parametrize("shapes", SMALL_OPERANDS)
@pytest.mark.parametrize("dtype", [np.int32, np.bool_, np.float16])
def test_routes_that_would_decline_are_not_asked(shapes, dtype, route_calls):
    rng = np.random.default_rng(3)
    a, b = ((rng.random(shape) * 4).astype(dtype) for shape in shapes)
    assert a.size * b.size < _exact.MIN_WORK
    assert _dispatch.matmul(a, b, None, None) is None and _dispatch.dot(a, b, None) is None
    assert_same(gpudot.matmul(a, b), np.matmul(a, b))
    assert_same(gpudot.dot(a, b), np.dot(a, b))
    assert route_calls == []


def test_routes_are_asked_from_min_work_on(route_calls):
    a = np.arange(32 * 32, dtype=np.int32).reshape(32, 32)
    assert a.size * a.size >= _exact.MIN_WORK
    assert_same(gpudot.matmul(a, a), np.matmul(a, a))
    assert_same(gpudot.dot(a, a), np.dot(a, a))
    assert route_calls == ["matmul", "dot"]


@pytest.mark.parametrize("func", PRODUCTS)
@pytest.mark.parametrize("dtype", [np.int8, np.int64, np.uint16, np.bool_, np.float16])
@pytest.mark.parametrize("shapes", [((4, 6), (6, 3)), ((1000,), (1000,))], ids=["small", "vectors"])
def test_small_products_and_vectors_of_other_dtypes_are_computed_inline(
    func, dtype, shapes, monkeypatch
):
    """Below MIN_WORK, and for vector . vector of any length, no route would act."""
    rng = np.random.default_rng(5)
    a, b = ((rng.random(shape) * 9).astype(dtype) for shape in shapes)
    assert (a.size * b.size < _exact.MIN_WORK) == (a.ndim == 2)  # the vectors: only by their rule
    numpy_backend = lookup("numpy")
    monkeypatch.setattr(
        type(numpy_backend), func, lambda self, *args: pytest.fail("the backend was called")
    )
    assert_same(getattr(gpudot, func)(a, b), PRODUCTS[func](a, b))


FAMILY_SHAPES = {
    "vdot": ((6,), (6,)),
    "inner": ((3, 4), (5, 4)),
    "outer": ((3,), (4,)),
    "tensordot": ((3, 4, 2), (4, 2, 5)),
    "vecdot": ((3, 4), (3, 4)),
    "matvec": ((3, 4), (4,)),
    "vecmat": ((4,), (4, 3)),
}


@pytest.mark.parametrize("dtype", [np.float64, np.int8, np.float16, np.bool_])
@pytest.mark.parametrize("func", FAMILY_SHAPES)
def test_small_family_calls_are_numpys_own_call(func, dtype, monkeypatch):
    """Below MIN_WORK the family's products go straight to NumPy's function, backend untouched."""
    rng = np.random.default_rng(7)
    a, b = ((rng.random(shape) * 9).astype(dtype) for shape in FAMILY_SHAPES[func])
    numpy_backend = lookup("numpy")
    for product in ("dot", "matmul"):
        monkeypatch.setattr(
            type(numpy_backend), product, lambda self, *args: pytest.fail("the backend was called")
        )
    assert_same(getattr(gpudot, func)(a, b), getattr(np, func)(a, b))


def test_a_failing_inline_family_call_is_explained_like_numpy():
    with pytest.raises(ValueError) as numpys:
        np.inner(np.ones(3), np.ones(4))
    with pytest.raises(ValueError) as gpudots:
        gpudot.inner(np.ones(3), np.ones(4))
    assert (
        str(gpudots.value).startswith(f"{numpys.value}\n") and type(gpudots.value) is not ValueError
    )


def test_integer_tensordot_takes_the_matmul_route(monkeypatch):
    calls = []
    original = NumpyBackend.matmul

    def spy(self, *args, **kwargs):
        calls.append(args[0].dtype)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(NumpyBackend, "matmul", spy)
    a, b = make((3, 64, 64), "int32", 1), make((64, 64, 2), "int32", 2)
    # smaller products are NumPy's own call: the routing threshold bounds the work by
    # (a.size / K) * b.size
    assert _exact.may_route(a, b)
    with gpudot.use_backend("numpy"):
        np.testing.assert_array_equal(gpudot.tensordot(a, b), np.tensordot(a, b))
        assert calls == [np.dtype("int32")]
        small = a[:, :4], b[:4]
        assert not _exact.may_route(*small)
        np.testing.assert_array_equal(gpudot.tensordot(*small), np.tensordot(*small))
    assert calls == [np.dtype("int32")]


@pytest.mark.parametrize(
    ("func", "args", "kwargs"),
    [
        ("outer", (), {"a": np.arange(3.0), "b": np.arange(4.0)}),
        ("outer", (np.arange(3.0),), {"b": np.arange(4.0)}),
        ("tensordot", (), {"a": np.ones((2, 3)), "b": np.ones((3, 4)), "axes": 1}),
        ("tensordot", (np.ones((2, 3)), np.ones((3, 4)), 1), {}),
        ("vecdot", (np.ones((2, 3)), np.arange(3.0)), {"axis": -1}),
        ("matvec", (np.ones((2, 3)), np.arange(3.0)), {"dtype": np.float32}),
    ],
)
def test_family_calls_with_keywords_or_more_arguments_are_numpys(func, args, kwargs):
    """Only a plain call of two operands is inline; the rest take the full path, same result."""
    if getattr(np, func, None) is None:
        pytest.skip(f"this NumPy has no {func}")
    with gpudot.use_backend("numpy"):
        assert_same(getattr(gpudot, func)(*args, **kwargs), getattr(np, func)(*args, **kwargs))


def test_a_family_call_without_operands_is_refused_like_numpy():
    with pytest.raises(TypeError) as numpys:
        np.outer()
    with pytest.raises(TypeError) as gpudots:
        gpudot.outer()
    assert str(gpudots.value).startswith(str(numpys.value))


@pytest.mark.parametrize("func", PRODUCTS)
def test_matrix_vector_below_the_least_work_of_any_route_is_inline(func, monkeypatch):
    """(32, 32) @ (32,): ``x1.size * x2.size`` reaches MIN_WORK, the product's 1024 multiply-adds
    do not reach the least work of any route: NumPy's own call, the backend untouched."""
    a, x = make((32, 32), "int32", 1), make((32,), "int32", 2)
    assert a.size * x.size >= _exact.MIN_WORK and 32 * 32 < _exact.MATVEC_MIN_WORK
    assert not _exact.may_route(a, x)
    numpy_backend = lookup("numpy")
    original = getattr(type(numpy_backend), func)
    monkeypatch.setattr(
        type(numpy_backend), func, lambda self, *args: pytest.fail("the backend was called")
    )
    assert_same(getattr(gpudot, func)(a, x), PRODUCTS[func](a, x))
    big = make((256, 256), "int32", 3), make((256,), "int32", 4)
    assert 256 * 256 >= _exact.MATVEC_MIN_WORK and _exact.may_route(*big)
    called = []
    monkeypatch.setattr(
        type(numpy_backend), func, lambda self, *args: called.append(1) or original(self, *args)
    )
    assert_same(getattr(gpudot, func)(*big), PRODUCTS[func](*big))
    assert called == [1]


ALL_PRODUCTS = [
    "matmul",
    "dot",
    "vdot",
    "inner",
    "outer",
    "tensordot",
    "vecdot",
    "matvec",
    "vecmat",
]


def _bad_calls(func):
    x = np.arange(3.0)
    first, second = list(inspect.signature(getattr(gpudot, func)).parameters)[:2]
    return {
        "no operands": ((), {}),
        "one operand": ((x,), {}),
        "operands by name": ((), {first: x, second: x}),
        "unknown keyword": ((x, x), {"bogus": 1}),
        "too many arguments": ((x, x, None, None, None, None), {}),
    }


@pytest.mark.parametrize("call", list(_bad_calls("vdot")))
@pytest.mark.parametrize("func", ALL_PRODUCTS)
def test_calls_that_do_not_bind_get_numpys_words(func, call):
    """The public functions parse their arguments as NumPy's do: Python's words where NumPy's
    function has a Python signature, NumPy's own first where it is a ufunc."""
    if getattr(np, func, None) is None:
        pytest.skip(f"this NumPy has no {func}")
    args, kwargs = _bad_calls(func)[call]
    try:
        expected = getattr(np, func)(*args, **kwargs)
    except Exception as error:  # noqa: BLE001 - whatever NumPy raises is the answer
        with pytest.raises(type(error)) as ours:
            getattr(gpudot, func)(*args, **kwargs)
        assert str(ours.value) == str(error) or str(ours.value).startswith(f"{error}\n")
    else:
        assert_same(getattr(gpudot, func)(*args, **kwargs), expected)


@pytest.mark.parametrize("func", ["dot", "vdot", "inner", "outer", "tensordot"])
def test_public_functions_of_python_signatures_have_that_signature(func):
    """No ``*args``/``**kwargs`` between the caller and NumPy: the written function's own
    signature is the product's, NumPy's with gpudot's ``precision=`` where it has one."""
    written = inspect.signature(getattr(gpudot, func), follow_wrapped=False)
    numpys = inspect.signature(getattr(np, func))
    if func == "dot":
        precision = inspect.Parameter("precision", inspect.Parameter.KEYWORD_ONLY, default=None)
        numpys = numpys.replace(parameters=[*numpys.parameters.values(), precision])
    assert [(p.name, p.kind, p.default) for p in written.parameters.values()] == [
        (p.name, p.kind, p.default) for p in numpys.parameters.values()
    ]


@pytest.mark.parametrize("dtype", [np.int8, np.int64, np.float16, np.bool_, np.float64])
def test_vdot_of_any_ndarrays_is_numpys_own_call(dtype, monkeypatch):
    """vdot is one vector . vector product, which no exact route takes: the dispatcher declines
    it at any size, so the public function calls NumPy's vdot for every pair of ndarrays."""
    a, b = make((300, 400), np.dtype(dtype).name, 1), make((400, 300), np.dtype(dtype).name, 2)
    flat = a.reshape(-1), b.reshape(-1)
    assert _dispatch.dot(*flat, None) is None and _dispatch.matmul(*flat, None, None) is None
    numpy_backend = lookup("numpy")
    monkeypatch.setattr(
        type(numpy_backend), "dot", lambda self, *args: pytest.fail("the backend was called")
    )
    assert_same(gpudot.vdot(a, b), np.vdot(a, b))


@pytest.mark.parametrize("func", PRODUCTS)
@pytest.mark.parametrize(
    ("shapes", "inline"),
    [
        (((256, 256), (256,)), True),
        (((64, 64), (64, 64)), True),
        (((2048, 2048), (2048,)), True),  # a 1-D bool operand: NumPy's early exit at any size
        (((2048, 2048), (2048, 2)), False),  # (a.size / K) * b.size reaches BOOL_MIN_WORK
    ],
)
def test_bool_products_below_bool_min_work_are_inline(func, shapes, inline, monkeypatch):
    """Below `BOOL_MIN_WORK`, or with a 1-D operand, the bool route declines without looking at
    the data: NumPy's own call, the backend untouched; a bool operand beside an integer one is
    an integer product."""
    a, b = make(shapes[0], "bool", 1), make(shapes[1], "bool", 2)
    small = a.size // a.shape[-1] * b.size < _exact.BOOL_MIN_WORK
    assert (small or b.ndim == 1) == inline == (not _exact.may_route(a, b))
    numpy_backend = lookup("numpy")
    original, called = getattr(type(numpy_backend), func), []
    monkeypatch.setattr(
        type(numpy_backend), func, lambda self, *args: called.append(1) or original(self, *args)
    )
    assert_same(getattr(gpudot, func)(a, b), PRODUCTS[func](a, b))
    assert called == ([] if inline else [1])
    assert_same(getattr(gpudot, func)(a.astype(np.int8), b), PRODUCTS[func](a.astype(np.int8), b))
    assert called == ([1] if inline else [1, 1])


#: A call of each public product that NumPy refuses (mismatched shapes; outer: a wrong out=).
REFUSED_CALLS = {
    "matmul": ((np.ones((2, 3)), np.ones((4, 5))), {}),
    "dot": ((np.ones((2, 3)), np.ones((4, 5))), {}),
    "vdot": ((np.ones((2, 3)), np.ones((4, 5))), {}),
    "inner": ((np.ones((2, 3)), np.ones((4, 5))), {}),
    "outer": ((np.ones(3), np.ones(4)), {"out": np.empty(5)}),
    "tensordot": ((np.ones((2, 3)), np.ones((4, 5))), {}),
    "vecdot": ((np.ones((2, 3)), np.ones((4, 5))), {}),
    "matvec": ((np.ones((2, 3)), np.ones((4, 5))), {}),
    "vecmat": ((np.ones((2, 3)), np.ones((4, 5))), {}),
}


@pytest.mark.parametrize("kind", ["ndarrays", "lists"])
@pytest.mark.parametrize("func", ALL_PRODUCTS)
def test_tracebacks_show_gpudots_files_and_lines(func, kind):
    """The public functions are plain Python: a traceback through one names gpudot's own
    files (no ``<string>`` frame of generated code), on NumPy's own call and on the full path."""
    if getattr(np, func, None) is None:
        pytest.skip(f"this NumPy has no {func}")
    args, kwargs = REFUSED_CALLS[func]
    if kind == "lists":
        args = tuple(x.tolist() for x in args)
    with pytest.raises((ValueError, TypeError)) as error:
        getattr(gpudot, func)(*args, **kwargs)
    files = [frame.filename.replace("\\", "/") for frame in traceback.extract_tb(error.tb)]
    assert "<string>" not in files
    assert any(
        name.endswith(("gpudot/_api/products.py", "gpudot/_api/family.py")) for name in files
    )


@pytest.mark.parametrize(
    ("shapes", "dtype", "matmul_dtype", "routable"),
    [
        (((32, 32), (32, 32)), "int32", None, True),  # 32 * 32 * 32 = MIN_WORK
        (((32, 32), (32, 31)), "int32", None, False),
        (((4, 32, 32), (32, 8)), "uint16", None, True),  # (a.size / K) * b.size bounds the work
        (((32, 32), (32, 32)), "float64", None, False),  # a BLAS loop: NumPy's own
        (((32, 32), (32, 32)), "float64", "float16", True),  # matmul's dtype= is the loop
        (((32, 32), (32, 32)), "float16", None, True),
        (((128, 128), (128,)), "int8", None, True),  # with a 1-D operand: MATVEC_MIN_WORK
        (((127, 128), (128,)), "int8", None, False),
        (((128,), (128, 128)), "int8", None, True),
        (((1 << 15,), (1 << 15,)), "int64", None, False),  # vector . vector: no route
        (((2048, 2048), (2048,)), "bool", None, False),  # bool with a 1-D operand: never
        (((1024, 2048), (2048, 2)), "bool", None, True),  # = BOOL_MIN_WORK
        (((1023, 2048), (2048, 2)), "bool", None, False),
    ],
)
def test_the_routing_threshold(shapes, dtype, matmul_dtype, routable):
    """`may_route`, the one threshold every layer asks, at its boundaries (with the constants
    the tests assume); below it no route would act, so NumPy's own call is the result."""
    assert (_exact.MIN_WORK, _exact.MATVEC_MIN_WORK, _exact.BOOL_MIN_WORK) == (
        32768,
        16384,
        1 << 22,
    )
    a, b = (np.zeros(shape, dtype) for shape in shapes)
    assert _exact.may_route(a, b, matmul_dtype) == routable
    if matmul_dtype is None:
        assert _exact.numpy_takes(a, b) == (not routable)
        assert not _exact.numpy_takes(a.tolist(), b) and not _exact.numpy_takes(a.view(Subclass), b)
    if not routable:
        assert _dispatch.matmul(a, b, None, matmul_dtype) is None


class OwnVdot(NumpyBackend):
    """A backend with a vdot of its own, as a plugin overrides a family method."""

    name = "own-vdot-test"

    def vdot(self, a, b):
        return "own vdot"


def test_a_backend_s_own_family_method_is_called():
    gpudot.register_backend(OwnVdot.name, OwnVdot, replace=True)
    try:
        with gpudot.use_backend(OwnVdot.name):
            assert gpudot.vdot([1, 2], [3, 4]) == "own vdot"
            assert gpudot.inner([1, 2], [3, 4]) == 11  # the default: the reduction to dot
    finally:
        _ENTRIES.pop(OwnVdot.name)
        _INSTANCES.pop(OwnVdot.name, None)
