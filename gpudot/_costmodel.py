"""The cost model behind ``"auto"``: predicted seconds for one product on the CPU and on a GPU.

Pure functions of a `Profile` (throughputs and bandwidths) and the product's size, so the routing
decision is unit-tested with synthetic profiles and never touches a device. The model:

- CPU time = per-call overhead + flops / CPU throughput of the dtype.
- GPU time = launch cost + flops / GPU throughput of the dtype + bytes of host operands / H2D
  bandwidth + bytes of the result / D2H bandwidth when the result must come back to the host.

NumPy multiplies integers, bools and float16 without BLAS (hundreds of times slower than float32),
so their CPU throughput is low and they favour the GPU at much smaller sizes. ``flops`` counts a
multiply-add as 2 and a complex multiply-add as 8.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

__all__ = ["DEFAULT_PROFILE", "Estimate", "Profile", "estimate", "product_flops"]

Device = Literal["cpu", "gpu"]


def _dtype_table(floats: float, doubles: float, ints: float, half: float) -> dict[str, float]:
    return {
        "float32": floats,
        "complex64": floats,
        "float64": doubles,
        "complex128": doubles,
        "float16": half,
        "bool": ints,
        **{
            name: ints
            for name in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
        },
    }


@dataclass(frozen=True)
class Profile:
    """Throughputs and bandwidths of one machine, as measured by ``python -m gpudot calibrate``.

    Parameters
    ----------
    cpu_flops, gpu_flops : mapping of dtype name to float
        Sustained product throughput in FLOP/s per dtype (a dtype missing on the GPU side is
        never routed there).
    h2d, d2h : float
        Host-to-device and device-to-host copy bandwidth in bytes/s.
    cpu_call, gpu_launch : float
        Fixed seconds per call: NumPy's dispatch, and CuPy's launch and synchronisation.
    source : str
        Where the figures come from (``"default"`` or the calibration file and date).
    """

    cpu_flops: Mapping[str, float]
    gpu_flops: Mapping[str, float]
    h2d: float
    d2h: float
    cpu_call: float
    gpu_launch: float
    source: str = "default"

    def to_dict(self) -> dict[str, object]:
        """The profile as JSON-ready data (see `from_dict`)."""
        return {
            "cpu_flops": dict(self.cpu_flops),
            "gpu_flops": dict(self.gpu_flops),
            "h2d": self.h2d,
            "d2h": self.d2h,
            "cpu_call": self.cpu_call,
            "gpu_launch": self.gpu_launch,
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object], source: str | None = None) -> Profile:
        """Build a profile from `to_dict` data; ``ValueError`` names a missing or bad field."""
        try:
            cpu = {str(k): float(v) for k, v in dict(data["cpu_flops"]).items()}  # type: ignore[call-overload]
            gpu = {str(k): float(v) for k, v in dict(data["gpu_flops"]).items()}  # type: ignore[call-overload]
            scalars = {key: float(data[key]) for key in ("h2d", "d2h", "cpu_call", "gpu_launch")}  # type: ignore[arg-type]
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"invalid gpudot profile: bad or missing field {error}") from None
        if any(
            value <= 0 for value in (*cpu.values(), *gpu.values(), scalars["h2d"], scalars["d2h"])
        ):
            raise ValueError("invalid gpudot profile: throughputs and bandwidths must be positive")
        return cls(cpu, gpu, source=source or str(data.get("source", "file")), **scalars)


#: Documented defaults, used where no calibration profile exists: a small multi-core CPU with
#: NumPy's bundled OpenBLAS (about 100 GFLOP/s float64, 200 float32; integers and float16 without
#: BLAS at 1-3 GOP/s, see docs/gpus.md) and a data-centre GPU on PCIe 4 (float64 10 TFLOP/s without
#: tensor cores, float32 15, 12 GB/s each way, 30 us per launch including synchronisation).
DEFAULT_PROFILE = Profile(
    cpu_flops=_dtype_table(floats=200e9, doubles=100e9, ints=2e9, half=1e9),
    gpu_flops=_dtype_table(floats=15e12, doubles=10e12, ints=1e12, half=15e12),
    h2d=12e9,
    d2h=12e9,
    cpu_call=2e-6,
    gpu_launch=30e-6,
)


def product_flops(m: int, n: int, k: int, batch: int, dtype: np.dtype) -> float:
    """Floating-point operations of a ``batch`` of (m, k) @ (k, n) products (complex counts 4x)."""
    return 2.0 * batch * m * n * k * (4 if dtype.kind == "c" else 1)


@dataclass(frozen=True)
class Estimate:
    """Predicted seconds on each side, the chosen device and the reason, for one product."""

    cpu: float
    gpu: float
    device: Device
    reason: str = field(compare=False)


def estimate(
    profile: Profile,
    dtype: np.dtype,
    m: int,
    n: int,
    k: int,
    batch: int = 1,
    *,
    host_bytes: int,
    result_bytes: int,
    on_gpu: bool = False,
) -> Estimate:
    """Predict a product's time on the CPU and the GPU and choose the faster one.

    Parameters
    ----------
    profile : Profile
        Machine figures.
    dtype : numpy.dtype
        Compute dtype of the product.
    m, n, k, batch : int
        Output rows, output columns, contracted length and number of stacked products.
    host_bytes : int
        Bytes of operands that live on the host (copied to the GPU if it is chosen).
    result_bytes : int
        Bytes of the result (copied back to the host if the GPU is chosen for host operands).
    on_gpu : bool
        Every operand already lives on the GPU: it stays there, whatever the model says.

    Returns
    -------
    Estimate
    """
    flops = product_flops(m, n, k, batch, dtype)
    cpu_rate = profile.cpu_flops.get(dtype.name)
    gpu_rate = profile.gpu_flops.get(dtype.name)
    cpu = profile.cpu_call + flops / cpu_rate if cpu_rate else float("inf")
    gpu = float("inf")
    if gpu_rate:
        copies = host_bytes / profile.h2d + (0 if on_gpu else result_bytes / profile.d2h)
        gpu = profile.gpu_launch + flops / gpu_rate + copies
    if on_gpu:
        return Estimate(cpu, gpu, "gpu", "operands already on the GPU")
    if gpu < cpu:
        return Estimate(
            cpu, gpu, "gpu", f"GPU predicted faster incl. copies ({gpu:.3g} s < {cpu:.3g} s)"
        )
    return Estimate(
        cpu, gpu, "cpu", f"CPU predicted faster ({cpu:.3g} s <= {gpu:.3g} s incl. copies)"
    )
