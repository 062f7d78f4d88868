"""A small NumPy ML pipeline that runs unchanged on a laptop and on a GPU.

It trains a two-layer network (ReLU, softmax) on a synthetic classification task with
gpudot's products, then quantizes it to int8 and runs int8 -> int32 inference with
``gpudot.matmul(a8, b8, dtype=np.int32)``, timed against plain ``np.matmul`` on the operands
widened to int32 (what NumPy code does without gpudot), and prints the speed-up.

Everything between the products is ordinary NumPy code: every product of NumPy operands comes
back as a NumPy array, whichever backend computed it, so the same lines run on the ``"numpy"``
backend of a laptop and on ``"cuda"``::

    python examples/two_layer_network.py                  # GPUDOT_BACKEND, else NumPy
    python examples/two_layer_network.py --backend cuda   # the GPU (NumPy if none is usable)
    GPUDOT_BACKEND=auto python examples/two_layer_network.py
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

import gpudot


@dataclass
class Network:
    """Weights and biases of ``softmax(relu(x @ w1 + b1) @ w2 + b2)``."""

    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray


def make_data(samples: int, features: int, classes: int, seed: int) -> tuple[np.ndarray, ...]:
    """Gaussian clusters, one per class, in ``features`` dimensions: (x, labels), float32."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((classes, features)).astype(np.float32) * 0.25
    labels = rng.integers(0, classes, samples)
    x = centres[labels] + rng.standard_normal((samples, features)).astype(np.float32)
    return x, labels


def init(features: int, hidden: int, classes: int, seed: int) -> Network:
    rng = np.random.default_rng(seed)
    return Network(
        w1=(rng.standard_normal((features, hidden)) / np.sqrt(features)).astype(np.float32),
        b1=np.zeros(hidden, np.float32),
        w2=(rng.standard_normal((hidden, classes)) / np.sqrt(hidden)).astype(np.float32),
        b2=np.zeros(classes, np.float32),
    )


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def forward(net: Network, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hidden activations and class probabilities: the products by gpudot, the rest NumPy."""
    hidden = np.maximum(gpudot.matmul(x, net.w1) + net.b1, 0)
    return hidden, softmax(gpudot.matmul(hidden, net.w2) + net.b2)


def train(net: Network, x: np.ndarray, labels: np.ndarray, epochs: int, rate: float) -> float:
    """Full-batch gradient descent on the cross-entropy; returns the last loss."""
    onehot = np.eye(net.w2.shape[1], dtype=np.float32)[labels]
    loss = float("nan")
    for _ in range(epochs):
        hidden, probs = forward(net, x)
        loss = float(-np.mean(np.log(probs[np.arange(len(x)), labels] + 1e-12)))
        d_out = (probs - onehot) / len(x)
        d_hidden = gpudot.matmul(d_out, net.w2.T) * (hidden > 0)
        net.w2 -= rate * gpudot.matmul(hidden.T, d_out)
        net.b2 -= rate * d_out.sum(axis=0)
        net.w1 -= rate * gpudot.matmul(x.T, d_hidden)
        net.b1 -= rate * d_hidden.sum(axis=0)
    return loss


def quantize(x: np.ndarray) -> tuple[np.ndarray, np.float32]:
    """Symmetric per-tensor int8 quantization: (values, scale) with ``x ~ values * scale``."""
    scale = np.float32(max(float(np.abs(x).max()), 1e-12) / 127)
    return np.clip(np.rint(x / scale), -127, 127).astype(np.int8), scale


def int8_logits(net: Network, x: np.ndarray) -> np.ndarray:
    """The network's logits with int8 products accumulated in int32, then rescaled."""
    x8, sx = quantize(x)
    w18, s1 = quantize(net.w1)
    hidden = np.maximum(gpudot.matmul(x8, w18, dtype=np.int32) * (sx * s1) + net.b1, 0)
    h8, sh = quantize(hidden)
    w28, s2 = quantize(net.w2)
    return gpudot.matmul(h8, w28, dtype=np.int32) * (sh * s2) + net.b2


def median_seconds(call, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--backend",
        default=os.environ.get("GPUDOT_BACKEND") or "numpy",
        help="gpudot backend (default: GPUDOT_BACKEND, else numpy)",
    )
    parser.add_argument("--samples", type=int, default=4096)
    parser.add_argument("--features", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--classes", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--rate", type=float, default=0.5)
    parser.add_argument("--bench", type=int, default=512, help="side of the timed int8 product")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    gpudot.set_backend(args.backend)
    print(f"backend: {gpudot.get_backend()!r}")
    x, labels = make_data(args.samples, args.features, args.classes, seed=0)
    net = init(args.features, args.hidden, args.classes, seed=1)
    loss = train(net, x, labels, args.epochs, args.rate)
    accuracy = float(np.mean(forward(net, x)[1].argmax(axis=1) == labels))
    int8_accuracy = float(np.mean(int8_logits(net, x).argmax(axis=1) == labels))
    print(f"trained: loss {loss:.4f}, accuracy {accuracy:.3f} float32, {int8_accuracy:.3f} int8")

    rng = np.random.default_rng(2)
    a8 = rng.integers(-127, 128, (args.bench, args.bench), dtype=np.int8)
    b8 = rng.integers(-127, 128, (args.bench, args.bench), dtype=np.int8)
    assert np.array_equal(gpudot.matmul(a8, b8, dtype=np.int32), a8.astype(np.int32) @ b8)
    ours = median_seconds(lambda: gpudot.matmul(a8, b8, dtype=np.int32), args.repeats)
    numpy = median_seconds(
        lambda: np.matmul(a8.astype(np.int32), b8.astype(np.int32)), args.repeats
    )
    print(
        f"int8 -> int32 {args.bench}x{args.bench} product: gpudot {ours * 1e3:.2f} ms, "
        f"np.matmul on int32 operands {numpy * 1e3:.2f} ms: {numpy / ours:.1f}x "
        f"(median of {args.repeats})"
    )
    return {
        "loss": loss,
        "accuracy": accuracy,
        "int8_accuracy": int8_accuracy,
        "gpudot_s": ours,
        "numpy_s": numpy,
    }


if __name__ == "__main__":
    main()
