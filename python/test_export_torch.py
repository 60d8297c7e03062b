#!/usr/bin/python3
"""End-to-end test of rtconv_export.export_torch: torch model -> model file -> `rtconv run` -> same output.

Each model gets random weights, is exported, run by the rtconv CLI over a random float32 input, and
compared with the torch output (computed in float64 from the same float32 weights) within 1e-5
relative. Modules Keras cannot express must raise ValueError naming the module.

    /usr/bin/python3 python/test_export_torch.py --cli PATH/TO/rtconv
"""
import argparse
import copy
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rtconv_export import export_torch  # noqa: E402

TOLERANCE = 1e-5
# torch's note that padding="same" with an even kernel copies the input: true, and beside the point.
warnings.filterwarnings("ignore", message="Using padding='same'")


def causal(conv):
    """conv with Keras 'causal' padding, as torch writes it: zeros on the left only."""
    return [nn.ConstantPad1d((conv.dilation[0] * (conv.kernel_size[0] - 1), 0), 0.0), conv]


def causal_dilated_stack():
    return nn.Sequential(*causal(nn.Conv1d(1, 8, 3, dilation=1)), nn.Tanh(),
                         *causal(nn.Conv1d(8, 8, 3, dilation=2)), nn.Tanh(),
                         *causal(nn.Conv1d(8, 8, 2, dilation=4)), nn.Tanh(),
                         *causal(nn.Conv1d(8, 1, 1)))


def same_grouped():
    return nn.Sequential(nn.Conv1d(4, 6, 5, padding=2, groups=2), nn.ReLU(),
                         nn.Conv1d(6, 6, 3, padding=1, groups=3, bias=False), nn.Identity(), nn.SiLU(),
                         nn.Conv1d(6, 4, 4, padding="same"), nn.Softmax(dim=1))


def transpose_upsampler():
    return nn.Sequential(nn.Conv1d(2, 4, 3, padding=1), nn.ELU(),
                         nn.ConvTranspose1d(4, 4, 4, stride=2, padding=1), nn.GELU(),  # same: 2x
                         nn.ConvTranspose1d(4, 3, 2, stride=3, output_padding=1), nn.Hardtanh(),  # valid, s > k
                         nn.ConvTranspose1d(3, 2, 3, dilation=2), nn.LeakyReLU(0.2))  # valid, dilated


def channels_first_model():
    return nn.Sequential(nn.Conv1d(3, 4, 3, stride=2), nn.Mish(),
                         nn.ConvTranspose1d(4, 2, 5, stride=2, padding=2), nn.Softmax(dim=-1))  # same, op 0


# (name, model, input channels, data_format, dtype)
MODELS = [
    ("causal_dilated_stack", causal_dilated_stack, 1, "channels_last", torch.float32),
    ("causal_dilated_stack_float64", causal_dilated_stack, 1, "channels_last", torch.float64),
    ("same_grouped", same_grouped, 4, "channels_last", torch.float32),
    ("transpose_upsampler", transpose_upsampler, 2, "channels_last", torch.float32),
    ("channels_first", channels_first_model, 3, "channels_first", torch.float32),
]

