"""gpudot's conformance suite, shipped with the package so any installation can be checked.

Run it against every registered backend, or one::

    python -m pytest --pyargs gpudot.testing
    python -m pytest --pyargs gpudot.testing --gpudot-backend=cuda

NumPy is the oracle: results must match `numpy.dot` / `numpy.matmul` in dtype, shape and kind
(scalar or array); values as the backend declares them (`Backend.exactness`): integers and bools
exactly everywhere, floats bit for bit where declared (every dtype on the NumPy backend) and within
a bound scaled by ``K * eps * (|a| @ |b|)`` elsewhere. A backend that cannot run here is
skipped with its own reason.
"""

from gpudot.testing._oracle import assert_matches_numpy, assert_raises_like_numpy

__all__ = ["assert_matches_numpy", "assert_raises_like_numpy"]
