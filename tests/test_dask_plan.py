"""Parts of the Dask backend that need no Dask: the chunk planner, and life without Dask."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from gpudot.backends import DaskBackend
from gpudot.backends.dask._chunks import MIN_TILE, Footprint, fill, layout_of, plan_blocks


def test_import_gpudot_does_not_import_dask():
    code = "import gpudot, sys; print(any(m.split('.')[0] == 'dask' for m in sys.modules))"
    assert (
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.strip()
        == "False"
    )


def test_without_dask_the_backend_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.array", None)  # makes the import raise ImportError
    reason = DaskBackend().unavailable_reason()
    assert reason is not None and 'pip install "gpudot[dask]"' in reason
    assert DaskBackend().locate(np.ones(2)) is None


FOOTPRINTS = [Footprint(8, 8, 8), Footprint(1, 1, 1), Footprint(4, 4, 4), Footprint(3, 3, 4)]


@pytest.mark.parametrize("footprint", FOOTPRINTS, ids=repr)
@pytest.mark.parametrize("budget", [10_000, 1_000_000, 2**27])
@pytest.mark.parametrize(
    "sizes",
    [
        (1, 4096, 4096, 4096),
        (7, 100, 20, 300),
        (1, 50_000, 8, 50_000),
        (1, 8, 100_000, 8),
        (1000, 16, 16, 16),
    ],
)
def test_plan_fits_the_budget_and_keeps_k_whole_when_tiles_stay_wide(sizes, budget, footprint):
    batch, rows, inner, cols = sizes
    plan = plan_blocks(batch, rows, inner, cols, footprint, budget)
    assert 1 <= plan.batch <= batch and 1 <= plan.rows <= rows
    assert 1 <= plan.inner <= inner and 1 <= plan.cols <= cols
    split = plan.inner < inner
    assert footprint.task_bytes(plan.batch, plan.rows, plan.inner, plan.cols, split) <= budget
    whole_k_tile = footprint.task_bytes(1, min(rows, MIN_TILE), inner, min(cols, MIN_TILE), False)
    if whole_k_tile <= budget:
        assert not split, "the contracted axis is kept whole while tiles can be MIN_TILE wide"


def test_fill_chunks_inner_axes_first():
    assert fill([4, 5, 6], 2) == (2, 1, 1)
    assert fill([4, 5, 6], 39) == (4, 5, 1)
    assert fill([4, 5, 6], 40) == (4, 5, 2)
    assert fill([4, 5, 6], 1000) == (4, 5, 6)


def test_layout_gives_broadcast_axes_their_own_index():
    layout = layout_of("matmul", (3, 1, 6, 40), (5, 40, 4))
    assert layout.out == ("batch0", "batch1", "m", "n")
    assert layout.left == ("batch0", "x1_1", "m", "k") and layout.right == ("batch1", "k", "n")
    assert layout.sizes["x1_1"] == 1 and layout.sizes["batch0"] == 3


def test_plan_evens_out_chunk_lengths():
    layout = layout_of("matmul", (1000, 10), (10, 1000))
    sides = layout.plan(Footprint(8, 8, 8), budget=400 * 400 * 8 + 2 * 400 * 10 * 8)
    assert sides == {"m": 334, "k": 10, "n": 334}
