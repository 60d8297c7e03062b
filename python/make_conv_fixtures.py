#!/usr/bin/python3
"""Writes tests/fixtures/conv_cases.json: Keras 3 Conv1D / Conv1DTranspose cases with PyTorch references.

PyTorch (torch.nn.functional.conv1d / conv_transpose1d) is the independent reference. Every Keras 3
rule the C++ layers implement is mapped onto it explicitly here: kernel layouts, the valid / same /
causal padding arithmetic, data formats, groups, the transpose's TensorFlow semantics (the gradient
of the forward convolution) and each activation's Keras 3 definition. The transpose mapping is
self-validated: every transpose reference is asserted equal to the autograd gradient of a forward
conv1d before it is written.

References are computed in float64. float32 cases draw inputs and weights as float32-representable
values, so the only difference the C++ side sees is its own float32 arithmetic.

The C++ test tests/test_conv_fixtures.cpp reads the file; each case is
    {"id", "class_name", "config" (Keras 3 layer config), "input_shape", "input" (flat, row-major),
     "weight_shapes", "weights" (kernel, then bias when use_bias), "output_shape", "output"}.

Deterministic (fixed seed).  Run:  /usr/bin/python3 python/make_conv_fixtures.py
"""
import itertools
import json
import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

OUTPUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "conv_cases.json"
SEED = 20240611
MAX_STEPS = 12
MAX_CHANNELS = 6
# (strides, dilation_rate): Keras rejects strides > 1 together with dilation_rate > 1.
STRIDE_DILATION = [(1, 1), (2, 1), (3, 1), (1, 2), (1, 3)]


# --- Keras 3 activations, in float64 torch ---------------------------------------------------------

def _sparsemax(x):
    """keras.ops.sparsemax over the last axis (Martins & Astudillo), as Keras 3 writes it."""
    z_sorted = torch.sort(x, dim=-1, descending=True).values
    cumsum = torch.cumsum(z_sorted, dim=-1)
    r = torch.arange(1, x.shape[-1] + 1, dtype=x.dtype)
    support = (1.0 + r * z_sorted > cumsum).to(x.dtype)
    k = support.sum(dim=-1, keepdim=True)
    tau = ((z_sorted * support).sum(dim=-1, keepdim=True) - 1.0) / k
    return torch.clamp(x - tau, min=0.0)


def _glu(x):
    """keras.activations.glu: split the last axis into halves a, b -> a * sigmoid(b)."""
    a, b = torch.chunk(x, 2, dim=-1)
    return a * torch.sigmoid(b)


def _sparse_plus(x):
    return torch.where(x <= -1.0, torch.zeros_like(x), torch.where(x >= 1.0, x, (x + 1.0) ** 2 / 4.0))


def _sparse_sigmoid(x):
    return torch.where(x <= -1.0, torch.zeros_like(x), torch.where(x >= 1.0, torch.ones_like(x), (x + 1.0) / 2.0))


# Keras 3 names -> functions with Keras' default arguments. Where a torch built-in computes the same
# formula it is used; the comment gives the Keras definition it stands for.
ACTIVATIONS = {
    "linear": lambda x: x,
    "relu": F.relu,
    "relu6": F.relu6,
    "leaky_relu": lambda x: F.leaky_relu(x, 0.2),  # Keras default negative_slope=0.2 (torch's is 0.01)
    "elu": lambda x: F.elu(x, alpha=1.0),
    "selu": F.selu,  # same constants: alpha 1.6732632423543772, scale 1.0507009873554805
    "celu": lambda x: F.celu(x, alpha=1.0),
    "gelu": lambda x: F.gelu(x, approximate="none"),  # Keras default approximate=False: exact erf form
    "silu": F.silu,  # x * sigmoid(x)
    "swish": F.silu,  # Keras alias of silu
    "hard_silu": F.hardswish,  # x * relu6(x + 3) / 6
    "hard_swish": F.hardswish,  # Keras alias of hard_silu
    "mish": F.mish,  # x * tanh(softplus(x))
    "sigmoid": torch.sigmoid,
    "hard_sigmoid": F.hardsigmoid,  # Keras 3: relu6(x + 3) / 6 (Keras 2 used 0.2x + 0.5)
    "log_sigmoid": F.logsigmoid,  # -softplus(-x)
    "sparse_sigmoid": _sparse_sigmoid,
    "tanh": torch.tanh,
    "hard_tanh": F.hardtanh,  # clip(x, -1, 1)
    "tanh_shrink": F.tanhshrink,  # x - tanh(x)
    "soft_shrink": lambda x: F.softshrink(x, 0.5),  # Keras default threshold=0.5
    "hard_shrink": lambda x: F.hardshrink(x, 0.5),  # x where |x| > 0.5, else 0
    "softplus": lambda x: torch.logaddexp(x, torch.zeros_like(x)),  # log(exp(x) + 1), no linear cut-off
    "softsign": F.softsign,
    "squareplus": lambda x: (x + torch.sqrt(x * x + 4.0)) / 2.0,  # Keras default b=4
    "sparse_plus": _sparse_plus,
    "exponential": torch.exp,
    # Over the last axis of the output as laid out: the time axis for channels_first.
    "softmax": lambda x: torch.softmax(x, dim=-1),
    "log_softmax": lambda x: torch.log_softmax(x, dim=-1),
    "sparsemax": _sparsemax,
    "glu": _glu,
}
# Points where an activation jumps: a float32 pre-activation this close to one may land on the other
# side, so such draws are redrawn.
DISCONTINUITIES = {"hard_shrink": (-0.5, 0.5)}
DISCONTINUITY_MARGIN = 1e-3


