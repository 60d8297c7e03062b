#pragma once
// What `rtconv info` reports about a Sequential of convolutions: each layer's geometry, the
// receptive field, the output rate and the multiply-adds per sample.
#include <rtconv/sequential.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace rtconv::cli {

struct ConvGeometry {
    std::size_t in_channels = 0;
    std::size_t filters = 0;
    std::size_t kernel_size = 0;
    std::size_t stride = 1;
    std::size_t dilation = 1;
    std::size_t groups = 1;
    bool transpose = false;
    std::string padding;
    std::string activation;
};

/// The geometry of a built Conv1D or Conv1DTranspose; nullopt for any other layer.
std::optional<ConvGeometry> conv_geometry(const Layer& layer);

/// Whether the model takes (batch, channels, steps): its first layer is channels_first.
bool channels_first(const Sequential& model);

/// A rate as a fraction, e.g. output samples per input sample.
struct Rate {
    std::size_t numerator = 1;
    std::size_t denominator = 1;
    double value() const { return static_cast<double>(numerator) / static_cast<double>(denominator); }
};

struct StackStats {
    /// The most input samples one output sample depends on. Exact for stacks of Conv1D; with
    /// transposed layers it is the bound the per-layer maxima give (`receptive_field_exact` false).
    std::size_t receptive_field = 1;
    bool receptive_field_exact = true;
    /// Output samples per input sample (strides divide it, transposed strides multiply it).
    Rate output_rate;
    /// Multiply-adds of the convolutions per input sample in the steady state: each layer's
    /// multiply-adds per output frame (k * in/groups * filters; a transposed layer spends
    /// k * in * filters per input frame; Dense in * units; BatchNormalization one per channel)
    /// times its frames per model input sample. Bias adds, activations and the edges of padding
    /// are not counted.
    double macs_per_input_sample = 0;
    double macs_per_output_sample() const { return macs_per_input_sample / output_rate.value(); }
};

/// Throws rtconv::Error when a layer is not built.
StackStats stack_stats(const Sequential& model);

} // namespace rtconv::cli
