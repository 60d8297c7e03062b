// WaveNetVA (Damskägg et al., SMC 2019) JSON: {residual_channels, input_channels,
// output_channels, filter_width, activation, dilations, variables: [{layer_idx, name, data}]}.
// layer_idx -1 is the input 1x1 (W, b), 0..L-1 the stack layers (W_conv or W, b_conv or b, W_out,
// b_out), L the output 1x1 over the concatenated skips (W, b); kernels are flattened
// [tap][in][out] with the last tap on the newest sample, which is Keras' layout. The skips are
// the activations before W_out, so the output 1x1 becomes one head 1x1 per layer (its slice of W)
// summed in the head; its bias rides on the first layer's.
#include "json_reading.hpp"
#include "limits.hpp"
#include "model_formats.hpp"
#include "rtconv/wavenet.hpp"

#include <charconv>
#include <cmath>
#include <map>

namespace rtconv::detail {
namespace {

using nlohmann::json;

int positive_integer(const json& document, const char* key, const Where& file)
{
    const json* value = find_member(document, key);
    if (!value) file.fail(key, "missing");
    const std::optional<int> result = int_value(*value);
    if (!result || *result <= 0) file.fail(key, "expected a positive 32-bit integer, got " + value->dump());
    return *result;
}

/// Some files store numbers as JSON strings.
double number(const json& value, const Where& where, const std::string& field)
{
    double x = 0.0;
    if (value.is_number()) {
        x = value.get<double>();
    } else if (value.is_string()) {
        const std::string& text = value.get_ref<const std::string&>();
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), x);
        if (error != std::errc() || end != text.data() + text.size())
            where.fail(field, "expected a number, got " + value.dump());
    } else {
        where.fail(field, "expected a number, got " + value.dump());
    }
    if (!std::isfinite(x)) where.fail(field, "expected a finite number, got " + value.dump());
    return x;
}

struct Activations {
    WaveNetActivation value, gate;
    WaveNetGating gating = WaveNetGating::none;
};

Activations activations(const std::string& name, const Where& file)
{
    const auto nam = [](const char* n) { return WaveNetActivation::from_config(n); };
    if (name == "gated") return {nam("Tanh"), nam("Sigmoid"), WaveNetGating::gated};
    if (name == "softgated") return {nam("Softsign"), nam("Softsign"), WaveNetGating::gated};
    if (name == "tanh") return {nam("Tanh"), nam("Sigmoid"), WaveNetGating::none};
    if (name == "sigmoid") return {nam("Sigmoid"), nam("Sigmoid"), WaveNetGating::none};
    if (name == "relu") return {nam("ReLU"), nam("Sigmoid"), WaveNetGating::none};
    if (name == "softsign") return {nam("Softsign"), nam("Sigmoid"), WaveNetGating::none};
    if (name == "linear") return {nam("Linear"), nam("Sigmoid"), WaveNetGating::none};
    file.fail("activation", "expected gated, softgated, tanh, sigmoid, relu, softsign or linear, got \"" + name + "\"");
}

/// The variables by (layer_idx, name), each a flat list of numbers.
using Variables = std::map<std::pair<int, std::string>, std::vector<double>>;

Variables read_variables(const json& document, const Where& file)
{
    const json* list = find_member(document, "variables");
    if (!list || !list->is_array()) file.fail("variables", "missing or not a list");
    Variables variables;
    for (std::size_t i = 0; i < list->size(); ++i) {
        const json& v = (*list)[i];
        const std::string field = "variables[" + std::to_string(i) + "]";
        const json* layer = find_member(v, "layer_idx");
        const std::string name = string_member(v, "name");
        const json* data = find_member(v, "data");
        if (!layer || !layer->is_number_integer()) file.fail(field + ".layer_idx", "missing or not an integer");
        if (name.empty()) file.fail(field + ".name", "missing or not a string");
        if (!data || !data->is_array()) file.fail(field + ".data", "missing or not a list of numbers");
        std::vector<double> values;
        values.reserve(data->size());
        for (std::size_t j = 0; j < data->size(); ++j)
            values.push_back(number((*data)[j], file, field + ".data[" + std::to_string(j) + "]"));
        variables[{layer->get<int>(), name}] = std::move(values);
    }
    return variables;
}

} // namespace

