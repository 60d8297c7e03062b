#include "model_stats.hpp"

#include <rtconv/conv1d.hpp>
#include <rtconv/conv1d_transpose.hpp>
#include <rtconv/error.hpp>

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

std::optional<ConvGeometry> conv_geometry(const Layer& layer)
{
    if (!layer.built()) return std::nullopt;
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

/// Input frames that `window` consecutive output frames of a layer depend on, at most.
/// Conv1D output frame t reads input frames t*s + j*d (j < k); a transposed layer's output frame
/// t receives input frame i when t - i*s is one of the taps 0, d, ..., d(k-1).
static std::size_t input_window(const ConvGeometry& g, std::size_t window)
{
    const std::size_t span = g.dilation * (g.kernel_size - 1);
    if (g.transpose) return (window - 1 + span) / g.stride + 1;
    return (window - 1) * g.stride + span + 1;
}

StackStats stack_stats(const Sequential& model)
{
    std::vector<ConvGeometry> layers;
    for (const auto& layer : model.layers()) {
        const auto g = conv_geometry(*layer);
        if (!g) throw Error("layer '" + layer->name() + "' (" + layer->class_name() + ") is not a built convolution");
        layers.push_back(*g);
    }
    StackStats stats;
    // Walk back from one output sample to the input samples it depends on.
    for (auto it = layers.rbegin(); it != layers.rend(); ++it) {
        stats.receptive_field = input_window(*it, stats.receptive_field);
        stats.receptive_field_exact = stats.receptive_field_exact && !it->transpose;
    }
    // Walk forward with the rate of each layer's input frames relative to the model input.
    Rate rate;
    for (const auto& g : layers) {
        const double macs_per_frame = static_cast<double>(g.kernel_size * (g.in_channels / g.groups) * g.filters);
        if (g.transpose) {
            stats.macs_per_input_sample += macs_per_frame * rate.value(); // per input frame
            rate = reduced(rate.numerator * g.stride, rate.denominator);
        } else {
            rate = reduced(rate.numerator, rate.denominator * g.stride);
            stats.macs_per_input_sample += macs_per_frame * rate.value(); // per output frame
        }
    }
    stats.output_rate = rate;
    return stats;
}

} // namespace rtconv::cli
