// `rtconv info MODEL`: the architecture as a table, the parameter count, the receptive field, the
// output rate, the multiply-adds per sample, and what the file says about audio (sample rate, NAM
// levels).
#include "arguments.hpp"
#include "commands.hpp"
#include "model_stats.hpp"

#include <rtconv/error.hpp>
#include <rtconv/model_file.hpp>
#include <rtconv/stream.hpp>
#include <rtconv/wavenet.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>

namespace rtconv::cli {

const char* const info_help =
    "usage: rtconv info MODEL\n"
    "\n"
    "Prints the architecture of MODEL (native .json, NAM .nam, WaveNetVA or RTNeural .json) as a\n"
    "table, its parameter count, receptive field (the input samples one output sample depends on),\n"
    "output rate, multiply-adds (MACs) per input and per output sample, stream latency, and the\n"
    "file's sample rate and NAM metadata.\n"
    "\n"
    "options:\n"
    "  --help   show this help\n";

namespace {

using Row = std::vector<std::string>;

void print_table(const std::vector<Row>& rows)
{
    std::vector<std::size_t> widths(rows.front().size(), 0);
    for (const auto& row : rows)
        for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t c = 0; c < row.size(); ++c)
            line += row[c] + std::string(c + 1 < row.size() ? widths[c] - row[c].size() + 2 : 0, ' ');
        std::cout << line << "\n";
    }
}

std::vector<Row> layer_rows(const Sequential& model)
{
    std::vector<Row> rows{{"layer", "class", "filters", "kernel", "stride", "dilation", "padding", "activation",
                           "output shape", "params"}};
    TensorShape shape = model.input_shape().value_or(TensorShape{});
    for (const auto& layer : model.layers()) {
        const auto g = conv_geometry(*layer);
        if (model.input_shape()) shape = layer->compute_output_shape(shape);
        const std::string output = model.input_shape() ? shape_to_string(shape) : "?";
        const std::string params = layer->built() ? std::to_string(layer->count_params()) : "?";
        if (!g) {
            // Dense's units and the activation of Dense and Activation layers, from their Keras config.
            const nlohmann::json config = layer->get_config();
            const auto units = config.find("units");
            const auto activation = config.find("activation");
            rows.push_back({layer->name(), layer->class_name(),
                            units != config.end() ? units->dump() : "", "", "", "", "",
                            activation != config.end() && activation->is_string() ? activation->get<std::string>() : "",
                            output, params});
            continue;
        }
        rows.push_back({layer->name(), layer->class_name(), std::to_string(g->filters), std::to_string(g->kernel_size),
                        std::to_string(g->stride), std::to_string(g->dilation), g->padding, g->activation, output,
                        params});
    }
    return rows;
}

std::string join(const std::vector<std::string>& items)
{
    std::string text;
    for (const auto& item : items) text += (text.empty() ? "" : ",") + item;
    return text;
}

/// "Tanh", or the whole config when it has parameters.
std::string activation_text(const WaveNetActivation& activation)
{
    const nlohmann::json config = activation.to_config();
    return config.size() == 1 ? config["type"].get<std::string>() : config.dump();
}

/// Layer arrays of a WaveNet, one row each; runs of equal kernel sizes or activations shown once.
std::vector<Row> wavenet_rows(const WaveNet& wavenet)
{
    std::vector<Row> rows{{"array", "input", "channels", "bottleneck", "kernel", "dilations", "activation", "gating",
                           "head"}};
    const auto& arrays = wavenet.options().arrays;
    for (std::size_t a = 0; a < arrays.size(); ++a) {
        const WaveNetArrayOptions& o = arrays[a];
        std::vector<std::string> kernels, dilations, activations, gatings;
        const auto add_distinct = [](std::vector<std::string>& list, const std::string& item) {
            if (std::find(list.begin(), list.end(), item) == list.end()) list.push_back(item);
        };
        for (const auto& layer : o.layers) {
            add_distinct(kernels, std::to_string(layer.kernel_size));
            dilations.push_back(std::to_string(layer.dilation));
            add_distinct(activations, activation_text(layer.activation));
            const char* gating = layer.gating == WaveNetGating::gated     ? "gated"
                                 : layer.gating == WaveNetGating::blended ? "blended"
                                                                          : "none";
            add_distinct(gatings, layer.gating == WaveNetGating::none
                                      ? gating
                                      : gating + std::string(" (") + activation_text(layer.gate_activation) + ")");
        }
        std::string head = std::to_string(o.head_output_channels()) + " ch";
        if (o.head) head += ", kernel " + std::to_string(o.head->kernel_size) + (o.head->bias ? ", bias" : "");
        if (o.head1x1_channels) head += ", per-layer 1x1";
        rows.push_back({std::to_string(a), std::to_string(o.input_size), std::to_string(o.channels),
                        std::to_string(o.bottleneck_channels()), join(kernels), join(dilations), join(activations),
                        join(gatings), head});
    }
    return rows;
}