def activation_fits(name, last_axis):
    return name != "glu" or last_axis % 2 == 0


# --- Keras semantics mapped onto torch ----------------------------------------------------------

def to_torch_layout(x, data_format):
    """Keras channels_last (batch, steps, channels) -> torch (batch, channels, steps)."""
    return x if data_format == "channels_first" else x.transpose(1, 2)


def from_torch_layout(y, data_format):
    return y if data_format == "channels_first" else y.transpose(1, 2)


def keras_conv_pads(length, kernel_size, stride, dilation, padding):
    """The (left, right) zero padding Keras' Conv1D applies to a `length`-step input."""
    k_eff = dilation * (kernel_size - 1) + 1
    if padding == "valid":
        return 0, 0
    if padding == "causal":
        return k_eff - 1, 0
    out = -(-length // stride)  # ceil(L / s)
    total = max(0, (out - 1) * stride + k_eff - length)
    return total // 2, total - total // 2  # the extra sample goes on the right


def keras_conv1d_torch_layout(x, weight, stride, dilation, padding, groups=1):
    """Keras' Conv1D without bias, on torch-layout (batch, channels, steps) x and torch weight."""
    left, right = keras_conv_pads(x.shape[-1], weight.shape[-1], stride, dilation, padding)
    return F.conv1d(F.pad(x, (left, right)), weight, stride=stride, dilation=dilation, groups=groups)


def conv1d_reference(x, kernel, bias, config):
    # Keras kernel (kernel_size, in_channels/groups, filters) -> torch (filters, in_channels/groups, k).
    weight = kernel.permute(2, 1, 0)
    y = keras_conv1d_torch_layout(to_torch_layout(x, config["data_format"]), weight, config["strides"][0],
                                  config["dilation_rate"][0], config["padding"], config["groups"])
    if bias is not None:
        y = y + bias[None, :, None]
    return from_torch_layout(y, config["data_format"])


def transpose_output_length(length, k_eff, stride, padding, output_padding):
    """Keras' Conv1DTranspose output length (DESIGN §2)."""
    if output_padding is None:
        return (length - 1) * stride + max(k_eff, stride) if padding == "valid" else length * stride
    if padding == "valid":
        return (length - 1) * stride + k_eff + output_padding
    return (length - 1) * stride + k_eff % 2 + output_padding


def transpose_crop_left(length, k_eff, stride, padding, out_len):
    """Where the Keras output starts inside torch's full transpose output.

    TensorFlow computes the transpose as the gradient of the forward conv that maps an out_len-step
    signal back to `length` steps with the same padding name. That forward conv pads
    total = (length-1)*s + k_eff - out_len samples, the left half first ('same'), or none ('valid');
    the gradient therefore starts `left` samples into the full (unpadded) transpose output.
    """
    if padding == "valid":
        return 0
    return max(0, (length - 1) * stride + k_eff - out_len) // 2


def conv_transpose_torch_layout(x, weight, stride, dilation, padding, output_padding):
    """Keras' Conv1DTranspose without bias, in torch layout; returns (y, crop_left)."""
    length, kernel_size = x.shape[-1], weight.shape[-1]
    k_eff = dilation * (kernel_size - 1) + 1
    out_len = transpose_output_length(length, k_eff, stride, padding, output_padding)
    crop = transpose_crop_left(length, k_eff, stride, padding, out_len)
    full = F.conv_transpose1d(x, weight, stride=stride, dilation=dilation)  # (L-1)s + k_eff steps
    y = full[..., crop:crop + out_len]
    # Output samples no kernel tap reaches (valid with s > k_eff, output_padding) are zeros.
    return F.pad(y, (0, out_len - y.shape[-1])), crop


def assert_is_conv_gradient(x, weight, stride, dilation, padding, y, crop):
    """Asserts y (torch layout, no bias) is the gradient wrt its input of the forward conv1d.

    Where Keras' own forward conv of an out_len-step input gives back len(x) steps, that is the exact
    conv (and padding) the Conv1D fixtures use. The one exception, 'same' with an even k_eff and
    output_padding 0, has ceil(out_len/s) = len(x) - 1: TensorFlow raises there, while the JAX
    backend (and rtconv) keep the same crop; it is checked against the forward conv with that crop
    as left padding and the rest on the right.
    """
    length, out_len, kernel_size = x.shape[-1], y.shape[-1], weight.shape[-1]
    k_eff = dilation * (kernel_size - 1) + 1
    signal = torch.zeros(x.shape[0], weight.shape[1], out_len, dtype=torch.float64, requires_grad=True)
    forward = keras_conv1d_torch_layout(signal, weight, stride, dilation, padding)
    if forward.shape[-1] == length:
        assert keras_conv_pads(out_len, kernel_size, stride, dilation, padding)[0] == crop
    else:
        assert padding == "same" and k_eff % 2 == 0
        right = (length - 1) * stride + k_eff - out_len - crop  # negative: trailing samples unused
        forward = F.conv1d(F.pad(signal, (crop, right)), weight, stride=stride, dilation=dilation)
    assert forward.shape[-1] == length
    (gradient,) = torch.autograd.grad(forward, signal, grad_outputs=x)
    assert torch.allclose(gradient, y, rtol=1e-12, atol=1e-12), "transpose mapping is not the conv gradient"


def conv1d_transpose_reference(x, kernel, bias, config):
    # Keras kernel (kernel_size, filters, in_channels) -> torch conv_transpose1d (in_channels, filters, k).
    weight = kernel.permute(2, 1, 0)
    stride, dilation, padding = config["strides"][0], config["dilation_rate"][0], config["padding"]
    op = config["output_padding"]
    xt = to_torch_layout(x, config["data_format"])
    y, crop = conv_transpose_torch_layout(xt, weight, stride, dilation, padding, None if op is None else op[0])
    assert_is_conv_gradient(xt, weight, stride, dilation, padding, y, crop)
    if bias is not None:
        y = y + bias[None, :, None]  # Keras adds the bias to every output sample, zero-padded ones too
    return from_torch_layout(y, config["data_format"])


# --- the cases ----------------------------------------------------------------------------------

class CaseWriter:
    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.activation_cycle = itertools.cycle(ACTIVATIONS)
        self.deferred = []  # activations that did not fit their turn's output shape
        self.cases = []

    def next_activation(self, last_axis):
        for i, name in enumerate(self.deferred):
            if activation_fits(name, last_axis):
                return self.deferred.pop(i)
        while True:
            name = next(self.activation_cycle)
            if activation_fits(name, last_axis):
                return name
            self.deferred.append(name)

    def values(self, shape, limit, dtype):
        a = self.rng.uniform(-limit, limit, size=shape)
        if dtype == "float32":
            a = a.astype(np.float32).astype(np.float64)  # float32-representable, kept in float64
        return torch.from_numpy(a)

    def channels(self, groups):
        """A multiple of groups within MAX_CHANNELS."""
        return groups * int(self.rng.integers(1, MAX_CHANNELS // groups + 1))

    def add(self, class_name, padding, kernel_size, stride, dilation, steps, *, groups=1, output_padding=None,
            data_format="channels_last", use_bias=True, dtype="float32", batch=None, in_channels=None,
            filters=None):
        transpose = class_name == "Conv1DTranspose"
        batch = batch or int(self.rng.integers(1, 3))
        in_channels = in_channels or self.channels(groups)
        filters = filters or self.channels(groups)
        k_eff = dilation * (kernel_size - 1) + 1
        if transpose:
            out_steps = transpose_output_length(steps, k_eff, stride, padding, output_padding)
        elif padding == "valid":
            assert steps >= k_eff, "valid needs steps >= the receptive field"
            out_steps = (steps - k_eff) // stride + 1
        else:
            out_steps = -(-steps // stride)
        channels_first = data_format == "channels_first"
        activation = self.next_activation(out_steps if channels_first else filters)

        config = {"name": "conv1d_transpose" if transpose else "conv1d", "trainable": True, "dtype": dtype,
                  "filters": filters, "kernel_size": [kernel_size], "strides": [stride], "padding": padding,
                  "data_format": data_format, "dilation_rate": [dilation]}
        if transpose:
            config["output_padding"] = None if output_padding is None else [output_padding]
        else:
            config["groups"] = groups
        config["activation"] = activation
        config["use_bias"] = use_bias

        input_shape = [batch, in_channels, steps] if channels_first else [batch, steps, in_channels]
        if transpose:
            kernel_shape = [kernel_size, filters, in_channels]
            fan_in = max(1, kernel_size // stride) * in_channels  # taps reaching one output sample
        else:
            kernel_shape = [kernel_size, in_channels // groups, filters]
            fan_in = kernel_size * in_channels // groups
        weight_shapes = [kernel_shape] + ([[filters]] if use_bias else [])
        reference = conv1d_transpose_reference if transpose else conv1d_reference
        while True:
            x = self.values(input_shape, 1.5, dtype)
            # Pre-activations of about unit size reach every activation's interesting range.
            weights = [self.values(kernel_shape, 1.7 / math.sqrt(fan_in), dtype)]
            if use_bias:
                weights.append(self.values([filters], 0.5, dtype))
            pre_activation = reference(x, weights[0], weights[1] if use_bias else None, config)
            jumps = DISCONTINUITIES.get(activation, ())
            if all(torch.all((pre_activation - p).abs() > DISCONTINUITY_MARGIN) for p in jumps):
                break
        y = ACTIVATIONS[activation](pre_activation)
        assert list(pre_activation.shape) == ([batch, filters, out_steps] if channels_first
                                              else [batch, out_steps, filters])

        op_text = "" if not transpose else "-op" + ("none" if output_padding is None else str(output_padding))
        case_id = (f"{len(self.cases):04d}-{class_name}-{padding}-k{kernel_size}s{stride}d{dilation}{op_text}"
                   f"-g{groups}-{'cf' if channels_first else 'cl'}-{'bias' if use_bias else 'nobias'}"
                   f"-b{batch}L{steps}c{in_channels}f{filters}-{dtype}-{activation}")
        self.cases.append({
            "id": case_id, "class_name": class_name, "config": config,
            "input_shape": input_shape, "input": x.flatten().tolist(),
            "weight_shapes": weight_shapes, "weights": [w.flatten().tolist() for w in weights],
            "output_shape": list(y.shape), "output": y.flatten().tolist(),
        })

    def kernel_size_for(self, padding, dilation):
        """A kernel size in 1..5; for valid, one whose receptive field fits MAX_STEPS."""
        largest = 5 if padding != "valid" else min(5, (MAX_STEPS - 1) // dilation + 1)
        return int(self.rng.integers(1, largest + 1))

    def steps_for(self, padding, k_eff):
        low = k_eff if padding == "valid" else 1
        return int(self.rng.integers(low, max(low, MAX_STEPS) + 1))


def add_grid(writer, dtype):
    """padding x (strides | dilation) x groups x data_format x use_bias, random sizes for each."""
    flags = list(itertools.product(("channels_last", "channels_first"), (True, False)))
    for padding, (stride, dilation), groups in itertools.product(("valid", "same", "causal"), STRIDE_DILATION,
                                                                 (1, 2, 3)):
        for data_format, use_bias in flags:
            k = writer.kernel_size_for(padding, dilation)
            steps = writer.steps_for(padding, dilation * (k - 1) + 1)
            writer.add("Conv1D", padding, k, stride, dilation, steps, groups=groups, data_format=data_format,
                       use_bias=use_bias, dtype=dtype)
    for padding, (stride, dilation) in itertools.product(("valid", "same"), STRIDE_DILATION):
        for output_padding in [None] + list(range(stride)):
            for data_format, use_bias in flags:
                k = writer.kernel_size_for(padding, dilation)
                steps = int(writer.rng.integers(1, MAX_STEPS + 1))
                writer.add("Conv1DTranspose", padding, k, stride, dilation, steps, output_padding=output_padding,
                           data_format=data_format, use_bias=use_bias, dtype=dtype)


# (padding, kernel_size, strides, dilation_rate, steps)
CONV1D_EDGES = [
    # one step
    ("same", 1, 1, 1, 1), ("same", 3, 1, 1, 1), ("same", 4, 2, 1, 1), ("same", 3, 1, 3, 1), ("causal", 1, 1, 1, 1),
    ("causal", 3, 3, 1, 1), ("causal", 5, 1, 2, 1), ("valid", 1, 1, 1, 1), ("valid", 1, 3, 1, 1),
    # kernel_size 1
    ("valid", 1, 2, 1, 7), ("same", 1, 3, 1, 8), ("causal", 1, 2, 1, 5), ("same", 1, 1, 1, 6),
    # kernel longer than the input
    ("same", 5, 1, 1, 2), ("same", 4, 1, 2, 3), ("same", 6, 2, 1, 3), ("same", 3, 1, 3, 2), ("same", 7, 3, 1, 4),
    ("causal", 5, 1, 2, 3), ("causal", 6, 2, 1, 2), ("causal", 4, 1, 3, 5),
    # even kernels with same
    ("same", 2, 1, 1, 5), ("same", 4, 1, 1, 7), ("same", 2, 2, 1, 6), ("same", 2, 2, 1, 7), ("same", 4, 3, 1, 7),
    ("same", 2, 1, 3, 8), ("same", 4, 1, 2, 9), ("same", 6, 2, 1, 11), ("same", 6, 3, 1, 12),
    # valid: receptive field equal to the input, strides leaving a remainder
    ("valid", 3, 1, 2, 5), ("valid", 4, 3, 1, 4), ("valid", 2, 2, 1, 2), ("valid", 3, 2, 1, 8),
    ("valid", 2, 3, 1, 12), ("valid", 4, 1, 3, 10),
]
# (padding, kernel_size, strides, dilation_rate, steps, output_padding)
TRANSPOSE_EDGES = [
    # one step
    ("valid", 1, 1, 1, 1, None), ("valid", 3, 2, 1, 1, None), ("same", 4, 3, 1, 1, None), ("same", 1, 3, 1, 1, 2),
    ("valid", 2, 3, 1, 1, 1), ("same", 3, 1, 2, 1, 0),
    # strides beyond the kernel: zero samples no tap reaches
    ("valid", 1, 3, 1, 4, None), ("valid", 2, 3, 1, 3, None), ("valid", 1, 2, 1, 5, None), ("same", 1, 3, 1, 4, None),
    ("same", 2, 3, 1, 3, None),
    # even k_eff with output_padding 0 (TensorFlow raises; JAX and rtconv crop the same way)
    ("same", 2, 2, 1, 4, 0), ("same", 4, 3, 1, 3, 0), ("same", 2, 1, 1, 5, 0), ("same", 4, 1, 1, 6, 0),
    # kernel longer than the output, largest output_padding
    ("same", 5, 1, 3, 3, None), ("same", 5, 2, 1, 2, 1), ("valid", 3, 3, 1, 4, 2), ("same", 3, 3, 1, 4, 2),
    ("same", 6, 3, 1, 5, 2), ("valid", 5, 1, 2, 3, 0),
]


def add_edges(writer, dtype):
    for i, (padding, k, stride, dilation, steps) in enumerate(CONV1D_EDGES):
        groups = (1, 2, 3)[i % 3]
        writer.add("Conv1D", padding, k, stride, dilation, steps, groups=groups, batch=2,
                   data_format=("channels_last", "channels_first")[i % 2], use_bias=i % 4 != 3, dtype=dtype)
    for i, (padding, k, stride, dilation, steps, output_padding) in enumerate(TRANSPOSE_EDGES):
        writer.add("Conv1DTranspose", padding, k, stride, dilation, steps, output_padding=output_padding, batch=2,
                   data_format=("channels_first", "channels_last")[i % 2], use_bias=i % 4 != 3, dtype=dtype)


def main():
    writer = CaseWriter(SEED)
    for dtype in ("float32", "float64"):
        add_grid(writer, dtype)
        add_edges(writer, dtype)
    missing = set(ACTIVATIONS) - {c["config"]["activation"] for c in writer.cases}
    assert not missing, f"activations without a case: {missing}"
    document = {"generator": "python/make_conv_fixtures.py", "torch_version": torch.__version__,
                "cases": writer.cases}
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    # Python writes floats by repr: the shortest text that reads back as the same double.
    OUTPUT.write_text(json.dumps(document, separators=(",", ":"), allow_nan=False) + "\n")
    print(f"{len(writer.cases)} cases -> {OUTPUT} ({OUTPUT.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
