"""Bad input to every product raises NumPy's exception, with NumPy's words, on every backend.

Each case runs NumPy first on host operands and keeps what it raised; gpudot must then raise an
instance of that class whose message starts with NumPy's message, unchanged, followed by
gpudot's explanation, and leave the operands and ``out=`` as they were. No message is written
here: NumPy's own, in the installed version, is the expected text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import gpudot
from gpudot.testing import assert_matches_numpy, assert_raises_like_numpy

#: Builds a case's ``(args, kwargs)``; its argument turns a host array into an ``out=`` array
#: of the side under test (itself for NumPy), so that out's layout is the backend's own.
AsOut = Callable[[np.ndarray], Any]
Build = Callable[[AsOut], tuple[tuple[Any, ...], dict[str, Any]]]
#: Makes an ``out=`` array from ``as_out``.
Out = Callable[[AsOut], Any]


def ones(*shape: int, dtype: str = "float64") -> np.ndarray:
    return np.ones(shape, dtype)


def operands(shape1, shape2, of="float64", **kwargs) -> Build:
    """Two operands of ones of dtype ``of``, and keyword arguments that need no ``out``."""
    return lambda _: ((ones(*shape1, dtype=of), ones(*shape2, dtype=of)), kwargs)


def with_out(shape1, shape2, out: Out, **kwargs) -> Build:
    """Two float64 operands and ``out=out(as_out)``."""
    return lambda as_out: ((ones(*shape1), ones(*shape2)), {"out": out(as_out), **kwargs})


def full(shape, dtype="float64") -> Out:
    return lambda as_out: as_out(np.full(shape, 7, dtype))


def fortran(shape) -> Out:
    return lambda as_out: as_out(np.asfortranarray(np.full(shape, 7.0)))


def strided(shape) -> Out:
    """A view of every other column: neither C- nor Fortran-contiguous."""
    return lambda as_out: as_out(np.full((shape[0], 2 * shape[1]), 7.0))[:, ::2]


def chain(*shapes, out=None) -> Build:
    """multi_dot's list of float64 operands of ``shapes``, and ``out=out(as_out)``."""

    def build(as_out):
        kwargs = {} if out is None else {"out": out(as_out)}
        return ([ones(*shape) for shape in shapes],), kwargs

    return build


