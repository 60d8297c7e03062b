#include "conv_config.hpp"

#include <algorithm>
#include <cctype>

namespace rtconv::detail {

void check_positive(const char* argument, std::int64_t value, bool allow_zero)
{
    if (allow_zero ? value >= 0 : value > 0) return;
    const std::string v = std::to_string(value);
    throw Error(std::string("The `") + argument + "` argument must be a tuple of 1 integers. Received " + argument +
                "=" + v + ", including values {" + v + "} that do not satisfy `value " + (allow_zero ? ">= 0" : "> 0") +
                "`.");
}

static std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

std::string standardize_padding(const std::string& padding, bool allow_causal)
{
    const std::string p = lower(padding);
    if (p == "valid" || p == "same" || (allow_causal && p == "causal")) return p;
    throw Error(std::string("The `padding` argument must be a list/tuple or one of ") +
                (allow_causal ? "{'valid', 'same', 'causal'}" : "{'valid', 'same'}") + ". Received: " + padding);
}

std::string standardize_data_format(const std::string& data_format)
{
    const std::string f = lower(data_format);
    if (f == "channels_last" || f == "channels_first") return f;
    throw Error("The `data_format` argument must be one of {'channels_first', 'channels_last'}. Received: "
                "data_format=" + data_format);
}

static std::int64_t ceil_div(std::int64_t a, std::int64_t b)
{
    // Not (a + b - 1) / b: a file may state a length up to 2^63 - 1, which that would overflow.
    return a >= 0 ? a / b + (a % b != 0) : -((-a) / b);
}

/// (length - 1) * stride + extra, a transposed convolution's output length, or an Error where it
/// would not fit an int64 (Keras computes it in Python's unbounded integers).
static std::int64_t transpose_length(std::int64_t length, std::int64_t stride, std::int64_t extra)
{
    std::int64_t out = 0;
    if (__builtin_mul_overflow(length - 1, stride, &out) || __builtin_add_overflow(out, extra, &out))
        throw Error("The output length of a transposed convolution over " + std::to_string(length) +
                    " steps at strides=" + std::to_string(stride) + " is more than 2^63 - 1");
    return out;
}

std::int64_t conv_output_length(std::int64_t length, std::int64_t kernel_size, const std::string& padding,
                                std::int64_t stride, std::int64_t dilation)
{
    const std::int64_t k_eff = dilation * (kernel_size - 1) + 1;
    if (padding != "valid") return ceil_div(length, stride);
    const std::int64_t span = length - k_eff; // Python's floor division, as Keras computes it
    return (span >= 0 ? span / stride : -((-span + stride - 1) / stride)) + 1;
}

std::int64_t conv_transpose_output_length(std::int64_t length, std::int64_t kernel_size, const std::string& padding,
                                          std::optional<std::int64_t> output_padding, std::int64_t stride,
                                          std::int64_t dilation)
{
    const std::int64_t k_eff = dilation * (kernel_size - 1) + 1;
    if (!output_padding) {
        if (padding == "valid") return transpose_length(length, stride, std::max(k_eff, stride));
        return transpose_length(length, stride, stride); // length * stride
    }
    if (padding == "valid") return transpose_length(length, stride, k_eff + *output_padding);
    return transpose_length(length, stride, k_eff % 2 + *output_padding);
}

std::int64_t conv_pad_left(std::int64_t length, std::int64_t kernel_size, const std::string& padding,
                           std::int64_t stride, std::int64_t dilation)
{
    const std::int64_t k_eff = dilation * (kernel_size - 1) + 1;
    if (padding == "causal") return k_eff - 1;
    if (padding == "same") return std::max<std::int64_t>(0, (ceil_div(length, stride) - 1) * stride + k_eff - length) / 2;
    return 0;
}

void check_history(const Layer& layer, std::int64_t kernel_size, std::int64_t dilation, std::size_t channels)
{
    const std::int64_t span = (kernel_size - 1) * dilation;
    if (double(span) * double(channels) > double(kMaxWeights))
        throw Error("Layer '" + layer.name() + "' (" + layer.class_name() + "): its history of (kernel_size - 1) * " +
                    "dilation_rate = " + std::to_string(span) + " frames of " + std::to_string(channels) +
                    " input channels would hold more than " + std::to_string(kMaxWeights) + " values, rtconv's limit");
}

void check_conv_input(const std::string& layer_name, const TensorShape& shape, bool channels_first,
                      std::size_t built_channels)
{
    const std::string prefix = "Input 0 of layer \"" + layer_name + "\" is incompatible with the layer: ";
    if (shape.size() != 3)
        throw Error(prefix + "expected ndim=3, found ndim=" + std::to_string(shape.size()) +
                    ". Full shape received: " + shape_to_string(shape));
    const auto& channels = shape[channels_first ? 1 : 2];
    if (!channels)
        throw Error(prefix + "the channel axis of the input must be defined. Full shape received: " +
                    shape_to_string(shape));
    // rtconv's own checks, beyond Keras': an empty axis makes an empty kernel or output.
    if (*channels == 0)
        throw Error(prefix + "the input has 0 channels. Full shape received: " + shape_to_string(shape));
    const auto& steps = shape[channels_first ? 2 : 1];
    if (steps && *steps == 0)
        throw Error(prefix + "the input has 0 steps. Full shape received: " + shape_to_string(shape));
    if (built_channels && static_cast<std::size_t>(*channels) != built_channels)
        throw Error(prefix + "expected axis " + (channels_first ? "1" : "-1") + " of input shape to have value " +
                    std::to_string(built_channels) + ", but received input with shape " + shape_to_string(shape));
}

} // namespace rtconv::detail
