#!/usr/bin/python3
"""Export PyTorch and Keras models to rtconv's native model file (DESIGN §3).

The file is what Keras 3 ``model.to_json()`` writes for a ``Sequential`` model, plus a top-level
``"weights": {"<layer name>": [kernel, bias]}`` with each array as a nested list in
``layer.get_weights()`` order and shape.

PyTorch (``export_torch``) takes an ``nn.Sequential`` of

- ``nn.Conv1d`` -> ``Conv1D``: ``padding=0`` or ``"valid"`` is ``valid``; ``padding="same"``, or
  the symmetric ``padding=(k_eff-1)//2`` with stride 1 and an odd receptive field
  ``k_eff = dilation*(k-1)+1``, is ``same``; ``nn.ConstantPad1d((k_eff-1, 0), 0.0)`` right before a
  ``padding=0`` conv is ``causal``. Zero padding only; ``groups`` carries over.
- ``nn.ConvTranspose1d`` -> ``Conv1DTranspose`` (``groups=1``): exported when some Keras
  ``padding``/``output_padding`` pair gives the same output length and alignment as torch's
  ``padding``/``output_padding``, e.g. ``padding=0`` -> ``valid``, and
  ``kernel_size=2*stride, padding=stride//2`` (even stride) -> ``same``. The common
  ``kernel_size=3, stride=2, padding=1, output_padding=1`` is one sample off Keras' ``same``
  (Keras crops ``(k_eff-s)//2`` on the left, torch ``padding``) and is refused.
- activations after a conv, which become its ``activation``: ReLU, ReLU6, LeakyReLU(0.2), ELU(1),
  SELU, CELU(1), GELU (exact), SiLU, Mish, Sigmoid, Hardsigmoid, LogSigmoid, Tanh, Hardtanh(-1, 1),
  Tanhshrink, Softshrink(0.5), Hardshrink(0.5), Softplus(beta=1), Softsign, Hardswish, and
  Softmax / LogSoftmax over the Keras last axis (torch dim 1 for channels_last, dim 2 for
  channels_first). ``nn.Identity`` is skipped.

Anything else raises ``ValueError`` naming the module's index, class and field.

PyTorch convolutions take (batch, channels, steps); the exported model takes (batch, steps,
channels) when ``data_format="channels_last"`` (the default) and the torch layout with
``"channels_first"``.

Keras (``export_keras``) is duck-typed on ``model.to_json()`` and ``layer.get_weights()``; it is not
tested here because Keras is not installed in the build environment.

Command line:
    rtconv_export.py torch MODEL.pt OUT.json [--input-channels C] [--data-format F] [--name N]
        (MODEL.pt: a whole nn.Sequential saved with torch.save(model, path))
    rtconv_export.py keras MODEL.keras OUT.json
"""
import argparse
import json
from pathlib import Path

FORMATS = ("channels_last", "channels_first")


# --- the Keras 3 JSON form -------------------------------------------------------------------

def _dtype_policy(dtype):
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": dtype}, "registered_name": None}


def _initializer(class_name, config):
    return {"module": "keras.initializers", "class_name": class_name, "config": config, "registered_name": None}


def _unknown_steps_shape(channels, data_format):
    return [None, channels, None] if data_format == "channels_first" else [None, None, channels]


def _conv_layer(class_name, options, data_format, dtype, in_channels):
    """A Keras 3 Conv1D / Conv1DTranspose layer entry, with Keras' defaults for the training-only keys."""
    config = {
        "name": options["name"], "trainable": True, "dtype": _dtype_policy(dtype),
        "filters": options["filters"], "kernel_size": [options["kernel_size"]], "strides": [options["strides"]],
        "padding": options["padding"], "data_format": data_format, "dilation_rate": [options["dilation_rate"]],
    }
    if class_name == "Conv1D":
        config["groups"] = options["groups"]
    else:
        op = options["output_padding"]
        config["output_padding"] = None if op is None else [op]
    config.update({
        "activation": options["activation"], "use_bias": options["use_bias"],
        "kernel_initializer": _initializer("GlorotUniform", {"seed": None}),
        "bias_initializer": _initializer("Zeros", {}),
        "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
        "kernel_constraint": None, "bias_constraint": None,
    })
    return {"module": "keras.layers", "class_name": class_name, "config": config, "registered_name": None,
            "build_config": {"input_shape": _unknown_steps_shape(in_channels, data_format)}}


