// Neural Amp Modeler's .nam files: JSON {version, architecture, config, weights, sample_rate,
// metadata}. rtconv runs the WaveNet architecture of file versions 0.5.0 to 0.7.x: the classic
// config (kernel_size, activation, gated, head_size, head_bias) and the newer keys (kernel_sizes,
// bottleneck, per-layer activation objects, gating_mode with secondary_activation, layer1x1,
// head1x1, head {out_channels, kernel_size, bias}). Weights are one flat list in NAM's order:
// per array the rechannel, per layer conv (+bias), input mixin, layer1x1 (+bias), head1x1 (+bias),
// then the head rechannel, and head_scale last. PyTorch layouts (out, in, tap) become Keras
// layouts (tap, in, out) here; tap K-1 is the newest sample in both.
#include "json_reading.hpp"
#include "limits.hpp"
#include "model_formats.hpp"
#include "rtconv/wavenet.hpp"

#include <cmath>
#include <regex>

namespace rtconv::detail {
namespace {

using nlohmann::json;

int integer(const json& object, const char* key, const Where& where, const std::string& field)
{
    const json* value = find_member(object, key);
    if (!value) where.fail(field + key, "missing");
    const std::optional<int> result = int_value(*value);
    if (!result) where.fail(field + key, "expected a 32-bit integer, got " + value->dump());
    return *result;
}

/// A key that is one value for every layer or a list of one per layer.
const json& per_layer(const json& value, std::size_t layer, std::size_t layers, const Where& where,
                      const std::string& field)
{
    if (!value.is_array()) return value;
    if (value.size() != layers)
        where.fail(field, "expected one entry per layer (" + std::to_string(layers) + "), got " +
                              std::to_string(value.size()));
    return value[layer];
}

WaveNetActivation activation(const json& config, const Where& where, const std::string& field)
{
    return where.run(field, [&] { return WaveNetActivation::from_config(config); });
}

void refuse_unsupported(const json& array, const Where& where, const std::string& field)
{
    for (const char* key : {"conv_pre_film", "conv_post_film", "input_mixin_pre_film", "input_mixin_post_film",
                            "activation_pre_film", "activation_post_film", "layer1x1_post_film", "head1x1_post_film"}) {
        const json* film = find_member(array, key);
        if (!film || (film->is_boolean() && !film->get<bool>())) continue;
        if (film->is_object() && !optional_bool(*film, "active", true, where, field + key + ".")) continue;
        where.fail(field + key, "FiLM conditioning is not supported by rtconv");
    }
    if (find_member(array, "slimmable")) where.fail(field + "slimmable", "slimmable WaveNets are not supported by rtconv");
    for (const char* key : {"groups_input", "groups_input_mixin"})
        if (const json* groups = find_member(array, key); groups && *groups != 1)
            where.fail(field + key, "grouped convolutions are not supported by rtconv, got " + groups->dump());
}

WaveNetArrayOptions array_options(const json& array, const Where& where, const std::string& field)
{
    if (!array.is_object()) where.fail(field, "expected a layer-array object");
    refuse_unsupported(array, where, field + ".");
    const std::string f = field + ".";
    WaveNetArrayOptions o;
    o.input_size = integer(array, "input_size", where, f);
    o.condition_size = integer(array, "condition_size", where, f);
    o.channels = integer(array, "channels", where, f);
    o.bottleneck = o.channels;
    if (find_member(array, "bottleneck")) {
        o.bottleneck = integer(array, "bottleneck", where, f);
        // WaveNetOptions reads a bottleneck of 0 as "the channels"; in a file it is a mistake.
        if (o.bottleneck <= 0) where.fail(f + "bottleneck", "must be a positive integer, got " + std::to_string(o.bottleneck));
    }

    if (const json* head = find_member(array, "head")) {
        o.head = WaveNetHeadOptions{integer(*head, "out_channels", where, f + "head."),
                                    integer(*head, "kernel_size", where, f + "head."),
                                    optional_bool(*head, "bias", false, where, f + "head.")};
        if (!find_member(*head, "bias")) where.fail(f + "head.bias", "missing");
    } else {
        o.head = WaveNetHeadOptions{integer(array, "head_size", where, f), 1, optional_bool(array, "head_bias", false, where, f)};
        if (!find_member(array, "head_bias")) where.fail(f + "head_bias", "missing");
    }

    if (const json* layer1x1 = find_member(array, "layer1x1")) {
        o.layer1x1 = optional_bool(*layer1x1, "active", true, where, f + "layer1x1.");
        if (const json* groups = find_member(*layer1x1, "groups"); groups && *groups != 1)
            where.fail(f + "layer1x1.groups", "grouped convolutions are not supported by rtconv, got " + groups->dump());
    }
    if (const json* head1x1 = find_member(array, "head1x1"); head1x1 && optional_bool(*head1x1, "active", false, where, f + "head1x1.")) {
        o.head1x1_channels = integer(*head1x1, "out_channels", where, f + "head1x1.");
        if (const json* groups = find_member(*head1x1, "groups"); groups && *groups != 1)
            where.fail(f + "head1x1.groups", "grouped convolutions are not supported by rtconv, got " + groups->dump());
    }

    const json* dilations = find_member(array, "dilations");
    if (!dilations || !dilations->is_array() || dilations->empty())
        where.fail(f + "dilations", "missing or not a non-empty list of integers");
    const std::size_t layers = dilations->size();
    const json* kernel_sizes = find_member(array, "kernel_sizes");
    const json* kernel_size = find_member(array, "kernel_size");
    if (!kernel_sizes && !kernel_size) where.fail(f + "kernel_size", "missing (neither kernel_size nor kernel_sizes)");
    if (kernel_sizes && !kernel_sizes->is_array()) where.fail(f + "kernel_sizes", "expected a list of integers");
    const json* activations = find_member(array, "activation");
    if (!activations) where.fail(f + "activation", "missing");
    const json* gating_modes = find_member(array, "gating_mode");
    const bool legacy_gated = optional_bool(array, "gated", false, where, f);
    const json* secondary = find_member(array, "secondary_activation");

    for (std::size_t l = 0; l < layers; ++l) {
        const std::string lf = "[" + std::to_string(l) + "]";
        WaveNetLayerOptions layer;
        const json& d = (*dilations)[l];
        const std::optional<int> dilation = int_value(d);
        if (!dilation) where.fail(f + "dilations" + lf, "expected a 32-bit integer, got " + d.dump());
        layer.dilation = *dilation;
        const json& k = kernel_sizes ? per_layer(*kernel_sizes, l, layers, where, f + "kernel_sizes") : *kernel_size;
        const std::optional<int> size = int_value(k);
        if (!size)
            where.fail(f + (kernel_sizes ? "kernel_sizes" + lf : std::string("kernel_size")),
                       "expected a 32-bit integer, got " + k.dump());
        layer.kernel_size = *size;
        layer.activation = activation(per_layer(*activations, l, layers, where, f + "activation"), where,
                                      f + "activation" + (activations->is_array() ? lf : ""));
        if (gating_modes) {
            const json& mode = per_layer(*gating_modes, l, layers, where, f + "gating_mode");
            const std::string name = mode.is_string() ? mode.get<std::string>() : std::string();
            if (name == "none") layer.gating = WaveNetGating::none;
            else if (name == "gated") layer.gating = WaveNetGating::gated;
            else if (name == "blended") layer.gating = WaveNetGating::blended;
            else where.fail(f + "gating_mode", "expected \"none\", \"gated\" or \"blended\", got " + mode.dump());
        } else {
            layer.gating = legacy_gated ? WaveNetGating::gated : WaveNetGating::none;
        }
        if (secondary && layer.gating != WaveNetGating::none && gating_modes) {
            const json& gate = per_layer(*secondary, l, layers, where, f + "secondary_activation");
            if (!gate.is_null()) layer.gate_activation = activation(gate, where, f + "secondary_activation");
        }
        o.layers.push_back(std::move(layer));
    }
    return o;
}

/// Reads NAM's flat weight list into Keras-layout tensors, in WaveNet::build_weights' order.
class WeightReader {
public:
    WeightReader(const json& weights, const Where& where) : weights_(weights), where_(where) {}

