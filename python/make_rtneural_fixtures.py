#!/usr/bin/python3
"""Writes tests/fixtures/rtneural/: a few models in RTNeural's JSON format (what RTNeural's
python/model_utils.py writes for a Keras model), the same models as rtconv native files (Keras 3
model.to_json() plus "weights"), and cases.json with each model's output over a test input,
computed here in PyTorch (float64).

The reference is written out in torch from each layer's definition, not from rtconv:
  conv1d     RTNeural runs it causally: left-pad (k-1)*d zeros, then convolve. The weights are
             Keras' get_weights(): kernel (k, in, out), which is torch's (out, in, k) permuted.
  dense      x @ kernel + bias, kernel (in, out), on every frame.
  batchnorm  (x - moving_mean) / sqrt(moving_variance + epsilon) * gamma + beta; RTNeural files
             hold [gamma, beta, mean, variance], or [mean, variance] without center/scale.
  prelu      x >= 0 ? x : alpha * x, alpha (1, channels) (Keras shared_axes=[1]) or (1, 1).
  activation RTNeural's names: tanh, relu, sigmoid, softmax (over channels), elu (alpha 1).
Weights and inputs are float32-representable, so float32 and float64 runs see the same model.
Run: /usr/bin/python3 python/make_rtneural_fixtures.py
"""
import json
import pathlib

import torch
import torch.nn.functional as F

STEPS = 96

# Each model: input channels and layers. Layer fields: type, out (channels), k, d, activation,
# affine (batchnorm), epsilon, one_alpha (prelu: one alpha shared by all channels).
MODELS = {
    # Dilations 1..8, as in a TCN.
    "dilated_conv_stack": (1, [
        {"type": "conv1d", "out": 4, "k": 3, "d": 1, "activation": "tanh"},
        {"type": "conv1d", "out": 4, "k": 3, "d": 2, "activation": "tanh"},
        {"type": "conv1d", "out": 4, "k": 2, "d": 4, "activation": "relu"},
        {"type": "conv1d", "out": 4, "k": 3, "d": 8, "activation": ""},
        {"type": "dense", "out": 1, "activation": ""},
    ]),
    # The layer stack of RTNeural's own python/conv.py test model.
    "rtneural_conv_example": (1, [
        {"type": "dense", "out": 8, "activation": "tanh"},
        {"type": "conv1d", "out": 4, "k": 3, "d": 1, "activation": "tanh"},
        {"type": "batchnorm", "affine": True, "epsilon": 0.01},
        {"type": "prelu", "one_alpha": False},
        {"type": "conv1d", "out": 4, "k": 1, "d": 1, "activation": "tanh"},
        {"type": "conv1d", "out": 4, "k": 3, "d": 2, "activation": "tanh"},
        {"type": "batchnorm", "affine": False, "epsilon": 5.0},
        {"type": "prelu", "one_alpha": True},
        {"type": "dense", "out": 1, "activation": "sigmoid"},
    ]),
    # Two input channels; every RTNeural activation, alone and inside conv1d/dense.
    "activations_stereo": (2, [
        {"type": "conv1d", "out": 6, "k": 2, "d": 1, "activation": "elu"},
        {"type": "activation", "activation": "softmax"},
        {"type": "dense", "out": 5, "activation": "relu"},
        {"type": "activation", "activation": "tanh"},
        {"type": "prelu", "one_alpha": False},
        {"type": "conv1d", "out": 3, "k": 3, "d": 3, "activation": "softmax"},
        {"type": "activation", "activation": "sigmoid"},
        {"type": "batchnorm", "affine": True, "epsilon": 1e-3},
        {"type": "dense", "out": 2, "activation": ""},
    ]),
}


def uniform(generator, shape, low, high):
    """float32-representable values, as float64."""
    values = torch.rand(shape, generator=generator, dtype=torch.float64) * (high - low) + low
    return values.to(torch.float32).to(torch.float64)


def make_weights(layer, channels, generator):
    """Keras get_weights() arrays of the layer, in Keras order and layout."""
    kind = layer["type"]
    if kind == "conv1d":
        bound = 1.5 / (layer["k"] * channels) ** 0.5
        return [uniform(generator, (layer["k"], channels, layer["out"]), -bound, bound),
                uniform(generator, (layer["out"],), -0.3, 0.3)]
    if kind == "dense":
        bound = 1.5 / channels ** 0.5
        return [uniform(generator, (channels, layer["out"]), -bound, bound),
                uniform(generator, (layer["out"],), -0.3, 0.3)]
    if kind == "batchnorm":
        statistics = [uniform(generator, (channels,), -0.5, 0.5), uniform(generator, (channels,), 0.5, 2.0)]
        if not layer["affine"]:
            return statistics
        return [uniform(generator, (channels,), 0.5, 1.5), uniform(generator, (channels,), -0.5, 0.5)] + statistics
    if kind == "prelu":
        return [uniform(generator, (1, 1 if layer["one_alpha"] else channels), -0.5, 0.8)]
    return []


def activate(name, x):
    functions = {
        "": lambda v: v,
        "tanh": torch.tanh,
        "relu": F.relu,
        "sigmoid": torch.sigmoid,
        "softmax": lambda v: torch.softmax(v, dim=-1),
        "elu": lambda v: F.elu(v, alpha=1.0),
    }
    return functions[name](x)