#: (product, build). Every entry is an input NumPy refuses (the test checks that it does).
CASES: dict[str, tuple[str, Build]] = {
    # dot
    "dot-mismatch": ("dot", operands((3, 2), (3, 4))),
    "dot-nd-mismatch": ("dot", operands((2, 3, 2), (4, 3, 2))),
    "dot-vector-mismatch": ("dot", operands((3,), (4,))),
    "dot-matrix-vector-mismatch": ("dot", operands((2, 3), (2,))),
    "dot-zero-size-mismatch": ("dot", operands((2, 0), (3, 4))),
    "dot-zero-against-one": ("dot", operands((0,), (1,))),
    "dot-one-against-zero": ("dot", operands((3, 1), (0, 2))),
    "dot-strings": ("dot", operands((2,), (2,), of="U1")),
    "dot-datetimes": ("dot", operands((2, 2), (2, 2), of="M8[s]")),
    "dot-bytes": ("dot", operands((2, 2), (2, 2), of="S2")),
    "dot-records": ("dot", operands((2, 2), (2, 2), of="i4,i4")),
    "dot-out-wrong-dtype": ("dot", with_out((3, 4), (4, 2), full((3, 2), "float32"))),
    "dot-out-wrong-shape": ("dot", with_out((3, 4), (4, 2), full((2, 3)))),
    "dot-out-wrong-ndim": ("dot", with_out((3, 4), (4, 2), full((6,)))),
    "dot-out-fortran": ("dot", with_out((3, 4), (4, 2), fortran((3, 2)))),
    "dot-out-strided": ("dot", with_out((3, 4), (4, 2), strided((3, 2)))),
    "dot-out-list": ("dot", lambda _: ((ones(2, 2), ones(2, 2)), {"out": [[0.0] * 2] * 2})),
    "dot-out-for-scalar-result": ("dot", with_out((3,), (3,), full((1,)))),
    # matmul
    "matmul-mismatch": ("matmul", operands((3, 2), (3, 4))),
    "matmul-vector-mismatch": ("matmul", operands((3,), (4,))),
    "matmul-matrix-vector-mismatch": ("matmul", operands((2, 3), (2,))),
    "matmul-vector-matrix-mismatch": ("matmul", operands((3,), (2, 3))),
    "matmul-batch-mismatch": ("matmul", operands((2, 3, 2), (4, 2, 2))),
    "matmul-scalar-first": ("matmul", operands((), (3,))),
    "matmul-scalar-second": ("matmul", operands((3,), ())),
    "matmul-zero-size-mismatch": ("matmul", operands((2, 0), (3, 1))),
    "matmul-zero-against-one": ("matmul", operands((0,), (1,))),
    "matmul-zero-batch-mismatch": ("matmul", operands((0, 2, 2), (3, 2, 2))),
    "matmul-strings": ("matmul", operands((1, 2), (2, 1), of="U1")),
    "matmul-datetimes": ("matmul", operands((2, 2), (2, 2), of="M8[s]")),
    "matmul-bytes": ("matmul", operands((2, 2), (2, 2), of="S2")),
    "matmul-records": ("matmul", operands((2, 2), (2, 2), of="i4,i4")),
    "matmul-timedeltas": ("matmul", operands((2, 2), (2, 2), of="m8[s]")),
    "matmul-dtype-unsafe": ("matmul", operands((2, 2), (2, 2), dtype=np.int16)),
    "matmul-dtype-unsafe-int": ("matmul", operands((2, 2), (2, 2), of="int64", dtype=np.uint8)),
    "matmul-out-unsafe-cast": ("matmul", with_out((3, 4), (4, 2), full((3, 2), "int32"))),
    "matmul-out-wrong-shape": ("matmul", with_out((3, 4), (4, 2), full((2, 3)))),
    "matmul-out-too-few-dims": ("matmul", with_out((2, 3, 4), (4, 2), full((3, 2)))),
    "matmul-out-list": ("matmul", lambda _: ((ones(2, 2), ones(2, 2)), {"out": [[0.0] * 2] * 2})),
    # vdot
    "vdot-strings": ("vdot", operands((2,), (2,), of="U1")),
    "vdot-size-mismatch": ("vdot", operands((3,), (4,))),
    "vdot-nd-size-mismatch": ("vdot", operands((2, 2), (3,))),
    "vdot-zero-against-one": ("vdot", operands((0,), (1,))),
    # inner
    "inner-mismatch": ("inner", operands((2, 3), (4,))),
    "inner-nd-mismatch": ("inner", operands((2, 3), (3, 2))),
    "inner-zero-against-one": ("inner", operands((0,), (1,))),
    "inner-zero-size-mismatch": ("inner", operands((2, 0), (3,))),
    # outer
    "outer-out-wrong-shape": ("outer", with_out((2,), (3,), full((3, 2)))),
    "outer-out-unsafe-cast": ("outer", with_out((2,), (3,), full((2, 3), "int64"))),
    "outer-strings": ("outer", operands((2,), (2,), of="U1")),
    "outer-out-list": ("outer", lambda _: ((ones(2), ones(2)), {"out": [[0.0] * 2] * 2})),
    # tensordot
    "tensordot-axes-mismatch": ("tensordot", operands((2, 3), (2, 3), axes=([0, 1], [1, 0]))),
    "tensordot-axes-counts": ("tensordot", operands((2, 3), (3, 4), axes=([0, 1], [0]))),
    "tensordot-axis-out-of-range": ("tensordot", operands((2, 3), (3, 4), axes=([5], [0]))),
    "tensordot-too-many-axes": ("tensordot", operands((2, 3), (3, 4), axes=3)),
    "tensordot-default-axes-mismatch": ("tensordot", operands((2, 3), (3, 2))),
    "tensordot-zero-size-mismatch": ("tensordot", operands((2, 0), (3, 4), axes=1)),
    "tensordot-axes-not-integers": ("tensordot", operands((2, 3), (3, 4), axes="a")),
    # vecdot
    "vecdot-mismatch": ("vecdot", operands((3,), (4,))),
    "vecdot-scalar": ("vecdot", operands((3,), ())),
    "vecdot-axis-out-of-range": ("vecdot", operands((3, 2), (3, 2), axis=2)),
    "vecdot-batch-mismatch": ("vecdot", operands((2, 3), (4, 3))),
    "vecdot-zero-against-one": ("vecdot", operands((0,), (1,))),
    "vecdot-dtype-unsafe": ("vecdot", operands((3,), (3,), dtype=np.int8)),
    "vecdot-strings": ("vecdot", operands((2,), (2,), of="U1")),
    "vecdot-datetimes": ("vecdot", operands((2,), (2,), of="M8[s]")),
    "vecdot-timedeltas": ("vecdot", operands((2,), (2,), of="m8[s]")),
    "vecdot-out-wrong-shape": ("vecdot", with_out((2, 3), (2, 3), full((3,)))),
    "vecdot-out-unsafe-cast": ("vecdot", with_out((2, 3), (2, 3), full((2,), "int64"))),
    # matvec
    "matvec-mismatch": ("matvec", operands((2, 3), (4,))),
    "matvec-vector-first": ("matvec", operands((3,), (3,))),
    "matvec-zero-size-mismatch": ("matvec", operands((2, 0), (1,))),
    "matvec-batch-mismatch": ("matvec", operands((2, 2, 3), (3, 3))),
    "matvec-timedeltas": ("matvec", operands((2, 2), (2,), of="m8[s]")),
    "matvec-out-wrong-shape": ("matvec", with_out((2, 3), (3,), full((3,)))),
    "matvec-out-unsafe-cast": ("matvec", with_out((2, 3), (3,), full((2,), "int64"))),
    # vecmat
    "vecmat-mismatch": ("vecmat", operands((3,), (4, 2))),
    "vecmat-matrix-second-missing": ("vecmat", operands((3,), (3,))),
    "vecmat-zero-size-mismatch": ("vecmat", operands((0,), (1, 2))),
    "vecmat-out-wrong-shape": ("vecmat", with_out((3,), (3, 2), full((3,)))),
    # multi_dot
    "multi_dot-one-array": ("linalg.multi_dot", chain((2, 2))),
    "multi_dot-no-arrays": ("linalg.multi_dot", chain()),
    "multi_dot-inner-3d": ("linalg.multi_dot", chain((2, 2), (2, 2, 2), (2, 2))),
    "multi_dot-first-3d": ("linalg.multi_dot", chain((2, 2, 2), (2, 2), (2, 2))),
    "multi_dot-mismatch": ("linalg.multi_dot", chain((2, 3), (4, 2), (2, 2))),
    "multi_dot-two-mismatch": ("linalg.multi_dot", chain((2, 3), (4, 2))),
    "multi_dot-out-wrong-dtype": (
        "linalg.multi_dot",
        chain((2, 3), (3, 2), (2, 2), out=full((2, 2), "float32")),
    ),
    "multi_dot-out-wrong-shape": (
        "linalg.multi_dot",
        chain((2, 3), (3, 2), (2, 2), out=full((2, 3))),
    ),
}