    /// PyTorch Conv1d weight (out, in, taps) flattened, as a Keras kernel (taps, in, out).
    Tensor kernel(std::size_t taps, std::size_t in, std::size_t out)
    {
        Tensor t({taps, in, out}, DType::float32);
        for (std::size_t o = 0; o < out; ++o)
            for (std::size_t i = 0; i < in; ++i)
                for (std::size_t k = 0; k < taps; ++k) t.set_flat((k * in + i) * out + o, next());
        return t;
    }

    Tensor vector(std::size_t size)
    {
        Tensor t({size}, DType::float32);
        for (std::size_t i = 0; i < size; ++i) t.set_flat(i, next());
        return t;
    }

    /// The count was checked against the config first, so the list never runs out.
    double next()
    {
        const json& value = weights_[index_];
        if (!value.is_number() || !std::isfinite(value.get<double>()))
            where_.fail("weights[" + std::to_string(index_) + "]", "expected a finite number, got " + value.dump());
        ++index_;
        return value.get<double>();
    }

private:
    const json& weights_;
    const Where& where_;
    std::size_t index_ = 0;
};

std::vector<Tensor> read_weights(const WaveNetOptions& o, const json& flat, const Where& where, double& head_scale)
{
    const std::size_t needed = o.weight_count() + 1; // head_scale last
    if (flat.size() != needed)
        where.fail("weights", "the config needs " + std::to_string(needed) + " weights (head_scale last), the file has " +
                                  std::to_string(flat.size()));

    WeightReader read(flat, where);
    std::vector<Tensor> tensors;
    for (const auto& a : o.arrays) {
        const std::size_t c = std::size_t(a.channels), b = std::size_t(a.bottleneck_channels()),
                          h = std::size_t(a.head_input_channels());
        tensors.push_back(read.kernel(1, std::size_t(a.input_size), c));
        for (const auto& l : a.layers) {
            const std::size_t out = l.gating == WaveNetGating::none ? b : 2 * b;
            tensors.push_back(read.kernel(std::size_t(l.kernel_size), c, out));
            tensors.push_back(read.vector(out));
            if (a.condition_size > 0) tensors.push_back(read.kernel(1, std::size_t(a.condition_size), out));
            if (a.layer1x1) {
                tensors.push_back(read.kernel(1, b, c));
                tensors.push_back(read.vector(c));
            }
            if (a.head1x1_channels) {
                tensors.push_back(read.kernel(1, b, h));
                tensors.push_back(read.vector(h));
            }
        }
        const std::size_t out = std::size_t(a.head->out_channels);
        tensors.push_back(read.kernel(std::size_t(a.head->kernel_size), h, out));
        if (a.head->bias) tensors.push_back(read.vector(out));
    }
    head_scale = read.next();
    return tensors;
}

void check_version(const json& document, const Where& file, ModelMetadata& metadata)
{
    const std::string version = string_member(document, "version");
    std::smatch m;
    if (!std::regex_match(version, m, std::regex(R"((\d+)\.(\d+)\.(\d+))")))
        file.fail("version", "expected a version \"major.minor.patch\", got " +
                                 (find_member(document, "version") ? document["version"].dump() : std::string("nothing")));
    const int major = std::stoi(m[1]), minor = std::stoi(m[2]);
    if (major != 0 || minor < 5 || minor > 7)
        file.fail("version", "rtconv reads .nam file versions 0.5.0 to 0.7.x, this file is " + version);
    metadata.version = version;
}

} // namespace

Sequential nam_model_from_json(const json& document, const std::string& source)
{
    const Where file{source, ""};
    ModelMetadata metadata;
    metadata.format = "nam";
    metadata.prewarm = true;
    check_version(document, file, metadata);

    const std::string architecture = string_member(document, "architecture");
    if (architecture != "WaveNet")
        file.fail("architecture", "rtconv runs NAM's WaveNet architecture, not '" +
                                      (architecture.empty() ? document["architecture"].dump() : architecture) + "'");
    const json* config = find_member(document, "config");
    if (!config || !config->is_object()) file.fail("config", "missing or not an object");
    if (find_member(*config, "head")) file.fail("config.head", "a post-stack head is not supported by rtconv");
    if (find_member(*config, "condition_dsp"))
        file.fail("config.condition_dsp", "a condition DSP model is not supported by rtconv");
    const json* arrays = find_member(*config, "layers");
    if (!arrays || !arrays->is_array() || arrays->empty())
        file.fail("config.layers", "missing or not a non-empty list of layer arrays");

    // Counted before any layer's options are made: a list of millions of dilations would
    // otherwise take gigabytes of options before validate() could refuse them.
    std::size_t layer_count = 0;
    for (const json& array : *arrays)
        if (const json* dilations = find_member(array, "dilations"); dilations && dilations->is_array())
            layer_count += dilations->size();
    if (layer_count > kMaxLayers)
        file.fail("config.layers", "the layer arrays hold " + std::to_string(layer_count) +
                                       " layers (dilations), more than rtconv's limit of " + std::to_string(kMaxLayers));

    WaveNetOptions options;
    options.name = "wavenet";
    for (std::size_t a = 0; a < arrays->size(); ++a) {
        const Where where{source, "layer array " + std::to_string(a)};
        options.arrays.push_back(array_options((*arrays)[a], where, "config.layers[" + std::to_string(a) + "]"));
    }
    if (const json* in_channels = find_member(*config, "in_channels");
        in_channels && *in_channels != options.arrays.front().input_size)
        file.fail("config.in_channels", "must equal the first layer array's input_size");

    const json* weights = find_member(document, "weights");
    if (!weights || !weights->is_array()) file.fail("weights", "missing or not a list of numbers");
    // The shapes fit together, within rtconv's limits, before the weights are counted or allocated.
    file.run("config", [&] { options.validate(); });
    options.weights = read_weights(options, *weights, file, options.head_scale);

    // NAM trained only at 48 kHz before files recorded the rate.
    metadata.sample_rate = optional_sample_rate(document, "sample_rate", file, "").value_or(48000.0);
    if (const json* meta = find_member(document, "metadata")) {
        metadata.loudness = optional_finite_number(*meta, "loudness", file, "metadata.");
        metadata.input_level_dbu = optional_finite_number(*meta, "input_level_dbu", file, "metadata.");
        metadata.output_level_dbu = optional_finite_number(*meta, "output_level_dbu", file, "metadata.");
    }

    Sequential model("nam");
    file.run("weights", [&] { model.add(WaveNet(std::move(options))); });
    model.metadata() = metadata;
    return model;
}

} // namespace rtconv::detail