def forward(layer, weights, x):
    """One layer over x shaped (steps, channels)."""
    kind = layer["type"]
    if kind == "conv1d":
        kernel, bias = weights
        k, d = layer["k"], layer["d"]
        padded = F.pad(x.T.unsqueeze(0), ((k - 1) * d, 0))
        y = F.conv1d(padded, kernel.permute(2, 1, 0), bias, dilation=d)[0].T
        return activate(layer["activation"], y)
    if kind == "dense":
        kernel, bias = weights
        return activate(layer["activation"], x @ kernel + bias)
    if kind == "batchnorm":
        if layer["affine"]:
            gamma, beta, mean, variance = weights
        else:
            mean, variance = weights
            gamma, beta = torch.ones_like(mean), torch.zeros_like(mean)
        return (x - mean) / torch.sqrt(variance + layer["epsilon"]) * gamma + beta
    if kind == "prelu":
        return torch.where(x >= 0, x, weights[0] * x)
    return activate(layer["activation"], x)


def output_channels(layer, channels):
    return layer.get("out", channels)


def rtneural_entry(layer, weights, channels_out):
    entry = {"type": layer["type"], "activation": layer.get("activation", ""),
             "shape": [None, None, channels_out]}
    if layer["type"] == "conv1d":
        entry["kernel_size"] = [layer["k"]]
        entry["dilation"] = [layer["d"]]
    if layer["type"] == "batchnorm":
        entry["epsilon"] = layer["epsilon"]
    entry["weights"] = [w.tolist() for w in weights]
    return entry


def keras_object(class_name, config, module="keras.initializers"):
    return {"module": module, "class_name": class_name, "config": config, "registered_name": None}


DTYPE = keras_object("DTypePolicy", {"name": "float32"}, module="keras")


def keras_layer(layer, name):
    """The Keras 3 config of the layer the RTNeural entry came from."""
    kind = layer["type"]
    config = {"name": name, "trainable": True, "dtype": DTYPE}
    activation = layer.get("activation") or "linear"
    if kind == "conv1d":
        class_name = "Conv1D"
        config.update({"filters": layer["out"], "kernel_size": [layer["k"]], "strides": [1], "padding": "causal",
                       "data_format": "channels_last", "dilation_rate": [layer["d"]], "groups": 1,
                       "activation": activation, "use_bias": True,
                       "kernel_initializer": keras_object("GlorotUniform", {"seed": None}),
                       "bias_initializer": keras_object("Zeros", {}), "kernel_regularizer": None,
                       "bias_regularizer": None, "activity_regularizer": None, "kernel_constraint": None,
                       "bias_constraint": None})
    elif kind == "dense":
        class_name = "Dense"
        config.update({"units": layer["out"], "activation": activation, "use_bias": True,
                       "kernel_initializer": keras_object("GlorotUniform", {"seed": None}),
                       "bias_initializer": keras_object("Zeros", {}), "kernel_regularizer": None,
                       "bias_regularizer": None, "kernel_constraint": None, "bias_constraint": None})
    elif kind == "batchnorm":
        class_name = "BatchNormalization"
        config.update({"axis": -1, "momentum": 0.99, "epsilon": layer["epsilon"], "center": layer["affine"],
                       "scale": layer["affine"], "beta_initializer": keras_object("Zeros", {}),
                       "gamma_initializer": keras_object("Ones", {}),
                       "moving_mean_initializer": keras_object("Zeros", {}),
                       "moving_variance_initializer": keras_object("Ones", {}), "beta_regularizer": None,
                       "gamma_regularizer": None, "beta_constraint": None, "gamma_constraint": None,
                       "synchronized": False})
    elif kind == "prelu":
        class_name = "PReLU"
        config.update({"alpha_initializer": keras_object("Zeros", {}), "alpha_regularizer": None,
                       "alpha_constraint": None, "shared_axes": [1, 2] if layer["one_alpha"] else [1]})
    else:
        class_name = "Activation"
        config["activation"] = activation
    return keras_object(class_name, config, module="keras.layers")


def main() -> None:
    directory = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "rtneural"
    directory.mkdir(parents=True, exist_ok=True)
    generator = torch.Generator().manual_seed(20261128)
    cases = []
    for model_name, (in_channels, layers) in MODELS.items():
        x = uniform(generator, (STEPS, in_channels), -1.5, 1.5)
        y, channels = x, in_channels
        entries = []
        keras_layers = [keras_object("InputLayer", {"batch_shape": [None, None, in_channels], "dtype": "float32",
                                                    "sparse": False, "name": "input_layer"}, module="keras.layers")]
        keras_weights = {}
        for index, layer in enumerate(layers):
            weights = make_weights(layer, channels, generator)
            y = forward(layer, weights, y)
            channels = output_channels(layer, channels)
            entries.append(rtneural_entry(layer, weights, channels))
            name = f"{layer['type']}_{index}"
            keras_layers.append(keras_layer(layer, name))
            keras_weights[name] = [w.tolist() for w in weights]
        rtneural_file = f"{model_name}.rtneural.json"
        keras_file = f"{model_name}.keras.json"
        (directory / rtneural_file).write_text(json.dumps({"in_shape": [None, None, in_channels],
                                                           "layers": entries}) + "\n")
        keras_model = keras_object("Sequential", {"name": model_name, "trainable": True, "dtype": DTYPE,
                                                  "layers": keras_layers}, module="keras")
        keras_model["weights"] = keras_weights
        (directory / keras_file).write_text(json.dumps(keras_model) + "\n")
        cases.append({"name": model_name, "rtneural": rtneural_file, "keras": keras_file, "steps": STEPS,
                      "input_channels": in_channels, "output_channels": channels,
                      "input": x.flatten().tolist(), "output": y.flatten().tolist()})
    fixture = {"generator": "python/make_rtneural_fixtures.py", "torch_version": torch.__version__, "cases": cases}
    (directory / "cases.json").write_text(json.dumps(fixture) + "\n")
    total = sum(p.stat().st_size for p in directory.iterdir())
    print(f"wrote {len(cases)} models to {directory} ({total} bytes)")


if __name__ == "__main__":
    main()