# (what, model, text the ValueError must contain)
REJECTED = [
    ("BatchNorm1d", lambda: nn.Sequential(nn.Conv1d(2, 2, 3), nn.BatchNorm1d(2)), "module [1] (BatchNorm1d)"),
    ("LeakyReLU(0.01)", lambda: nn.Sequential(nn.Conv1d(2, 2, 3), nn.LeakyReLU(0.01)),
     "module [1] (LeakyReLU): negative_slope"),
    ("activation before any conv", lambda: nn.Sequential(nn.Tanh(), nn.Conv1d(2, 2, 3)), "module [0] (Tanh)"),
    ("two activations on a conv", lambda: nn.Sequential(nn.Conv1d(2, 2, 3), nn.Tanh(), nn.ReLU()),
     "module [2] (ReLU)"),
    ("asymmetric same", lambda: nn.Sequential(nn.Conv1d(2, 2, 4, padding=1)), "module [0] (Conv1d): padding"),
    ("strided symmetric padding", lambda: nn.Sequential(nn.Conv1d(2, 2, 3, stride=2, padding=1)),
     "module [0] (Conv1d): padding"),
    ("reflect padding", lambda: nn.Sequential(nn.Conv1d(2, 2, 3, padding=1, padding_mode="reflect")),
     "module [0] (Conv1d): padding_mode"),
    ("wrong causal pad", lambda: nn.Sequential(nn.ConstantPad1d((1, 0), 0.0), nn.Conv1d(2, 2, 3)),
     "module [1] (Conv1d): padding"),
    ("pad not before a conv", lambda: nn.Sequential(nn.ConstantPad1d((2, 0), 0.0), nn.ReLU()),
     "module [1] (ReLU)"),
    ("torch's k3 s2 p1 op1 upsampler", lambda: nn.Sequential(nn.ConvTranspose1d(2, 2, 3, 2, 1, 1)),
     "module [0] (ConvTranspose1d): padding"),
    ("grouped transpose", lambda: nn.Sequential(nn.ConvTranspose1d(2, 2, 3, groups=2)),
     "module [0] (ConvTranspose1d): groups"),
    ("softmax over time, channels_last", lambda: nn.Sequential(nn.Conv1d(2, 2, 3), nn.Softmax(dim=-1)),
     "module [1] (Softmax): dim"),
    ("approximate gelu", lambda: nn.Sequential(nn.Conv1d(2, 2, 3), nn.GELU(approximate="tanh")),
     "module [1] (GELU): approximate"),
    ("channel mismatch", lambda: nn.Sequential(nn.Conv1d(2, 3, 3), nn.Conv1d(2, 2, 1)),
     "module [1] (Conv1d): in_channels"),
]


def randomize(model, generator):
    """Weights of a size that keeps activations in their interesting range, stored as float32."""
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_((torch.rand(parameter.shape, generator=generator, dtype=torch.float64) - 0.5) * 1.2)


def run_case(cli, directory, name, make_model, channels, data_format, dtype, generator):
    model = make_model()
    randomize(model, generator)
    model = model.to(dtype)
    path = directory / f"{name}.json"
    export_torch(model, path, channels, data_format=data_format, name=name)

    x_torch = (torch.rand(2, channels, 37, generator=generator, dtype=torch.float64) * 2 - 1).float().double()
    with torch.no_grad():
        expected = copy.deepcopy(model).double()(x_torch).numpy()
    if data_format == "channels_last":
        x_torch, expected = x_torch.transpose(1, 2), expected.transpose(0, 2, 1)
    np.save(directory / f"{name}_x.npy", np.ascontiguousarray(x_torch.numpy().astype(np.float32)))
    result = subprocess.run([cli, "run", str(path), "--input", str(directory / f"{name}_x.npy"),
                             "--output", str(directory / f"{name}_y.npy")], capture_output=True, text=True)
    if result.returncode != 0:
        return f"rtconv run failed ({result.returncode}): {result.stderr.strip()}"
    actual = np.load(directory / f"{name}_y.npy")
    if actual.shape != expected.shape:
        return f"output shape {actual.shape}, torch gives {expected.shape}"
    worst = float(np.max(np.abs(actual - expected) / np.maximum(1.0, np.abs(expected))))
    if worst > TOLERANCE:
        return f"worst relative difference {worst:.3g} > {TOLERANCE}"
    return None


def rejection_failure(make_model, expected_text, directory):
    try:
        export_torch(make_model(), directory / "rejected.json")
    except ValueError as e:
        return None if expected_text in str(e) else f"message {str(e)!r} lacks {expected_text!r}"
    return "exported without a ValueError"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cli", required=True, help="the rtconv binary")
    cli = parser.parse_args().cli
    generator = torch.Generator().manual_seed(20240611)
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        for name, make_model, channels, data_format, dtype in MODELS:
            problem = run_case(cli, directory, name, make_model, channels, data_format, dtype, generator)
            print(f"{'FAIL' if problem else 'ok  '} export {name}" + (f": {problem}" if problem else ""))
            failures += bool(problem)
        for what, make_model, expected_text in REJECTED:
            problem = rejection_failure(make_model, expected_text, directory)
            print(f"{'FAIL' if problem else 'ok  '} rejects {what}" + (f": {problem}" if problem else ""))
            failures += bool(problem)
    total = len(MODELS) + len(REJECTED)
    print(f"{total - failures} of {total} passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
