"""Every measured constant of gpudot's cost rules, in one place, with where it was measured.

Machines: **machine A** is the reference for the CPU figures: a 2 vCPU AMD EPYC (Zen 4,
AVX-512) KVM guest, numpy 2.4.6 with its bundled OpenBLAS (SkylakeX kernel), numba 0.68; each
section below names the machine it was measured on and the command that re-measures it, and
docs/fast-paths.md describes the fit. The GPU figures of the default profile are documented
assumptions for a data-centre GPU on PCIe 4, **not measurements**: no GPU run has fitted them yet
(docs/gpus.md, "What only a real GPU run can confirm").

Re-measure with:

- ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 python
  benchmarks/exact_routes.py``: the exact routes' costs (``*_NS``) and thresholds (``*_MIN_*``):
  time each route alone and choose the constants with which the rule picks the fastest route.
- ``python -m gpudot calibrate``: the profile of this machine (BLAS FLOP/s, gpudot's routed
  dtypes against the rule, GPU FLOP/s, copy bandwidths, call and launch costs), stored as JSON;
  it replaces the ``DEFAULT_*`` figures below for ``"auto"``.

Modules that use a constant import it by name (``from gpudot._tuning import MIN_WORK``); a test
that changes one patches the module that reads it.
"""

from __future__ import annotations

import numpy as np

# --- The exact routes' cost rule (gpudot/backends/numpy/_exact/_cost_rule.py) ---------------------
# Nanoseconds on machine A, 1 BLAS thread, re-measured 2026-12-02 by timing every route alone on
# 120 shapes and dtypes (`benchmarks/exact_routes.py`); fitted so that the rule's pick is closest
# to the fastest route (relative costs matter more than absolute ones).

#: Products with fewer multiply-adds than this stay in NumPy's loop (no route is considered).
MIN_WORK = 32_768
#: Integer and bool stacks of matrices smaller than this (M*N*K) stay in NumPy's loop: its
#: per-matrix cost is lower than a float gemm call's on small matrices.
MATRIX_MIN_WORK = 65_536
#: Fixed cost of a route (Python calls, temporaries), in ns.
ROUTE_FIXED_NS = 5_000.0
#: Cost of one elementwise conversion pass, ns per element (measured 0.1 in cache to 0.6 from
#: memory for int8 to int64 casts to and from float).
PASS_NS = 0.3
#: Python and ufunc calls around each float64 gemm of the limb route (digits, casts, shift, add).
LIMB_STEP_NS = 15_000.0
#: ns per multiply-add of NumPy's own integer loop, by width in bytes (np.matmul, 512^2).
NUMPY_LOOP_NS = {1: 0.63, 2: 1.09, 4: 1.35, 8: 2.45}
#: ns per multiply-add of einsum for integers, by width in bytes.
EINSUM_NS = {1: 0.052, 2: 0.057, 4: 0.13, 8: 0.5}
#: ns per multiply-add of a float32 / float64 gemm (fitted values: faster than one thread's
#: peak, 0.017 ns for float32 on machine A, because the fit weighs route choices, not times).
GEMM_NS = {np.dtype(np.float32): 0.011, np.dtype(np.float64): 0.022}
#: Reading max|x| off an operand (`gpudot.backends.numpy._exact._integer.magnitude`, a min and a max
#: pass): ns per operand and per byte read.
MAGNITUDE_FIXED_NS = 3_500.0
MAGNITUDE_BYTE_NS = 0.05
#: ns per matrix of a stack (loop set-up): NumPy's loop, einsum, one gemm.
NUMPY_MATRIX_NS = 300.0
EINSUM_MATRIX_NS = 600.0
GEMM_MATRIX_NS = 80.0
#: Bool products below this many multiply-adds stay with NumPy without looking at the data:
#: counting the operands' densities costs several microseconds, more than NumPy's early-exit loop
#: takes on small dense inputs (64 x 64: about 5 us), so deciding would make those slower.
BOOL_MIN_WORK = 1 << 22
#: ns per step of NumPy's bool loop (it stops at the first k where both factors are True).
NUMPY_BOOL_STEP_NS = 0.3
#: About how many entries of a bool operand `gpudot.backends.numpy._exact._bool.density` reads.
DENSITY_SAMPLE = 4096
#: Contiguous runs it reads them in from a C-contiguous operand (counted at memory speed: 2.9 us
#: per operand against 3-8 us for an even grid over (64, 1024-16384), machine A, 2026-12-07).
DENSITY_RUNS = 16

