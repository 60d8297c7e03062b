#!/usr/bin/python3
"""Writes tests/fixtures/nam/: small random NAM .nam WaveNets with PyTorch references.

The reference real renders (tests/fixtures/reference) cover only classic 0.5.x files. These models
exercise the keys newer NAM files use: per-layer kernel_sizes, a bottleneck narrower than the
channels, per-layer activation objects with parameters, gating_mode none / gated / blended with a
secondary_activation, layer1x1 inactive, head1x1 active, a head {out_channels, kernel_size, bias},
three layer arrays, file versions 0.5.4 / 0.6.0 / 0.7.0, sample_rate present / absent, metadata.

The forward computation below is NAM's WaveNet as the .nam format notes describe it (config keys,
flat weight order, conv tap convention, gating, head chaining, head_scale as the last weight), in
float64 torch; it shares no code with rtconv.

Files written:
    <model>.nam     the model
    input.npy       float32 (STEPS,): the input every model is run on (seeded noise)
    <model>.npy     float32 (2, STEPS): row 0 the output from zero history (the whole-sequence
                    output and an un-prewarmed stream), row 1 the output after NAM's prewarm (the
                    steady state of silence, reached here by running RECEPTIVE_FIELD zeros first)

Weights are drawn with 4 decimals, so the JSON stays short and the float32 value rtconv reads is
the float32 value used here. Deterministic (fixed seed).
Run:  /usr/bin/python3 python/make_nam_fixtures.py
"""
import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

OUTPUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "nam"
SEED = 20250307
STEPS = 600


# --- activations by NAM's names ------------------------------------------------------------------

def fast_tanh(x):
    ax = x.abs()
    x2 = x * x
    return (x * (2.45550750702956 + 2.45550750702956 * ax + (0.893229853513558 + 0.821226666969744 * ax) * x2)
            / (2.44506634652299 + (2.44506634652299 + x2) * (x + 0.814642734961073 * x * ax).abs()))


def leaky_hard_tanh(x, min_val=-1.0, max_val=1.0, min_slope=0.01, max_slope=0.01):
    return torch.where(x < min_val, (x - min_val) * min_slope + min_val,
                       torch.where(x > max_val, (x - max_val) * max_slope + max_val, x))


def prelu(x, config):
    """Rows of x are channels; negative_slopes gives one slope per channel."""
    slopes = config.get("negative_slopes")
    slope = (torch.tensor(slopes, dtype=x.dtype)[:, None] if slopes is not None
             else config.get("negative_slope", 0.01))
    return torch.where(x > 0, x, slope * x)


def activation(config):
    """The function of an activation config: a name, or {"type": name, parameters...}."""
    if isinstance(config, str):
        config = {"type": config}
    kind = config["type"]
    functions = {
        "Tanh": torch.tanh,
        "Fasttanh": fast_tanh,
        "Hardtanh": lambda x: x.clamp(-1.0, 1.0),
        "LeakyHardtanh": lambda x: leaky_hard_tanh(x, **{k: v for k, v in config.items() if k != "type"}),
        "ReLU": torch.relu,
        "LeakyReLU": lambda x: torch.where(x > 0, x, config.get("negative_slope", 0.01) * x),
        "PReLU": lambda x: prelu(x, config),
        "Sigmoid": torch.sigmoid,
        "SiLU": lambda x: x * torch.sigmoid(x),
        "Hardswish": lambda x: x * (x + 3.0).clamp(0.0, 6.0) / 6.0,
        "Softsign": lambda x: x / (1.0 + x.abs()),
    }
    return functions[kind]


# --- the config, normalized ----------------------------------------------------------------------

def per_layer(value, layer):
    """A key that is one value for every layer or a list of one per layer."""
    return value[layer] if isinstance(value, list) else value