def _sequential_document(name, layers, weights, input_channels, data_format, dtype):
    input_shape = _unknown_steps_shape(input_channels, data_format)
    input_layer = {"module": "keras.layers", "class_name": "InputLayer",
                   "config": {"batch_shape": input_shape, "dtype": dtype, "sparse": False, "name": "input_layer"},
                   "registered_name": None}
    return {"module": "keras", "class_name": "Sequential",
            "config": {"name": name, "trainable": True, "dtype": _dtype_policy(dtype),
                       "layers": [input_layer] + layers, "build_input_shape": input_shape},
            "registered_name": None, "build_config": {"input_shape": input_shape},
            "weights": weights}


def _write_document(document, path):
    """Indented JSON, with each layer's weights on one line so the file stays readable."""
    weights = document["weights"]
    body = json.dumps({k: v for k, v in document.items() if k != "weights"}, indent=2)
    lines = ",\n".join(f"    {json.dumps(name)}: {json.dumps(arrays)}" for name, arrays in weights.items())
    Path(path).write_text(body[: -len("\n}")] + ',\n  "weights": {\n' + lines + "\n  }\n}\n")


# --- PyTorch ------------------------------------------------------------------------------------

def _fail(index, module, field, message):
    where = f"module [{index}] ({type(module).__name__})"
    raise ValueError(f"{where}: {field}: {message}" if field else f"{where}: {message}")


def _torch_activation(index, module, data_format):
    """The Keras activation name for an activation module, None when it is not one."""
    import torch.nn as nn

    def require(field, value, expected, keras_name):
        if value != expected:
            _fail(index, module, field, f"{value!r} is not expressible; Keras' {keras_name!r} has {field}={expected!r}")
        return keras_name

    plain = {nn.ReLU: "relu", nn.ReLU6: "relu6", nn.SELU: "selu", nn.SiLU: "silu", nn.Mish: "mish",
             nn.Sigmoid: "sigmoid", nn.Hardsigmoid: "hard_sigmoid", nn.LogSigmoid: "log_sigmoid", nn.Tanh: "tanh",
             nn.Tanhshrink: "tanh_shrink", nn.Softsign: "softsign", nn.Hardswish: "hard_silu"}
    if type(module) in plain:
        return plain[type(module)]
    if isinstance(module, nn.LeakyReLU):
        return require("negative_slope", module.negative_slope, 0.2, "leaky_relu")
    if isinstance(module, nn.ELU):
        return require("alpha", module.alpha, 1.0, "elu")
    if isinstance(module, nn.CELU):
        return require("alpha", module.alpha, 1.0, "celu")
    if isinstance(module, nn.GELU):
        return require("approximate", module.approximate, "none", "gelu")
    if isinstance(module, nn.Hardtanh):
        require("min_val", module.min_val, -1.0, "hard_tanh")
        return require("max_val", module.max_val, 1.0, "hard_tanh")
    if isinstance(module, nn.Softshrink):
        return require("lambd", module.lambd, 0.5, "soft_shrink")
    if isinstance(module, nn.Hardshrink):
        return require("lambd", module.lambd, 0.5, "hard_shrink")
    if isinstance(module, nn.Softplus):
        # torch returns x itself above `threshold`; from 20 on that differs from log(1 + e^x) by < 3e-9.
        if module.threshold < 20:
            _fail(index, module, "threshold", f"{module.threshold!r} is below 20; Keras' softplus has no cut-off")
        return require("beta", module.beta, 1, "softplus")
    if isinstance(module, (nn.Softmax, nn.LogSoftmax)):
        keras_name = "softmax" if isinstance(module, nn.Softmax) else "log_softmax"
        # Keras acts on the last axis as laid out; torch modules see (batch, channels, steps).
        last_axis = (1, -2) if data_format == "channels_last" else (2, -1)
        if module.dim not in last_axis:
            _fail(index, module, "dim", f"{module.dim!r} is not the Keras last axis; a {data_format} model needs "
                                        f"dim={last_axis[0]} (or {last_axis[1]})")
        return keras_name
    return None