# The numba integer kernels (gpudot/backends/numpy/_kernels/_integer.py). Measured 2026-12-07 on
# machine A, quiet (load average 0.2), numba's 2 threads: min of 7 calls of
# `_integer.compiled_matmul` alone on full-range operands (512^3 for the tiles; 512x512x7 and
# 5x512x512 for the edges). End to end: `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python
# benchmarks/exact_routes.py --sizes 256 512 --dtypes int8 int16 int32 int64` and `python
# benchmarks/integer_torch.py`.

#: ns per multiply-add of the kernels' register tiles, by width in bytes (256^3: about 1.2-1.5x).
SIMD_NS = {1: 0.0067, 2: 0.0065, 4: 0.0128, 8: 0.0263}
#: ns per multiply-add of the rows and columns the tiles leave (the plain loop): 0.6 on a
#: 7-column output, 0.03-0.27 on a 5-row one; set so that matrix-vector shapes keep einsum.
SIMD_EDGE_NS = {1: 0.3, 2: 0.4, 4: 0.5, 8: 0.6}
#: ns per matrix of a stack (task set-up), and per call (dispatch, packing set-up); not fitted.
SIMD_MATRIX_NS = 300.0
SIMD_FIXED_NS = 10_000.0
#: Multiply-adds from which the integer kernels run on all cores (below: on the calling thread);
#: a design choice like `PARALLEL_MIN_WORK`, not fitted.
INTEGER_PARALLEL_MIN_WORK = 4_000_000
# The dot-product (VNNI) kernels (gpudot/backends/numpy/_kernels/_vnni.py). Measured 2026-12-08 on a
# 2 vCPU Intel Xeon (Emerald Rapids, AVX512-VNNI, AVX-VNNI) KVM guest shared with other work (load
# 2-4): min of 15 calls of the kernel alone on full-range int8, one thread 0.36 ms at 512^3 and
# 3.1-3.2 ms at 1024^3, two threads 0.21-0.26 and 1.7-2.0 ms. Re-measure end to end: `env -u
# OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/exact_routes.py --sizes 512 1024
# --dtypes int8 int8:int32 int16 uint8` and `python benchmarks/integer_torch.py`.

#: ns per multiply-add of the padded product (whole register tiles, k rounded up to groups of 4
#: bytes or 2 int16), by operand width in bytes: about one thread's speed (0.0027 measured for
#: bytes, int16 twice that), so that products run serially are not underestimated.
VNNI_NS = {1: 0.003, 2: 0.006}
#: Fixed cost of a call (dispatch, packing set-up, the result array); not fitted.
VNNI_FIXED_NS = 10_000.0
#: Multiply-adds from which the dot-product kernels run on all cores; a design choice.
VNNI_PARALLEL_MIN_WORK = 8_000_000
#: Largest scratch buffer (packed panels, padded copies) a thread keeps for the next call
#: (`gpudot.backends.numpy._exact._workspace`); larger temporaries are allocated afresh. A design
#: choice: the panels of a 4096^2 int32 operand (64 MiB) stay, bigger ones go.
WORKSPACE_MAX_BYTES = 64 << 20

# float16 / bfloat16 routes (gpudot/backends/numpy/_exact/_half_precision.py). Measured 2026-12-07
# on a 2 vCPU AMD EPYC (Zen 4 family, AVX-512) KVM guest like machine A, numba's default 2 threads:
# min of 5 runs of each route function alone on random normal square operands, 64^2 to 512^2. End to
# end against NumPy: `python benchmarks/exact_routes.py --dtypes float16 bfloat16`.

