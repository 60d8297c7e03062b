#pragma once
// What Conv1D and Conv1DTranspose share: Keras' argument checks and messages, output-length
// arithmetic, and the config keys both layers read and write.
#include "layer_config.hpp"
#include "limits.hpp"
#include "rtconv/activations.hpp"
#include "rtconv/error.hpp"
#include "rtconv/layer.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace rtconv::detail {

/// Keras' standardize_tuple for one spatial dimension: `value > 0` (or `>= 0` with allow_zero).
void check_positive(const char* argument, std::int64_t value, bool allow_zero = false);
/// Lower-cases and checks a padding name; "causal" only where allowed.
std::string standardize_padding(const std::string& padding, bool allow_causal);
std::string standardize_data_format(const std::string& data_format);

/// Keras' conv output length for one spatial dimension (may be <= 0 when the input is too short).
std::int64_t conv_output_length(std::int64_t length, std::int64_t kernel_size, const std::string& padding,
                                std::int64_t stride, std::int64_t dilation);
std::int64_t conv_transpose_output_length(std::int64_t length, std::int64_t kernel_size, const std::string& padding,
                                          std::optional<std::int64_t> output_padding, std::int64_t stride,
                                          std::int64_t dilation);
/// Left padding Keras' `same`/`causal` convolution applies (0 for valid).
std::int64_t conv_pad_left(std::int64_t length, std::int64_t kernel_size, const std::string& padding,
                           std::int64_t stride, std::int64_t dilation);

/// rtconv's limit on a convolution's history, (kernel_size - 1) * dilation frames of every input
/// channel, which a stream keeps and the whole-sequence run pads with zeros: at most kMaxWeights
/// values. A file's channel count and dilation may each be within their limits and their product not.
void check_history(const Layer& layer, std::int64_t kernel_size, std::int64_t dilation, std::size_t channels);

/// The layer's input spec: rank 3 and the channel count it was built with (0: not built yet).
void check_conv_input(const std::string& layer_name, const TensorShape& shape, bool channels_first,
                      std::size_t built_channels);

/// Reads the keys both conv layers share into an options struct of either layer.
template <class Options> void read_conv_config(const nlohmann::json& config, Options& o)
{
    read_layer_args(config, o);
    if (!find_key(config, "filters")) throw Error("Layer config is missing 'filters'");
    if (!find_key(config, "kernel_size")) throw Error("Layer config is missing 'kernel_size'");
    o.filters = int_or_single(config, "filters");
    o.kernel_size = int_or_single(config, "kernel_size");
    if (find_key(config, "strides")) o.strides = int_or_single(config, "strides");
    if (find_key(config, "dilation_rate")) o.dilation_rate = int_or_single(config, "dilation_rate");
    read_string(config, "padding", o.padding);
    read_string(config, "data_format", o.data_format);
    if (const auto* v = find_key(config, "activation")) o.activation = Activation::from_config(*v);
    read_bool(config, "use_bias", o.use_bias);
    if (const auto* v = find_key(config, "kernel_initializer")) o.kernel_initializer = Initializer::from_config(*v);
    if (const auto* v = find_key(config, "bias_initializer")) o.bias_initializer = Initializer::from_config(*v);
    if (const auto* v = find_key(config, "kernel_regularizer")) o.kernel_regularizer = Regularizer::from_config(*v);
    if (const auto* v = find_key(config, "bias_regularizer")) o.bias_regularizer = Regularizer::from_config(*v);
    if (const auto* v = find_key(config, "kernel_constraint")) o.kernel_constraint = Constraint::from_config(*v);
    if (const auto* v = find_key(config, "bias_constraint")) o.bias_constraint = Constraint::from_config(*v);
}

/// Writes the keys both conv layers share, in Keras' order, after the base layer keys.
template <class Options> void write_conv_config(const Options& o, nlohmann::json& config)
{
    config["filters"] = o.filters;
    config["kernel_size"] = {o.kernel_size};
    config["strides"] = {o.strides};
    config["padding"] = o.padding;
    config["data_format"] = o.data_format;
    config["dilation_rate"] = {o.dilation_rate};
}

template <class Options> void write_conv_tail_config(const Options& o, nlohmann::json& config)
{
    config["activation"] = o.activation.serialize();
    config["use_bias"] = o.use_bias;
    config["kernel_initializer"] = o.kernel_initializer.serialize();
    config["bias_initializer"] = o.bias_initializer.serialize();
    config["kernel_regularizer"] = serialize(o.kernel_regularizer);
    config["bias_regularizer"] = serialize(o.bias_regularizer);
    config["activity_regularizer"] = serialize(o.activity_regularizer);
    config["kernel_constraint"] = serialize(o.kernel_constraint);
    config["bias_constraint"] = serialize(o.bias_constraint);
}

/// Checks shared by both layers' constructors, with Keras' messages; normalises padding and data_format.
template <class Options> void validate_conv_options(Options& o, bool allow_causal)
{
    if (o.filters <= 0)
        throw Error("Invalid value for argument `filters`. Expected a strictly positive value. Received filters=" +
                    std::to_string(o.filters) + ".");
    check_positive("kernel_size", o.kernel_size);
    check_positive("strides", o.strides);
    check_positive("dilation_rate", o.dilation_rate);
    o.padding = standardize_padding(o.padding, allow_causal);
    o.data_format = standardize_data_format(o.data_format);
    if (o.strides > 1 && o.dilation_rate > 1)
        throw Error("`strides > 1` not supported in conjunction with `dilation_rate > 1`. Received: strides=(" +
                    std::to_string(o.strides) + ",) and dilation_rate=(" + std::to_string(o.dilation_rate) + ",)");
    // rtconv's own limit, beyond Keras': the span is history a stream keeps and zeros the
    // whole-sequence run pads with, frames times channels, whatever the weights' size.
    if (std::int64_t(o.kernel_size - 1) * o.dilation_rate > kMaxLayerSpan)
        throw Error("(kernel_size - 1) * dilation_rate must be at most " + std::to_string(kMaxLayerSpan) +
                    " (rtconv's limit), got " + std::to_string(o.kernel_size - 1) + " * " +
                    std::to_string(o.dilation_rate));
}

} // namespace rtconv::detail
