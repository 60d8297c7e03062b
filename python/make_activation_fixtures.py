#!/usr/bin/python3
"""Writes tests/fixtures/activations.json: every keras.activations function rtconv supports,
evaluated by PyTorch in float64 on a grid of inputs shaped (steps, channels).

Each entry maps a Keras 3 definition (with its default arguments) onto torch explicitly,
so the reference does not depend on rtconv. Last-axis activations act on rows of
`channels` values. Run: /usr/bin/python3 python/make_activation_fixtures.py
"""
import json
import pathlib

import torch
import torch.nn.functional as F

CHANNELS = 4


def inputs() -> torch.Tensor:
    """Values covering each activation's pieces, tails and switch points."""
    grid = torch.linspace(-20.0, 20.0, 161, dtype=torch.float64)
    special = torch.tensor([0.0, 1e-3, -1e-3, 0.25, -0.25, 0.5, -0.5, 0.75, -0.75, 1.0, -1.0,
                            3.0, -3.0, 6.0, -6.0, 30.0, -30.0, 2.5, -2.5], dtype=torch.float64)
    values = torch.cat([grid, special])
    values = values[: values.numel() // CHANNELS * CHANNELS]
    # float32-representable, so float32 and float64 runs see the same input.
    return values.to(torch.float32).to(torch.float64).reshape(-1, CHANNELS)


def keras_definitions():
    """Keras 3 activation -> torch function of x (float64), defaults as keras.activations.get gives them."""
    return {
        "linear": lambda x: x,
        "relu": F.relu,
        "relu6": F.relu6,
        "leaky_relu": lambda x: F.leaky_relu(x, negative_slope=0.2),
        "elu": lambda x: F.elu(x, alpha=1.0),
        "selu": F.selu,
        "celu": lambda x: F.celu(x, alpha=1.0),
        "gelu": lambda x: F.gelu(x, approximate="none"),
        "silu": F.silu,
        "swish": F.silu,
        "hard_silu": lambda x: x * F.relu6(x + 3.0) / 6.0,
        "hard_swish": lambda x: x * F.relu6(x + 3.0) / 6.0,
        "mish": F.mish,
        "sigmoid": torch.sigmoid,
        "hard_sigmoid": lambda x: F.relu6(x + 3.0) / 6.0,
        "log_sigmoid": F.logsigmoid,
        "sparse_sigmoid": lambda x: torch.clamp(0.5 * (x + 1.0), 0.0, 1.0),
        "tanh": torch.tanh,
        "hard_tanh": lambda x: F.hardtanh(x, -1.0, 1.0),
        "tanh_shrink": F.tanhshrink,
        "soft_shrink": lambda x: F.softshrink(x, lambd=0.5),
        "hard_shrink": lambda x: F.hardshrink(x, lambd=0.5),
        "softplus": F.softplus,
        "softsign": F.softsign,
        "squareplus": lambda x: 0.5 * (x + torch.sqrt(x * x + 4.0)),
        "sparse_plus": lambda x: torch.where(x <= -1.0, torch.zeros_like(x),
                                             torch.where(x >= 1.0, x, 0.25 * (x + 1.0) ** 2)),
        "exponential": torch.exp,
        "softmax": lambda x: torch.softmax(x, dim=-1),
        "log_softmax": lambda x: torch.log_softmax(x, dim=-1),
        "sparsemax": sparsemax,
        "glu": lambda x: F.glu(x, dim=-1),
    }


def sparsemax(x: torch.Tensor) -> torch.Tensor:
    """Martins & Astudillo (2016), by sorting, as Keras does."""
    z, _ = torch.sort(x, dim=-1, descending=True)
    k = torch.arange(1, x.shape[-1] + 1, dtype=x.dtype)
    cumulative = torch.cumsum(z, dim=-1)
    in_support = 1.0 + k * z > cumulative
    support = in_support.sum(dim=-1, keepdim=True)
    tau = (torch.gather(cumulative, -1, support - 1) - 1.0) / support.to(x.dtype)
    return torch.clamp(x - tau, min=0.0)


def main() -> None:
    x = inputs()
    fixture = {
        "generator": "python/make_activation_fixtures.py",
        "torch_version": torch.__version__,
        "channels": CHANNELS,
        "input": x.flatten().tolist(),
        "outputs": {name: f(x).flatten().tolist() for name, f in keras_definitions().items()},
    }
    path = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "activations.json"
    path.write_text(json.dumps(fixture, separators=(",", ":")) + "\n")
    print(f"wrote {path} ({len(fixture['outputs'])} activations, {x.shape[0]} rows of {CHANNELS})")


if __name__ == "__main__":
    main()