#: ns per multiply-add of NumPy's own loop: float16 `matmul` (3.3-3.9 at 64^2-512^2) and
#: ml_dtypes' bfloat16 `dot` (2.2 at 512^2).
HALF_NUMPY_NS = {"float16": 3.85, "bfloat16": 2.2}
#: The numba kernel (`gpudot.backends.numpy._kernels._half`), measured 2026-12-07 on machine A, 1
#: thread (serial kernel), min of 30 calls of `ordered_compiled` on random normal operands: ns per
#: multiply-add of the padded product (M and N rounded up to whole `HALF_TILE` micro-tiles; 0.020
#: at 512^2, 0.027 at 256^2, 0.033 at 128^2 and 2048^2 x vector), ns per operand element packed
#: (widened to float32, inf/NaN counted: 0.75 from a 1 x 2048 @ 2048^2 product), and the fixed
#: cost of a call (32^3: 17 us, of which the arithmetic is under 1 us). The parallel kernel
#: (from `PARALLEL_MIN_WORK`) is cheaper still on 2 free cores; the rule costs it as the serial
#: one, which already beats NumPy's loop 6x at `MIN_WORK`.
HALF_COMPILED_NS = 0.025
HALF_PACK_NS = 0.75
HALF_COMPILED_FIXED_NS = 15_000.0
#: The pure-array ordered route: ns per multiply-add, and per k step of each row block (two ufunc
#: calls).
HALF_RANK1_NS = 0.36
HALF_RANK1_STEP_NS = 2_000.0
#: ns per operand element of the pure-array route's inf/NaN check (`isfinite` on float16 is
#: slow: 1.4 ns; the numba kernel counts them while packing).
FINITE_NS = 1.4
#: The pure-array float16 route pays per k step; it needs at least this many outputs per step.
ORDERED_MIN_OUTPUTS = 1_024
#: Elements of an accumulator block in the pure-array route (64K float32 = 256 KiB: stays in L2).
BLOCK_ELEMENTS = 65_536
#: Multiply-adds from which the compiled kernel runs on all cores (below: on the calling thread;
#: machine A, 2026-12-07: serial 40 us vs parallel 44 us at 96^3, 79 vs 68 us at 128^3).
PARALLEL_MIN_WORK = 2_000_000

# Matrix·vector and vector·matrix kernels (gpudot/backends/numpy/_kernels/_matvec.py). Measured
# 2026-12-07 on machine A's kind of guest (2 vCPU AMD EPYC Zen 4, KVM, shared), one thread: min of 5
# timings of each kernel on full-range (n, n) @ (n,), n = 64 to 4096, beside np.matmul. Re-measure
# end to end: `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/run.py --backends
# numpy --cases matrix-vector --dtypes int8 int16 int32 int64 uint8 uint64 float16 bool`.

#: Products with a 1-D operand and fewer multiply-adds than this stay in NumPy's loop (at 64 x 64
#: the route's fixed cost still loses to NumPy's 3-4 us; from 128 x 128 it wins).
MATVEC_MIN_WORK = 16_384
#: Fixed cost of the route through the compiled kernel (decision, numba dispatch, result), in ns:
#: gpudot's (64, 64) @ (64,) took about 6 us end to end, of which the kernel 0.4.
MATVEC_FIXED_NS = 5_000.0
#: ns per multiply-add of the kernel: integers by width in bytes (n = 1024; at 4096 the matrix
#: streams from memory: 0.02, 0.05, 0.15, 0.4), float16 (the table lookup is scalar).
MATVEC_NS = {1: 0.02, 2: 0.025, 4: 0.055, 8: 0.11, "float16": 0.6}
#: ns per multiply-add of NumPy's own loop on a matrix·vector product (n = 256 to 1024: integers
#: 0.45-0.65 whatever the width, float16 3.9).
NUMPY_MATVEC_NS = {"integer": 0.45, "float16": 3.9}

# --- The default machine profile for "auto" (gpudot/backends/_cost_model.py) ----------------------
# Used where `python -m gpudot calibrate` has stored no profile. CPU: NumPy's OpenBLAS on a small
# multi-core CPU (machine A, 2 threads: 192 GFLOP/s float32 and 93 float64 at 512^2; re-measure
# with `python -m gpudot calibrate`).
# The dtypes gpudot routes (integers, bool, float16) take the exact routes' cost rule above, not
# a throughput. GPU: assumed, not measured (see the module docstring).