#: Cases whose ``out=`` has a memory layout to check: none on backends without layouts.
LAYOUT_CASES = {"dot-out-fortran", "dot-out-strided"}


def resolve(module: Any, name: str) -> Callable[..., Any]:
    """``module.name``, e.g. ``linalg.multi_dot``; skip where this NumPy has no such function."""
    for part in name.split("."):
        module = getattr(module, part, None)
        if module is None:
            pytest.skip(f"NumPy {np.__version__} has no {name}")
    return module


@pytest.mark.parametrize("case", CASES)
def test_bad_input_raises_numpys_error_with_numpys_words(backend, case):
    _check_refused(backend, case, *CASES[case])


#: The cases whose ``out=`` NumPy also takes as the third positional argument.
POSITIONAL_OUT = [
    case
    for case, (product, build) in CASES.items()
    if "out" in build(lambda x: x)[1] and product != "linalg.multi_dot"  # its out= is by name
]


@pytest.mark.parametrize("case", POSITIONAL_OUT)
def test_out_passed_by_position_is_refused_as_by_name(backend, case):
    product, build = CASES[case]

    def positional(as_out):
        args, kwargs = build(as_out)
        return (*args, kwargs.pop("out")), kwargs

    _check_refused(backend, case, product, positional)


def _check_refused(backend, case: str, product: str, build: Build) -> None:
    """NumPy refuses ``build``'s call of ``product``; gpudot raises NumPy's class and words, and
    leaves the inputs and ``out`` as they were."""
    numpy_func = resolve(np, product)
    if case in LAYOUT_CASES and not backend.memory_layout:
        pytest.skip(f"{backend.name} arrays have no memory layout: none is C- or F-ordered")
    args, kwargs = build(backend.from_host)
    inputs_before = [np.copy(np.asarray(x)) for x in _arrays(args)]
    out = kwargs.get("out", args[2] if len(args) == 3 else None)
    out_before = backend.to_numpy(out).copy() if backend.owns(out) else None
    assert_raises_like_numpy(
        lambda: numpy_func(*build(lambda x: x)[0], **build(lambda x: x)[1]),
        lambda: resolve(gpudot, product)(*args, **kwargs),
    )
    for before, after in zip(inputs_before, _arrays(args), strict=True):
        np.testing.assert_array_equal(np.asarray(after), before)
    if out_before is not None:
        np.testing.assert_array_equal(backend.to_numpy(out), out_before)