def layer_arrays(config):
    """Each layer array's sizes and per-layer settings, with NAM's defaults filled in."""
    arrays = []
    for array in config["layers"]:
        channels = array["channels"]
        bottleneck = array.get("bottleneck", channels)
        head1x1 = array.get("head1x1", {})
        head1x1_out = head1x1["out_channels"] if head1x1.get("active", False) else None
        head = array.get("head") or {"out_channels": array["head_size"], "kernel_size": 1, "bias": array["head_bias"]}
        layers = []
        for i, dilation in enumerate(array["dilations"]):
            if "gating_mode" in array:
                gating = per_layer(array["gating_mode"], i)
                secondary = per_layer(array.get("secondary_activation"), i) or "Sigmoid"
            else:
                gating = "gated" if array.get("gated", False) else "none"
                secondary = "Sigmoid"
            layers.append({
                "kernel_size": array["kernel_sizes"][i] if "kernel_sizes" in array else array["kernel_size"],
                "dilation": dilation,
                "activation": per_layer(array["activation"], i),
                "gating": gating,
                "secondary": secondary,
            })
        arrays.append({
            "input_size": array["input_size"],
            "condition_size": array["condition_size"],
            "channels": channels,
            "bottleneck": bottleneck,
            "layer1x1": array.get("layer1x1", {}).get("active", True),
            "head1x1_out": head1x1_out,
            "head_in": head1x1_out if head1x1_out is not None else bottleneck,
            "head": head,
            "layers": layers,
        })
    return arrays


def weight_shapes(arrays):
    """(name, PyTorch shape) of every weight in NAM's flat order; head_scale is last."""
    shapes = []
    for a, array in enumerate(arrays):
        c, b = array["channels"], array["bottleneck"]
        shapes.append((f"{a}.rechannel.w", (c, array["input_size"], 1)))
        for i, layer in enumerate(array["layers"]):
            out = b if layer["gating"] == "none" else 2 * b
            prefix = f"{a}.{i}."
            shapes.append((prefix + "conv.w", (out, c, layer["kernel_size"])))
            shapes.append((prefix + "conv.b", (out,)))
            shapes.append((prefix + "mixin.w", (out, array["condition_size"], 1)))
            if array["layer1x1"]:
                shapes.append((prefix + "layer1x1.w", (c, b, 1)))
                shapes.append((prefix + "layer1x1.b", (c,)))
            if array["head1x1_out"] is not None:
                shapes.append((prefix + "head1x1.w", (array["head1x1_out"], b, 1)))
                shapes.append((prefix + "head1x1.b", (array["head1x1_out"],)))
        head = array["head"]
        shapes.append((f"{a}.head.w", (head["out_channels"], array["head_in"], head["kernel_size"])))
        if head["bias"]:
            shapes.append((f"{a}.head.b", (head["out_channels"],)))
    shapes.append(("head_scale", ()))
    return shapes


def unflatten(arrays, flat):
    """The flat weight list as named float64 tensors, exactly as float32 holds them."""
    values = torch.tensor(np.asarray(flat, dtype=np.float32).astype(np.float64))
    weights, used = {}, 0
    for name, shape in weight_shapes(arrays):
        size = int(np.prod(shape))
        weights[name] = values[used:used + size].reshape(shape)
        used += size
    assert used == len(flat), f"the config needs {used} weights, the list has {len(flat)}"
    return weights


def receptive_field(arrays):
    return 1 + sum(sum(l["dilation"] * (l["kernel_size"] - 1) for l in array["layers"])
                   + array["head"]["kernel_size"] - 1 for array in arrays)


# --- the forward computation ---------------------------------------------------------------------

def causal_conv(x, weight, bias=None, dilation=1):
    """x (in, T), weight (out, in, K): y[t] = sum_k W[k] x[t - d*(K-1-k)] + b, zeros before t = 0."""
    pad = dilation * (weight.shape[2] - 1)
    return F.conv1d(F.pad(x[None], (pad, 0)), weight, bias, dilation=dilation)[0]