#: NumPy's BLAS throughput in FLOP/s (a complex multiply-add counts 8).
DEFAULT_CPU_FLOPS = {
    "float32": 200e9,
    "complex64": 200e9,
    "float64": 100e9,
    "complex128": 100e9,
}
#: GPU throughput in FLOP/s: float64 10 TFLOP/s without tensor cores, float32 and float16 15,
#: integers and bool 1 (CuPy's integer matmul is a custom kernel, not cuBLAS).
DEFAULT_GPU_FLOPS = {
    "float32": 15e12,
    "complex64": 15e12,
    "float64": 10e12,
    "complex128": 10e12,
    "float16": 15e12,
    "bool": 1e12,
    **{
        name: 1e12
        for name in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
    },
}
#: Host-to-device and device-to-host bandwidth, bytes/s (PCIe 4, pinned or not: assumed).
DEFAULT_H2D = 12e9
DEFAULT_D2H = 12e9
#: Seconds per call: gpudot's NumPy backend dispatch (machine A: about 1 us at 2x2), and a GPU
#: launch including synchronisation (assumed).
DEFAULT_CPU_CALL = 2e-6
DEFAULT_GPU_LAUNCH = 30e-6

# --- What `python -m gpudot calibrate` times (gpudot/_dispatch/calibration.py) --------------------

#: (dtype, square size) timed on the CPU through gpudot's NumPy backend: large enough to reach
#: steady throughput (and, for bool, `BOOL_MIN_WORK`), small enough to take well under a second.
CPU_SIZES = {
    "float32": 512,
    "float64": 512,
    "complex64": 256,
    "complex128": 256,
    "float16": 256,
    "int8": 128,
    "int16": 128,
    "int32": 128,
    "int64": 128,
    "bool": 256,
}
#: Square size of the GEMMs timed on the GPU, and bytes of each timed copy.
GPU_SIZE = 2048
TRANSFER_BYTES = 64 << 20

# --- Tiles -------------------------------------------------------------------------------------
# Design choices with stated reasons, not fitted figures.

#: Rows and columns of the float16/bfloat16 kernel's register micro-tile
#: (`gpudot.backends.numpy._kernels._half_tiles`): 8 x 48 float32 sums = 24 of AVX-512's 32 vector
#: registers, 3 more for a row of B; 8 x 48, 6 x 64 and 12 x 32 all reached 116 GFLOP/s per core in
#: L1.
HALF_TILE = (8, 48)

#: Fraction of the device's free memory a tile may plan to use under the "tile" OOM policy
#: (cuBLAS workspace, copies of non-contiguous blocks and float16 batches widened to float32 need
#: the rest; gpudot/backends/cupy/_out_of_memory.py). To be confirmed on a real GPU.
TILE_BUDGET = 0.4
#: The numba integer kernel's register tile (`gpudot.backends.numpy._kernels._integer`): output
#: rows, and vector registers of `VECTOR_BYTES` per row. 6 x 4 accumulators, 4 panel vectors and one
#: broadcast use 29 of AVX-512's 32 registers.
INTEGER_TILE = (6, 4)
#: Bytes of one SIMD register (AVX-512).
VECTOR_BYTES = 64
#: Narrowest Dask output tile for which the contracted axis is still kept whole
#: (gpudot/backends/dask/_chunks.py).
MIN_TILE = 256
#: The dot-product (VNNI) kernel's register tile (`gpudot.backends.numpy._kernels._vnni`), by vector
#: width in bits: output rows, and accumulator vectors per row. 512: 6 x 4 accumulators, 4 panel
#: vectors and one broadcast use 29 of AVX-512's 32 registers; 256 (AVX-VNNI, 16 registers):
#: 4 x 3 accumulators, 3 panel vectors and one broadcast.
VNNI_TILE = {512: (6, 4), 256: (4, 3)}