Sequential wavenetva_model_from_json(const json& document, const std::string& source)
{
    const Where file{source, ""};
    const int channels = positive_integer(document, "residual_channels", file);
    const int inputs = positive_integer(document, "input_channels", file);
    const int outputs = positive_integer(document, "output_channels", file);
    const int width = positive_integer(document, "filter_width", file);
    const Activations act = activations(string_member(document, "activation"), file);
    const json* dilations = find_member(document, "dilations");
    if (!dilations || !dilations->is_array() || dilations->empty())
        file.fail("dilations", "missing or not a non-empty list of integers");
    // Before a layer's options are made for each (see nam_file.cpp).
    if (dilations->size() > kMaxLayers)
        file.fail("dilations", std::to_string(dilations->size()) + " layers, more than rtconv's limit of " +
                                   std::to_string(kMaxLayers));

    WaveNetArrayOptions array;
    array.input_size = inputs;
    array.condition_size = 0;
    array.channels = channels;
    array.rechannel_bias = true;
    array.head1x1_channels = outputs;
    for (std::size_t l = 0; l < dilations->size(); ++l) {
        const json& d = (*dilations)[l];
        const std::optional<int> dilation = int_value(d);
        if (!dilation || *dilation <= 0)
            file.fail("dilations[" + std::to_string(l) + "]", "expected a positive 32-bit integer, got " + d.dump());
        array.layers.push_back({width, *dilation, act.value, act.gating, act.gate});
    }
    const int layers = static_cast<int>(array.layers.size());
    const std::size_t c = std::size_t(channels), conv_out = act.gating == WaveNetGating::none ? c : 2 * c;
    WaveNetOptions options;
    options.name = "wavenet";
    options.arrays.push_back(std::move(array));
    // Within rtconv's limits before any variable size is computed from the sizes.
    file.run("", [&] { options.validate(); });

    Variables variables = read_variables(document, file);
    // Takes the variable (layer, any of `names`), checking its size; the rest must be unused.
    const auto take = [&](int layer, std::initializer_list<const char*> names, std::size_t size) {
        const std::string label = layer < 0 ? "input layer" : layer == layers ? "output layer" : "layer " + std::to_string(layer);
        for (const char* name : names) {
            const auto it = variables.find({layer, name});
            if (it == variables.end()) continue;
            if (it->second.size() != size)
                Where{source, label}.fail(name, "expected " + std::to_string(size) + " numbers, got " +
                                                    std::to_string(it->second.size()));
            std::vector<double> values = std::move(it->second);
            variables.erase(it);
            return values;
        }
        Where{source, label}.fail(*names.begin(), "missing (layer_idx " + std::to_string(layer) + ")");
    };
    const auto tensor = [](Shape shape, std::vector<double> values) { return Tensor(std::move(shape), std::move(values)); };

    options.weights.push_back(tensor({1, std::size_t(inputs), c}, take(-1, {"W"}, std::size_t(inputs) * c)));
    options.weights.push_back(tensor({c}, take(-1, {"b"}, c)));
    const std::vector<double> out_w = take(layers, {"W"}, std::size_t(layers) * c * std::size_t(outputs));
    const std::vector<double> out_b = take(layers, {"b"}, std::size_t(outputs));
    for (int l = 0; l < layers; ++l) {
        const std::size_t k = std::size_t(width);
        options.weights.push_back(tensor({k, c, conv_out}, take(l, {"W_conv", "W"}, k * c * conv_out)));
        options.weights.push_back(tensor({conv_out}, take(l, {"b_conv", "b"}, conv_out)));
        options.weights.push_back(tensor({1, c, c}, take(l, {"W_out"}, c * c)));
        options.weights.push_back(tensor({c}, take(l, {"b_out"}, c)));
        // Rows l*c .. (l+1)*c of the output 1x1's [in][out] matrix read this layer's skip.
        const auto first = out_w.begin() + static_cast<std::ptrdiff_t>(std::size_t(l) * c * std::size_t(outputs));
        options.weights.push_back(tensor({1, c, std::size_t(outputs)},
                                         std::vector<double>(first, first + static_cast<std::ptrdiff_t>(c * std::size_t(outputs)))));
        options.weights.push_back(tensor({std::size_t(outputs)}, l == 0 ? out_b : std::vector<double>(std::size_t(outputs), 0.0)));
    }
    if (!variables.empty()) {
        const auto& [key, values] = *variables.begin();
        file.fail("variables", "unexpected variable '" + key.second + "' with layer_idx " + std::to_string(key.first));
    }

    Sequential model("wavenetva");
    file.run("variables", [&] { model.add(WaveNet(std::move(options))); });
    model.metadata().format = "wavenetva";
    // The format has no rate field; WaveNetVA's models were trained on 44.1 kHz recordings
    // (Damskägg et al. 2019), so audio at other rates is resampled to it.
    model.metadata().sample_rate = 44100.0;
    return model;
}

} // namespace rtconv::detail