void print_metadata(const ModelMetadata& metadata)
{
    std::cout << "format: " << metadata.format << (metadata.version.empty() ? "" : " " + metadata.version) << "\n"
              << "sample rate: "
              << (metadata.sample_rate ? std::to_string(static_cast<long>(*metadata.sample_rate)) + " Hz"
                                       : std::string("not stated (runs at the rate of its input)"))
              << "\n";
    if (metadata.loudness) std::cout << "loudness: " << *metadata.loudness << " dB\n";
    if (metadata.input_level_dbu) std::cout << "input level: " << *metadata.input_level_dbu << " dBu at full scale\n";
    if (metadata.output_level_dbu)
        std::cout << "output level: " << *metadata.output_level_dbu << " dBu at full scale\n";
    if (metadata.prewarm) std::cout << "prewarm: starts in the steady state of silence, as the original does\n";
}

std::string rate_text(const Rate& rate)
{
    if (rate.numerator == rate.denominator) return "1 output sample per input sample";
    std::string text = std::to_string(rate.numerator);
    if (rate.denominator != 1) text.append("/").append(std::to_string(rate.denominator));
    return text + " output samples per input sample";
}

std::string number(double value)
{
    char text[64];
    std::snprintf(text, sizeof text, "%.10g", value);
    return text;
}

/// What the streaming engine makes of the model: latency and the memory of its state.
void print_stream_facts(const Sequential& model)
{
    try {
        ModelStream stream(model);
        stream.prepare({.max_block_size = 512, .channels = 1});
        const double per_value = sizeof(float);
        std::cout << "stream latency: " << stream.latency() << " output frames\n"
                  << "stream state per audio channel: " << stream.state_values() << " values (sum of (k-1)*d*channels), "
                  << stream.allocated_state_values() << " allocated ("
                  << number(per_value * double(stream.allocated_state_values())) << " bytes in float32)\n";
    } catch (const Error& e) {
        std::cout << "stream: " << e.what() << "\n";
    }
}

} // namespace

int info_command(const std::vector<std::string>& args)
{
    const Arguments arguments(args, {}, {"--help"});
    if (arguments.has("--help")) {
        std::cout << info_help;
        return 0;
    }
    if (arguments.positional().size() != 1) throw UsageError("info takes one MODEL file (see 'rtconv info --help')");
    const std::string model_path = arguments.positional().front();
    const Sequential model = load_model(model_path);

    std::cout << "model: " << model.name() << " (" << model_path << ")\n";
    if (model.input_shape()) std::cout << "input shape: " << shape_to_string(*model.input_shape()) << "\n";
    if (model.layers().empty()) {
        std::cout << "no layers\n";
        return 0;
    }
    std::cout << "dtype: " << dtype_name(model.layers().front()->dtype()) << "\n\n";
    print_table(layer_rows(model));
    for (const auto& layer : model.layers())
        if (const auto* wavenet = dynamic_cast<const WaveNet*>(layer.get())) {
            std::cout << "\n" << layer->name() << " layer arrays (head scale " << number(wavenet->options().head_scale)
                      << "):\n";
            print_table(wavenet_rows(*wavenet));
        }
    std::cout << "\ntotal params: " << model.count_params() << "\n";
    print_metadata(model.metadata());

    const StackStats stats = stack_stats(model);
    std::cout << "receptive field: " << (stats.receptive_field_exact ? "" : "at most ") << stats.receptive_field
              << " input samples\n"
              << "output rate: " << rate_text(stats.output_rate) << "\n"
              << "MACs per input sample: " << number(stats.macs_per_input_sample) << "\n"
              << "MACs per output sample: " << number(stats.macs_per_output_sample()) << "\n"
              << "(MACs: multiply-adds of the convolutions in the steady state; bias adds and activations not "
                 "counted)\n";
    print_stream_facts(model);
    return 0;
}

} // namespace rtconv::cli
