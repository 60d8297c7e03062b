#include "model_stats.hpp"

#include <rtconv/activation_layer.hpp>
#include <rtconv/batch_normalization.hpp>
#include <rtconv/conv1d.hpp>
#include <rtconv/conv1d_transpose.hpp>
#include <rtconv/dense.hpp>
#include <rtconv/error.hpp>
#include <rtconv/prelu.hpp>
#include <rtconv/wavenet.hpp>

#include <numeric>

namespace rtconv::cli {

template <class Options> static ConvGeometry common_geometry(const Options& o)
{
    ConvGeometry g;
    g.filters = static_cast<std::size_t>(o.filters);
    g.kernel_size = static_cast<std::size_t>(o.kernel_size);
    g.stride = static_cast<std::size_t>(o.strides);
    g.dilation = static_cast<std::size_t>(o.dilation_rate);
    g.padding = o.padding;
    g.activation = o.activation.name();
    return g;
}

bool channels_first(const Sequential& model)
{
    return !model.layers().empty() &&
           model.layers().front()->get_config().value("data_format", "channels_last") == "channels_first";
}

std::optional<ConvGeometry> conv_geometry(const Layer& layer)
{
    if (!layer.built() || layer.variables().empty()) return std::nullopt;
    const Shape& kernel = layer.variables().front().value.shape();
    if (const auto* conv = dynamic_cast<const Conv1D*>(&layer)) {
        ConvGeometry g = common_geometry(conv->options());
        g.groups = static_cast<std::size_t>(conv->options().groups);
        g.in_channels = kernel[1] * g.groups; // kernel (k, in / groups, filters)
        return g;
    }
    if (const auto* transpose = dynamic_cast<const Conv1DTranspose*>(&layer)) {
        ConvGeometry g = common_geometry(transpose->options());
        g.transpose = true;
        g.in_channels = kernel[2]; // kernel (k, filters, in)
        return g;
    }
    return std::nullopt;
}

static Rate reduced(std::size_t numerator, std::size_t denominator)
{
    const std::size_t divisor = std::gcd(numerator, denominator);
    return {numerator / divisor, denominator / divisor};
}

namespace {

/// What one layer adds to the stack's figures.
struct LayerCost {
    std::size_t span = 0;     ///< input frames before the newest one that an output frame reads
    std::size_t stride = 1;
    bool transpose = false;
    double macs_per_frame = 0; ///< per output frame (Conv1D) or per input frame (transpose)
};

LayerCost layer_cost(const Layer& layer)
{
    if (const auto g = conv_geometry(layer))
        return {g->dilation * (g->kernel_size - 1), g->stride, g->transpose,
                static_cast<double>(g->kernel_size * (g->in_channels / g->groups) * g->filters)};
    if (const auto* wavenet = dynamic_cast<const WaveNet*>(&layer))
        return {wavenet->receptive_field() - 1, 1, false, static_cast<double>(wavenet->macs_per_sample())};
    if (!layer.built()) throw Error("layer '" + layer.name() + "' (" + layer.class_name() + ") is not built");
    // Frame-wise layers: Dense a matrix per frame, BatchNormalization one multiply-add per channel;
    // PReLU and Activation only activate, which is not counted.
    if (const auto* dense = dynamic_cast<const Dense*>(&layer)) {
        const Shape& kernel = dense->variables().front().value.shape(); // (in, units)
        return {0, 1, false, static_cast<double>(kernel[0] * kernel[1])};
    }
    if (const auto* norm = dynamic_cast<const BatchNormalization*>(&layer))
        return {0, 1, false, static_cast<double>(norm->multiplier().size())};
    if (dynamic_cast<const PReLU*>(&layer) || dynamic_cast<const ActivationLayer*>(&layer)) return {};
    throw Error("layer '" + layer.name() + "' (" + layer.class_name() + ") is not a layer rtconv can measure");
}

/// Input frames that `window` consecutive output frames of a layer depend on, at most.
/// Conv1D output frame t reads input frames t*s + j*d (j < k); a transposed layer's output frame
/// t receives input frame i when t - i*s is one of the taps 0, d, ..., d(k-1).
std::size_t input_window(const LayerCost& c, std::size_t window)
{
    if (c.transpose) return (window - 1 + c.span) / c.stride + 1;
    return (window - 1) * c.stride + c.span + 1;
}

} // namespace

StackStats stack_stats(const Sequential& model)
{
    std::vector<LayerCost> layers;
    for (const auto& layer : model.layers()) {
        if (!layer->built()) throw Error("layer '" + layer->name() + "' (" + layer->class_name() + ") is not built");
        layers.push_back(layer_cost(*layer));
    }
    StackStats stats;
    // Walk back from one output sample to the input samples it depends on.
    for (auto it = layers.rbegin(); it != layers.rend(); ++it) {
        stats.receptive_field = input_window(*it, stats.receptive_field);
        stats.receptive_field_exact = stats.receptive_field_exact && !it->transpose;
    }
    // Walk forward with the rate of each layer's input frames relative to the model input.
    Rate rate;
    for (const auto& c : layers) {
        if (c.transpose) {
            stats.macs_per_input_sample += c.macs_per_frame * rate.value(); // per input frame
            rate = reduced(rate.numerator * c.stride, rate.denominator);
        } else {
            rate = reduced(rate.numerator, rate.denominator * c.stride);
            stats.macs_per_input_sample += c.macs_per_frame * rate.value(); // per output frame
        }
    }
    stats.output_rate = rate;
    return stats;
}

} // namespace rtconv::cli