def forward(arrays, weights, signal):
    """signal (T,) float64 -> output (T,), from zero history."""
    condition = signal[None]
    x = condition
    head_out = None
    for a, array in enumerate(arrays):
        x = causal_conv(x, weights[f"{a}.rechannel.w"])
        head = torch.zeros(array["head_in"], signal.shape[0], dtype=signal.dtype) if a == 0 else head_out
        b = array["bottleneck"]
        for i, layer in enumerate(array["layers"]):
            w = lambda name: weights.get(f"{a}.{i}.{name}")
            z = causal_conv(x, w("conv.w"), w("conv.b"), layer["dilation"]) + causal_conv(condition, w("mixin.w"))
            act, secondary = activation(layer["activation"]), activation(layer["secondary"])
            if layer["gating"] == "none":
                out = act(z)
            elif layer["gating"] == "gated":
                out = act(z[:b]) * secondary(z[b:])
            elif layer["gating"] == "blended":
                gate = secondary(z[b:])
                out = gate * act(z[:b]) + (1.0 - gate) * z[:b]
            else:
                raise ValueError(f"gating {layer['gating']!r}")
            head = head + (causal_conv(out, w("head1x1.w"), w("head1x1.b")) if array["head1x1_out"] is not None
                           else out)
            if array["layer1x1"]:
                x = x + causal_conv(out, w("layer1x1.w"), w("layer1x1.b"))
        head_out = causal_conv(head, weights[f"{a}.head.w"], weights.get(f"{a}.head.b"))
    return weights["head_scale"] * head_out[0]


# --- the models ----------------------------------------------------------------------------------

# Classic 0.5.x keys, but gated (the real renders cover only ungated classic files); the config's
# head_scale differs from the last weight, which is the one NAM uses.
GATED_CLASSIC = {
    "version": "0.5.4",
    "sample_rate": 48000,
    "metadata": {"loudness": -18.25, "input_level_dbu": 12.5, "output_level_dbu": 9.0, "name": "gated classic"},
    "config": {
        "layers": [
            {"input_size": 1, "condition_size": 1, "head_size": 2, "channels": 4, "kernel_size": 3,
             "dilations": [1, 2, 4, 8], "activation": "Tanh", "gated": True, "head_bias": False},
            {"input_size": 4, "condition_size": 1, "head_size": 1, "channels": 2, "kernel_size": 3,
             "dilations": [1, 2, 4], "activation": "Tanh", "gated": True, "head_bias": True},
        ],
        "head": None,
        "head_scale": 0.02,
    },
}

# Per-layer kernel_sizes, activation objects, gating modes and secondary activations; a bottleneck
# narrower than the channels; head1x1 and a head conv of kernel 3 with bias. No sample_rate.
MIXED_LAYERS = {
    "version": "0.6.0",
    "config": {
        "layers": [
            {"input_size": 1, "condition_size": 1, "channels": 5, "bottleneck": 3,
             "kernel_sizes": [2, 3, 4, 3], "dilations": [1, 2, 4, 8],
             "activation": [{"type": "LeakyReLU", "negative_slope": 0.2},
                            {"type": "PReLU", "negative_slopes": [0.1, 0.3, -0.2]},
                            "Fasttanh",
                            {"type": "LeakyHardtanh", "min_val": -0.5, "max_val": 0.8, "min_slope": 0.05,
                             "max_slope": 0.2}],
             "gating_mode": ["none", "gated", "blended", "gated"],
             "secondary_activation": [None, {"type": "Softsign"}, "Sigmoid", {"type": "SiLU"}],
             "layer1x1": {"active": True, "groups": 1},
             "head1x1": {"active": True, "out_channels": 3, "groups": 1},
             "head": {"out_channels": 2, "kernel_size": 3, "bias": True}},
            {"input_size": 5, "condition_size": 1, "channels": 3, "bottleneck": 2, "kernel_size": 2,
             "dilations": [1, 3], "activation": {"type": "Softsign"}, "gating_mode": "blended",
             "secondary_activation": {"type": "Sigmoid"},
             "head1x1": {"active": True, "out_channels": 2},
             "head": {"out_channels": 1, "kernel_size": 2, "bias": False}},
        ],
        "head": None,
        "head_scale": 1.0,
    },
}