def _conv1d_padding(index, module, pad_before):
    """Keras' padding for an nn.Conv1d, given the ConstantPad1d in front of it (or None)."""
    k_eff = module.dilation[0] * (module.kernel_size[0] - 1) + 1
    padding = module.padding if isinstance(module.padding, str) else module.padding[0]
    if padding != "valid" and padding != 0 and module.padding_mode != "zeros":
        _fail(index, module, "padding_mode", f"{module.padding_mode!r}; Keras pads with zeros")
    if pad_before is not None:
        if padding not in ("valid", 0):
            _fail(index, module, "padding", f"{module.padding!r} after a ConstantPad1d; causal needs padding=0")
        if pad_before != (k_eff - 1, 0):
            _fail(index, module, "padding", f"the ConstantPad1d before it pads {pad_before}, causal pads "
                                            f"(dilation*(kernel_size-1), 0) = ({k_eff - 1}, 0)")
        return "causal"
    if padding in ("valid", 0):
        return "valid"
    # torch's "same" pads (k_eff-1)//2 on the left and the rest on the right, as Keras does at stride 1.
    if padding == "same" or (module.stride[0] == 1 and k_eff % 2 == 1 and padding == (k_eff - 1) // 2):
        return "same"
    _fail(index, module, "padding", f"{module.padding!r} is not expressible in Keras: use 0 (valid), 'same' or "
                                    f"{(k_eff - 1) // 2} with stride 1 and an odd dilation*(kernel_size-1)+1 (same), "
                                    f"or a ConstantPad1d(({k_eff - 1}, 0), 0.0) before a padding=0 conv (causal)")


def _keras_transpose_alignment(k_eff, stride, padding, output_padding):
    """(c, crop): Keras' Conv1DTranspose output has (L-1)*stride + c samples, taken from the full
    transpose output (length (L-1)*stride + k_eff, zeros after it) from sample `crop` on."""
    if output_padding is None:
        c = max(k_eff, stride) if padding == "valid" else stride
    else:
        c = k_eff + output_padding if padding == "valid" else k_eff % 2 + output_padding
    return c, 0 if padding == "valid" else max(0, k_eff - c) // 2


def _conv_transpose_padding(index, module):
    """Keras' (padding, output_padding) for an nn.ConvTranspose1d with the same output."""
    if module.padding_mode != "zeros":
        _fail(index, module, "padding_mode", f"{module.padding_mode!r}; only zeros exists for transposed convs")
    stride, k_eff = module.stride[0], module.dilation[0] * (module.kernel_size[0] - 1) + 1
    torch_crop, torch_extra = module.padding[0], module.output_padding[0]
    # torch: (L-1)*stride - 2*padding + k_eff + output_padding samples, from full-output sample `padding` on.
    wanted = (k_eff - 2 * torch_crop + torch_extra, torch_crop)
    for padding in ("valid", "same"):
        for output_padding in [None] + list(range(stride)):
            if _keras_transpose_alignment(k_eff, stride, padding, output_padding) == wanted:
                return padding, output_padding
    _fail(index, module, "padding", f"padding={torch_crop} with output_padding={torch_extra} matches no Keras output: "
                                    f"at stride {stride} and receptive field {k_eff}, Keras 'same' skips "
                                    f"{max(0, k_eff - stride) // 2} samples on the left for L*{stride} samples "
                                    f"and 'valid' skips none")


def _torch_conv_options(index, module, pad_before, name):
    import torch.nn as nn

    options = {"name": name, "filters": module.out_channels, "kernel_size": module.kernel_size[0],
               "strides": module.stride[0], "dilation_rate": module.dilation[0], "activation": "linear",
               "use_bias": module.bias is not None}
    if options["strides"] > 1 and options["dilation_rate"] > 1:
        _fail(index, module, "stride", "Keras does not support stride > 1 together with dilation > 1")
    if isinstance(module, nn.Conv1d):
        options["padding"] = _conv1d_padding(index, module, pad_before)
        options["groups"] = module.groups
    else:
        if module.groups != 1:
            _fail(index, module, "groups", f"{module.groups}; Keras' Conv1DTranspose has no groups")
        options["padding"], options["output_padding"] = _conv_transpose_padding(index, module)
    # Conv1d (filters, in/groups, k) -> Keras (k, in/groups, filters);
    # ConvTranspose1d (in, filters, k) -> Keras (k, filters, in).
    kernel = module.weight.detach().permute(2, 1, 0)
    arrays = [kernel.tolist()] + ([module.bias.detach().tolist()] if module.bias is not None else [])
    return options, arrays


def export_torch(model, path, input_channels=None, data_format="channels_last", name="sequential"):
    """Writes `model` (an nn.Sequential, see the module docstring) as an rtconv model file at `path`.

    input_channels: the model's input channels; defaults to the first conv's in_channels, and is
    checked against it when given. data_format: the exported model's layout, "channels_last"
    (batch, steps, channels) or "channels_first" (batch, channels, steps, torch's own).
    The dtype is the parameters' (float64 stays float64, anything else is float32).
    Returns the written document. Raises ValueError for what Keras cannot express.
    """
    import torch
    import torch.nn as nn

    if not isinstance(model, nn.Sequential):
        raise ValueError(f"expected an nn.Sequential, got {type(model).__name__}")
    if data_format not in FORMATS:
        raise ValueError(f"data_format must be one of {FORMATS}, got {data_format!r}")
    parameters = list(model.parameters())
    dtype = "float64" if parameters and parameters[0].dtype == torch.float64 else "float32"

    layers, weights, counts = [], {}, {}
    channels = input_channels
    pad_before = None  # a ConstantPad1d waiting for its conv: (left, right)
    last = None  # the previous conv's config, while an activation may still join it
    for index, module in enumerate(model):
        if pad_before is not None and not isinstance(module, nn.Conv1d):
            _fail(index, module, "", "a ConstantPad1d must come right before the nn.Conv1d it makes causal")
        if isinstance(module, nn.Identity):
            continue
        if isinstance(module, nn.ConstantPad1d):
            if module.value != 0:
                _fail(index, module, "value", f"{module.value!r}; causal padding pads zeros")
            pad_before, last = tuple(module.padding), None
            continue
        if isinstance(module, (nn.Conv1d, nn.ConvTranspose1d)):
            class_name = "Conv1D" if isinstance(module, nn.Conv1d) else "Conv1DTranspose"
            if channels is None:
                channels = input_channels = module.in_channels
            elif module.in_channels != channels:
                _fail(index, module, "in_channels", f"{module.in_channels}, but its input has {channels} channels")
            base = "conv1d" if class_name == "Conv1D" else "conv1d_transpose"
            layer_name = base if base not in counts else f"{base}_{counts[base]}"  # Keras' auto names
            counts[base] = counts.get(base, 0) + 1
            options, arrays = _torch_conv_options(index, module, pad_before, layer_name)
            layers.append(_conv_layer(class_name, options, data_format, dtype, channels))
            weights[layer_name] = arrays
            channels, pad_before, last = module.out_channels, None, layers[-1]["config"]
            continue
        activation = _torch_activation(index, module, data_format)
        if activation is None:
            _fail(index, module, "", "unsupported module; rtconv exports nn.Conv1d, nn.ConvTranspose1d, "
                                     "nn.ConstantPad1d before a Conv1d (causal), activations and nn.Identity")
        if last is None or last["activation"] != "linear":
            _fail(index, module, "", "an activation must follow an nn.Conv1d or nn.ConvTranspose1d "
                                     "(each conv takes one activation)")
        last["activation"] = activation
    if pad_before is not None:
        raise ValueError("the model ends with a ConstantPad1d; it must come right before an nn.Conv1d")
    if not layers:
        raise ValueError("the model has no nn.Conv1d or nn.ConvTranspose1d")

    document = _sequential_document(name, layers, weights, input_channels, data_format, dtype)
    _write_document(document, path)
    return document


# --- Keras --------------------------------------------------------------------------------------

def export_keras(model, path):
    """Writes a Keras Sequential model as an rtconv model file: model.to_json() plus the weights.

    Duck-typed (model.to_json(), model.layers, layer.name, layer.get_weights()), so Keras 2 and 3
    both work; untested here, as Keras is not installed in the build environment.
    """
    document = json.loads(model.to_json())
    document["weights"] = {layer.name: [w.tolist() for w in layer.get_weights()]
                           for layer in model.layers if layer.get_weights()}
    _write_document(document, path)
    return document


def main(argv=None):
    parser = argparse.ArgumentParser(description="Export a PyTorch or Keras model to an rtconv model file.")
    commands = parser.add_subparsers(dest="framework", required=True)
    torch_command = commands.add_parser("torch", help="an nn.Sequential saved whole with torch.save(model, path)")
    torch_command.add_argument("model")
    torch_command.add_argument("output")
    torch_command.add_argument("--input-channels", type=int)
    torch_command.add_argument("--data-format", choices=FORMATS, default="channels_last")
    torch_command.add_argument("--name", default="sequential")
    keras_command = commands.add_parser("keras", help="a model keras.models.load_model reads")
    keras_command.add_argument("model")
    keras_command.add_argument("output")
    args = parser.parse_args(argv)
    try:
        if args.framework == "torch":
            import torch

            export_torch(torch.load(args.model), args.output, args.input_channels, args.data_format, args.name)
        else:
            import keras

            export_keras(keras.models.load_model(args.model), args.output)
    except ValueError as e:
        parser.exit(1, f"rtconv_export: error: {e}\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
