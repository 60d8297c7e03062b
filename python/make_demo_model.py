#!/usr/bin/python3
"""Writes the bundled demo: examples/demo_causal_stack.json and examples/demo_input.npy.

The model is a Keras 3 `model.to_json()` Sequential (DESIGN §3) of causal dilated Conv1D layers,
1 -> 8 -> 8 -> 8 -> 8 -> 1 channels, kernel 3, dilations 1, 2, 4, 8, 16, tanh, with Glorot-uniform
weights and small biases drawn from a fixed-seed generator written out here, so the files come
out the same with any NumPy version. The input is one second of a 48 kHz mono test signal
shaped (1, 48000, 1).

Needs only Python 3 and NumPy:  /usr/bin/python3 python/make_demo_model.py
"""
import json
import math
from pathlib import Path

import numpy as np

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SAMPLE_RATE = 48000
FILTERS = [8, 8, 8, 8, 1]
DILATIONS = [1, 2, 4, 8, 16]
KERNEL_SIZE = 3


class SplitMix64:
    """A tiny fixed generator (Steele, Lea and Flood's SplitMix64): uniform doubles in [0, 1)."""

    def __init__(self, seed):
        self.state = seed & 0xFFFFFFFFFFFFFFFF

    def uniform(self, low, high):
        self.state = (self.state + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
        z ^= z >> 31
        return low + (high - low) * (z >> 11) / float(1 << 53)


def float32_array(rng, shape, limit):
    values = [rng.uniform(-limit, limit) for _ in range(int(np.prod(shape)))]
    return np.array(values, dtype=np.float32).reshape(shape)


def dtype_policy():
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}


def initializer(class_name, config):
    return {"module": "keras.initializers", "class_name": class_name, "config": config, "registered_name": None}


def conv1d_entry(name, filters, dilation, in_channels):
    config = {
        "name": name, "trainable": True, "dtype": dtype_policy(),
        "filters": filters, "kernel_size": [KERNEL_SIZE], "strides": [1], "padding": "causal",
        "data_format": "channels_last", "dilation_rate": [dilation], "groups": 1,
        "activation": "tanh", "use_bias": True,
        "kernel_initializer": initializer("GlorotUniform", {"seed": None}),
        "bias_initializer": initializer("Zeros", {}),
        "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
        "kernel_constraint": None, "bias_constraint": None,
    }
    return {"module": "keras.layers", "class_name": "Conv1D", "config": config, "registered_name": None,
            "build_config": {"input_shape": [None, None, in_channels]}}


def demo_model():
    rng = SplitMix64(20240601)
    layers = [{"module": "keras.layers", "class_name": "InputLayer",
               "config": {"batch_shape": [None, None, 1], "dtype": "float32", "sparse": False,
                          "name": "input_layer"},
               "registered_name": None}]
    weights = {}
    in_channels = 1
    for i, (filters, dilation) in enumerate(zip(FILTERS, DILATIONS)):
        name = "conv1d" if i == 0 else f"conv1d_{i}"
        layers.append(conv1d_entry(name, filters, dilation, in_channels))
        # Keras' Glorot-uniform limit with the conv fan rules: fan_in = k*in, fan_out = k*filters.
        limit = math.sqrt(6.0 / (KERNEL_SIZE * in_channels + KERNEL_SIZE * filters))
        kernel = float32_array(rng, (KERNEL_SIZE, in_channels, filters), limit)
        bias = float32_array(rng, (filters,), 0.05)
        weights[name] = [kernel.tolist(), bias.tolist()]
        in_channels = filters
    model = {
        "module": "keras", "class_name": "Sequential",
        "config": {"name": "demo_causal_stack", "trainable": True, "dtype": dtype_policy(), "layers": layers,
                   "build_input_shape": [None, None, 1]},
        "registered_name": None,
        "build_config": {"input_shape": [None, None, 1]},
    }
    return model, weights


def model_text(model, weights):
    """The model readably indented, with each layer's weights on one line."""
    body = json.dumps(model, indent=2)
    lines = ",\n".join(f"    {json.dumps(name)}: {json.dumps(arrays)}" for name, arrays in weights.items())
    return body[: -len("\n}")] + ',\n  "weights": {\n' + lines + "\n  }\n}\n"


def demo_signal():
    """A plucked 220 Hz tone restruck every quarter second, over a quiet 3 kHz tone."""
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    since_pluck = np.mod(t, 0.25)
    pluck = 0.6 * np.exp(-since_pluck / 0.06) * np.sin(2 * np.pi * 220.0 * t)
    tone = 0.05 * np.sin(2 * np.pi * 3000.0 * t)
    return (pluck + tone).astype(np.float32).reshape(1, SAMPLE_RATE, 1)


def main():
    EXAMPLES.mkdir(exist_ok=True)
    model, weights = demo_model()
    (EXAMPLES / "demo_causal_stack.json").write_text(model_text(model, weights))
    np.save(EXAMPLES / "demo_input.npy", demo_signal())


if __name__ == "__main__":
    main()
