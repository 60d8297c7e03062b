// RTNeural's JSON model (what RTNeural's python/model_utils.py writes for a Keras model):
//   {"in_shape": [null, null, C], "layers": [{"type", "shape", "weights", "activation", ...}, ...]}
// Each layer's "weights" are Keras' get_weights() arrays of the layer it came from, so each maps
// onto that Keras layer: conv1d -> causal Conv1D (RTNeural runs every conv1d causally; kernel
// (kernel_size, in, out) as Keras stores it: RTNeural's loader reverses the taps only for its own
// state order), dense -> Dense, activation -> Activation, prelu -> PReLU with the time axis shared,
// batchnorm -> BatchNormalization. An activation named in a conv1d or dense entry is the Keras
// layer's own, which RTNeural runs as a layer after it.
#include "json_reading.hpp"
#include "layer_config.hpp"
#include "limits.hpp"
#include "model_formats.hpp"
#include "rtconv/activation_layer.hpp"
#include "rtconv/batch_normalization.hpp"
#include "rtconv/conv1d.hpp"
#include "rtconv/dense.hpp"
#include "rtconv/error.hpp"
#include "rtconv/prelu.hpp"
#include "weight_budget.hpp"

#include <array>
#include <memory>
#include <string_view>

namespace rtconv::detail {
namespace {

using nlohmann::json;

/// The activation names RTNeural's loader knows (its createActivation); "" is none.
constexpr std::array<std::string_view, 5> rtneural_activations = {"tanh", "relu", "sigmoid", "softmax", "elu"};

Activation read_activation(const json& entry, const Where& where)
{
    const json* value = find_member(entry, "activation");
    if (!value) return {};
    if (!value->is_string()) where.fail("activation", "expected an activation name (a string), got " + value->dump());
    const std::string name = value->get<std::string>();
    if (name.empty()) return {};
    for (std::string_view known : rtneural_activations)
        if (name == known) return Activation(name);
    where.fail("activation", "unknown activation '" + name + "' (RTNeural's activations: tanh, relu, sigmoid, "
                             "softmax, elu)");
}

/// A positive integer written as 3 or [3] (Keras' tuples, as RTNeural's exporter copies them).
int read_positive_int(const json& entry, const char* key, const Where& where)
{
    if (!find_member(entry, key)) where.fail(key, "missing");
    const int value = where.run(key, [&] { return int_or_single(entry, key); });
    if (value <= 0) where.fail(key, "expected a positive integer, got " + std::to_string(value));
    return value;
}

/// The channel count ending the layer's "shape" (its Keras output shape), which RTNeural requires.
std::size_t read_output_channels(const json& entry, const Where& where)
{
    const json* shape = find_member(entry, "shape");
    if (!shape) where.fail("shape", "missing; expected the layer's output shape, e.g. [null, null, 8]");
    // An int, as Keras' sizes are: a wider count would wrap when it becomes filters or units.
    if (!shape->is_array() || shape->empty() || !int_value(shape->back()) || *int_value(shape->back()) <= 0)
        where.fail("shape", "expected the layer's output shape, a list ending in its channel count, got " +
                                shape->dump());
    return shape->back().get<std::size_t>();
}

const json& read_weights(const json& entry, const Where& where)
{
    const json* weights = find_member(entry, "weights");
    if (!weights) where.fail("weights", "missing");
    return *weights;
}

/// The rtconv layer for one RTNeural entry, not built yet. Its fields are checked here; of the
/// constructors' own checks only rtconv's limits (beyond RTNeural's) can fail, reported at `where`.
std::unique_ptr<Layer> make_layer(const std::string& type, const json& entry, const std::string& name,
                                  std::size_t in_channels, const Where& where)
{
    if (type == "conv1d") {
        if (const json* groups = find_member(entry, "groups"); groups && *groups != json(1))
            where.fail("groups", "RTNeural reads conv1d weights as one group; got groups " + groups->dump());
        Conv1DOptions o;
        o.filters = static_cast<int>(read_output_channels(entry, where));
        o.kernel_size = read_positive_int(entry, "kernel_size", where);
        o.padding = "causal";
        o.dilation_rate = read_positive_int(entry, "dilation", where);
        o.activation = read_activation(entry, where);
        o.use_bias = read_weights(entry, where).size() != 1;
        o.name = name;
        return where.run("", [&] { return std::make_unique<Conv1D>(std::move(o)); });
    }
    if (type == "dense" || type == "time-distributed-dense") {
        DenseOptions o;
        o.units = static_cast<int>(read_output_channels(entry, where));
        o.activation = read_activation(entry, where);
        o.use_bias = read_weights(entry, where).size() != 1;
        o.name = name;
        return std::make_unique<Dense>(std::move(o));
    }
    if (type == "activation") {
        ActivationLayerOptions o;
        o.activation = read_activation(entry, where);
        o.name = name;
        return std::make_unique<ActivationLayer>(std::move(o));
    }
    if (type == "prelu") {
        // Keras' alpha is (1, channels) with the time axis shared, (1, 1) with channels shared too.
        const json& weights = read_weights(entry, where);
        const bool one_alpha = in_channels > 1 && weights.is_array() && weights.size() == 1 &&
                               nested_list_shape(weights[0]) == Shape{1, 1};
        PReLUOptions o;
        o.shared_axes = one_alpha ? std::vector<int>{1, 2} : std::vector<int>{1};
        o.name = name;
        return std::make_unique<PReLU>(std::move(o));
    }
    // batchnorm: RTNeural reads 4 arrays as gamma, beta, moving mean and variance, 2 as the moving
    // statistics alone (center = scale = false).
    const json* epsilon = find_member(entry, "epsilon");
    if (!epsilon || !epsilon->is_number())
        where.fail("epsilon", epsilon ? "expected a number, got " + epsilon->dump() : std::string("missing"));
    const bool affine = read_weights(entry, where).size() != 2;
    BatchNormalizationOptions o;
    o.epsilon = epsilon->get<double>();
    o.center = o.scale = affine;
    o.name = name;
    return std::make_unique<BatchNormalization>(std::move(o));
}

/// Why a type RTNeural knows is not one rtconv runs, or "" for the types it runs.
std::string_view unsupported_reason(const std::string& type)
{
    for (std::string_view runs : {"conv1d", "dense", "time-distributed-dense", "activation", "prelu", "batchnorm"})
        if (type == runs) return "";
    if (type == "gru" || type == "lstm") return "recurrent layers have no place in it";
    if (type == "conv2d" || type == "batchnorm2d") return "2-D layers have no place in it";
    return "this type is not one of RTNeural's";
}

} // namespace

Sequential rtneural_model_from_json(const json& document, const std::string& source)
{
    const Where file{source, ""};
    const WeightBudget budget(count_values(document));
    const json* in_shape = find_member(document, "in_shape");
    if (!in_shape) file.fail("in_shape", "missing; expected the model's input shape, e.g. [null, null, 1]");
    if (!in_shape->is_array() || in_shape->empty() || !in_shape->back().is_number_integer() ||
        in_shape->back().get<std::int64_t>() <= 0)
        file.fail("in_shape", "expected the model's input shape, a list ending in its channel count, got " +
                                  in_shape->dump());
    if (in_shape->size() == 4)
        file.fail("in_shape", "a 4-d input (RTNeural's conv2d models): rtconv runs 1-D sequence models");
    const json* layers = find_member(document, "layers");
    if (!layers || !layers->is_array()) file.fail("layers", "missing or not a list");
    if (layers->size() > kMaxLayers)
        file.fail("layers", std::to_string(layers->size()) + " layers, more than rtconv's limit of " +
                                std::to_string(kMaxLayers));

    // Built into a local model that is returned only complete: a failure leaves nothing behind.
    Sequential model("rtneural");
    std::size_t channels = in_shape->back().get<std::size_t>();
    model.set_input_shape({std::nullopt, std::nullopt, static_cast<std::int64_t>(channels)});
    for (std::size_t i = 0; i < layers->size(); ++i) {
        const json& entry = (*layers)[i];
        const std::string index = std::to_string(i);
        if (!entry.is_object()) file.fail("layers[" + index + "]", "expected a layer object {\"type\": ...}");
        const std::string type = string_member(entry, "type");
        if (type.empty()) file.fail("layers[" + index + "].type", "missing or not a string");
        if (const std::string_view reason = unsupported_reason(type); !reason.empty())
            file.fail("layers[" + index + "].type",
                      "unsupported layer '" + type + "' (RTNeural layer " + index + "): rtconv runs 1-D "
                      "convolutional models (RTNeural's conv1d, dense, activation, prelu and batchnorm layers); " +
                      std::string(reason));
        const Where where{source, "RTNeural layer " + index + " (" + type + ")"};
        std::unique_ptr<Layer> made = make_layer(type, entry, type + "_" + index, channels, where);
        where.run("", [&] { model.add(std::move(made)); });
        Layer& layer = *model.layers().back();
        if (!layer.variables().empty()) set_weights_from_json(layer, read_weights(entry, where), "weights", where);
        channels = static_cast<std::size_t>(*layer.compute_output_shape({std::nullopt, std::nullopt,
                                                                          static_cast<std::int64_t>(channels)})[2]);
        if (const std::size_t stated = read_output_channels(entry, where); stated != channels)
            where.fail("shape", "says " + std::to_string(stated) + " output channels; the layer gives " +
                                    std::to_string(channels));
    }
    model.metadata().format = "rtneural";
    return model;
}

} // namespace rtconv::detail
