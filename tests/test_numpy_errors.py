"""NumPy's exceptions with gpudot's explanation: what the conformance table cannot see."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import gpudot

FAILING = {
    "shape": lambda: gpudot.matmul(np.ones((3, 2)), np.ones((3, 4))),
    "ufunc-cast": lambda: gpudot.matmul(
        np.ones((2, 2)), np.ones((2, 2)), out=np.zeros((2, 2), np.int32)
    ),
    "axis": lambda: gpudot.vecdot(np.ones(2), np.ones(2), axis=3),
    "no-loop": lambda: gpudot.matmul(np.ones(2, "U1"), np.ones(2, "U1")),
}


@pytest.mark.parametrize("case", FAILING)
def test_explained_errors_pickle_as_numpys_class_with_the_same_message(case):
    """A process pool sends a worker's exception back pickled: class and words must survive."""
    with pytest.raises(Exception) as raised:
        FAILING[case]()
    loaded = pickle.loads(pickle.dumps(raised.value))
    assert type(loaded).__mro__[1:] == type(raised.value).__mro__[1:]
    assert str(loaded) == str(raised.value)


def test_dask_operand_of_unknown_shape_keeps_gpudots_error():
    """NumPy cannot be asked about a shape with NaNs: gpudot's own message, nothing computed."""
    da = pytest.importorskip("dask.array")
    x = da.ones(6, chunks=3)
    unknown = x[x > 0]
    with gpudot.use_backend("dask"), pytest.raises(ValueError, match="chunk"):
        gpudot.matmul(unknown, np.ones(6))


@pytest.mark.parametrize(
    ("dtype", "numpy_refuses"),
    [("i4,i4", True), ("U1", True), ("m8[s]", True), ("float16", False)],
)
def test_a_dtype_the_backend_lacks_gets_numpys_words_where_numpy_refuses_it(dtype, numpy_refuses):
    """A backend that cannot hold a dtype refuses it while converting; where NumPy refuses it
    too (records, strings, timedeltas in matmul), the error is NumPy's, gpudot's words after."""
    from gpudot._api.numpy_errors import raise_like_numpy
    from gpudot._errors import UnsupportedDtypeError

    x = np.zeros((2, 2), dtype)
    ours = UnsupportedDtypeError(f"{x.dtype} arrays cannot be moved to the backend")
    if not numpy_refuses:
        assert raise_like_numpy(ours, np.matmul, x, x) is None  # the caller re-raises ours
        return
    with pytest.raises(TypeError) as numpy_error:
        np.matmul(x, x)
    with pytest.raises(type(numpy_error.value)) as raised:
        raise_like_numpy(ours, np.matmul, x, x)
    assert str(raised.value).startswith(str(numpy_error.value))
    assert str(ours) in str(raised.value)