def _arrays(args: tuple[Any, ...]) -> list[np.ndarray]:
    """The host operands among ``args`` (multi_dot's list flattened)."""
    flat = [item for x in args for item in (x if isinstance(x, list) else [x])]
    return [x for x in flat if isinstance(x, np.ndarray)]


#: Inputs beside the refused ones that NumPy accepts (zero-size contractions above all): gpudot
#: must compute them as NumPy does, not refuse them.
ACCEPTED: dict[str, tuple[str, Build]] = {
    "dot-zero-contraction": ("dot", operands((2, 0), (0, 3))),
    "dot-zero-vectors": ("dot", operands((0,), (0,))),
    "dot-zero-rows": ("dot", operands((0, 3), (3, 2))),
    "dot-scalar": ("dot", operands((), (2, 3))),
    "matmul-zero-contraction": ("matmul", operands((2, 0), (0, 3))),
    "matmul-zero-vectors": ("matmul", operands((0,), (0,))),
    "matmul-zero-batch": ("matmul", operands((0, 2, 2), (1, 2, 2))),
    "matmul-batch-broadcast-one": ("matmul", operands((3, 2, 2), (1, 2, 2))),
    "matmul-dtype-same-kind": ("matmul", operands((2, 2), (2, 2), dtype=np.float32)),
    "vdot-zero": ("vdot", operands((0,), (0, 0))),
    "vdot-reshaped": ("vdot", operands((2, 3), (3, 2))),
    "inner-zero-contraction": ("inner", operands((2, 0), (3, 0))),
    "outer-zero": ("outer", operands((0,), (3,))),
    "tensordot-zero-axes": ("tensordot", operands((2, 3), (3, 4), axes=0)),
    "tensordot-zero-size": ("tensordot", operands((2, 0), (0, 4), axes=1)),
    "vecdot-zero": ("vecdot", operands((2, 0), (2, 0))),
    "matvec-zero-contraction": ("matvec", operands((2, 0), (0,))),
    "vecmat-zero-contraction": ("vecmat", operands((0,), (0, 2))),
    "multi_dot-zero-inner": ("linalg.multi_dot", chain((2, 0), (0, 3), (3, 2))),
}


@pytest.mark.parametrize("case", ACCEPTED)
def test_input_numpy_accepts_is_computed(backend, case):
    product, build = ACCEPTED[case]
    args, kwargs = build(backend.from_host)
    expected = resolve(np, product)(*args, **kwargs)
    result = resolve(gpudot, product)(*args, **kwargs)
    assert_matches_numpy(result, expected, backend)  # sums of ones: exact on every backend