# Three arrays: layer1x1 inactive in the first, head kernels 2 and 3 with bias, a per-layer gating
# list with a null secondary, and the legacy head_size / head_bias keys in the last.
THREE_ARRAYS = {
    "version": "0.7.0",
    "sample_rate": 44100,
    "metadata": {"loudness": -21.5, "input_level_dbu": 18.0, "output_level_dbu": 6.25},
    "config": {
        "layers": [
            {"input_size": 1, "condition_size": 1, "channels": 4, "bottleneck": 4,
             "kernel_sizes": [3, 2, 3], "dilations": [1, 2, 8],
             "activation": [{"type": "Hardswish"}, "SiLU", {"type": "Hardtanh"}], "gating_mode": "none",
             "layer1x1": {"active": False, "groups": 1},
             "head": {"out_channels": 3, "kernel_size": 2, "bias": True}},
            {"input_size": 4, "condition_size": 1, "channels": 3, "bottleneck": 3, "kernel_size": 3,
             "dilations": [2, 4], "activation": "Softsign", "gating_mode": ["gated", "none"],
             "secondary_activation": ["Sigmoid", None],
             "head1x1": {"active": True, "out_channels": 3, "groups": 1},
             "head": {"out_channels": 2, "kernel_size": 3, "bias": True}},
            {"input_size": 3, "condition_size": 1, "channels": 2, "kernel_size": 2, "dilations": [1, 1, 2],
             "activation": "ReLU", "gated": False, "head_size": 1, "head_bias": True},
        ],
        "head": None,
        "head_scale": 0.5,
    },
}

# Parameter defaults: PReLU with one negative_slope, LeakyReLU without one, a gated layer whose
# secondary activation is left to its default (Sigmoid), Sigmoid as the main activation.
DEFAULTS = {
    "version": "0.6.0",
    "sample_rate": 48000.0,
    "config": {
        "layers": [
            {"input_size": 1, "condition_size": 1, "channels": 3, "bottleneck": 2, "kernel_size": 3,
             "dilations": [1, 4, 2],
             "activation": [{"type": "PReLU", "negative_slope": 0.25}, {"type": "LeakyReLU"}, "Sigmoid"],
             "gating_mode": ["none", "gated", "none"],
             "head": {"out_channels": 1, "kernel_size": 1, "bias": True}},
        ],
        "head": None,
        "head_scale": 1.0,
    },
}

MODELS = {
    "gated_classic": GATED_CLASSIC,
    "mixed_layers": MIXED_LAYERS,
    "three_arrays": THREE_ARRAYS,
    "defaults": DEFAULTS,
}


def random_values(rng, count, scale):
    return [round(float(v), 4) for v in rng.uniform(-scale, scale, count)]


def main():
    rng = np.random.default_rng(SEED)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    signal32 = (0.5 * rng.standard_normal(STEPS)).astype(np.float32)
    np.save(OUTPUT / "input.npy", signal32)
    signal = torch.tensor(signal32.astype(np.float64))
    for name, model in MODELS.items():
        document = {"version": model["version"], "architecture": "WaveNet", "config": model["config"],
                    **{key: model[key] for key in ("sample_rate", "metadata") if key in model}}
        arrays = layer_arrays(model["config"])
        shapes = weight_shapes(arrays)
        count = sum(int(np.prod(shape)) for _, shape in shapes)
        document["weights"] = random_values(rng, count - 1, 0.6) + [round(float(rng.uniform(0.3, 0.9)), 4)]
        weights = unflatten(arrays, document["weights"])

        warmup = receptive_field(arrays)
        fresh = forward(arrays, weights, signal)
        prewarmed = forward(arrays, weights, torch.cat([torch.zeros(warmup, dtype=signal.dtype), signal]))[warmup:]
        (OUTPUT / f"{name}.nam").write_text(json.dumps(document) + "\n")
        np.save(OUTPUT / f"{name}.npy", torch.stack([fresh, prewarmed]).numpy().astype(np.float32))
        print(f"{name}: {count} weights, receptive field {warmup}, output rms {float(fresh.pow(2).mean().sqrt()):.3f}")


if __name__ == "__main__":
    main()
