#pragma once
// The models the real-time tests stream: every layer kind, padding, grouping and activation,
// both sample types, mono and stereo. To cover a new kind, add a row to model_cases(); a model
// the stream cannot run throws rtconv::Error, which fails the test.
#include "rtconv/activation_layer.hpp"
#include "rtconv/batch_normalization.hpp"
#include "rtconv/conv1d.hpp"
#include "rtconv/conv1d_transpose.hpp"
#include "rtconv/dense.hpp"
#include "rtconv/prelu.hpp"
#include "rtconv/sequential.hpp"
#include "rtconv/stream.hpp"
#include "rtconv/wavenet.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <variant>
#include <vector>

namespace rtconv_realtime {

using rtconv::ActivationLayerOptions;
using rtconv::BatchNormalizationOptions;
using rtconv::Conv1DOptions;
using rtconv::Conv1DTransposeOptions;
using rtconv::DenseOptions;
using rtconv::PReLUOptions;
using rtconv::WaveNetOptions;
using LayerSpec = std::variant<Conv1DOptions, Conv1DTransposeOptions, DenseOptions, BatchNormalizationOptions,
                               PReLUOptions, ActivationLayerOptions, WaveNetOptions>;

inline rtconv::Conv1D make_layer(const Conv1DOptions& o) { return rtconv::Conv1D(o); }
inline rtconv::Conv1DTranspose make_layer(const Conv1DTransposeOptions& o) { return rtconv::Conv1DTranspose(o); }
inline rtconv::Dense make_layer(const DenseOptions& o) { return rtconv::Dense(o); }
inline rtconv::BatchNormalization make_layer(const BatchNormalizationOptions& o) { return rtconv::BatchNormalization(o); }
inline rtconv::PReLU make_layer(const PReLUOptions& o) { return rtconv::PReLU(o); }
inline rtconv::ActivationLayer make_layer(const ActivationLayerOptions& o) { return rtconv::ActivationLayer(o); }
inline rtconv::WaveNet make_layer(const WaveNetOptions& o) { return rtconv::WaveNet(o); }

struct ModelCase {
    std::string name;
    std::size_t input_channels = 1;
    std::vector<LayerSpec> layers; ///< dtype and bias_initializer are set by build_model()
    std::size_t audio_channels = 1;
    std::size_t max_block = 64;
};

/// Every activation Keras applies elementwise, then the last-axis ones the stream may refuse.
inline const char* const kActivations[] = {
    "linear", "relu", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "silu", "hard_silu", "mish",
    "sigmoid", "hard_sigmoid", "log_sigmoid", "sparse_sigmoid", "tanh", "hard_tanh", "tanh_shrink",
    "soft_shrink", "hard_shrink", "softplus", "softsign", "squareplus", "sparse_plus", "exponential",
    "softmax", "log_softmax", "sparsemax", "glu",
};

/// WaveNet-style stack: 20 causal tanh layers, dilations 1..512 twice over.
inline ModelCase deep_dilated_case()
{
    ModelCase c{.name = "20-layer dilated causal tanh, 16 channels", .input_channels = 1};
    // Built in place: moving a temporary into the variant draws a false -Wmaybe-uninitialized from GCC 12.
    for (int i = 0; i < 20; ++i)
        c.layers.emplace_back(std::in_place_type<Conv1DOptions>,
                              Conv1DOptions{.filters = 16, .kernel_size = 3, .padding = "causal",
                                            .dilation_rate = 1 << (i % 10), .activation = "tanh"});
    return c;
}

/// WaveNets through every path of the block: NAM's plain layers with the condition mixin and a
/// fused head sum; gated layers with head 1x1s (WaveNetVA's form); blended and parametric
/// activations applied outside the kernel, a layer without its 1x1, a head kernel of 3.
inline std::vector<ModelCase> wavenet_cases()
{
    using rtconv::WaveNetActivation;
    using rtconv::WaveNetArrayOptions;
    using rtconv::WaveNetGating;
    using rtconv::WaveNetLayerOptions;
    const auto layers = [](WaveNetActivation activation, WaveNetGating gating, std::vector<int> dilations) {
        std::vector<WaveNetLayerOptions> list;
        for (int d : dilations) list.push_back({.kernel_size = 3, .dilation = d, .activation = activation, .gating = gating});
        return list;
    };
    const WaveNetActivation tanh = WaveNetActivation::from_config("Tanh");
    WaveNetArrayOptions nam_first{.input_size = 1, .condition_size = 1, .channels = 8,
                                  .layers = layers(tanh, WaveNetGating::none, {1, 2, 4, 8, 16, 32, 64, 128})};
    nam_first.head = rtconv::WaveNetHeadOptions{.out_channels = 4};
    WaveNetArrayOptions nam_second{.input_size = 8, .condition_size = 1, .channels = 4,
                                   .layers = layers(tanh, WaveNetGating::none, {1, 2, 4, 8})};
    nam_second.head = rtconv::WaveNetHeadOptions{.out_channels = 1, .bias = true};

    WaveNetArrayOptions gated{.input_size = 1, .condition_size = 0, .channels = 8, .rechannel_bias = true,
                              .layers = layers(tanh, WaveNetGating::gated, {1, 2, 4, 8, 16, 32, 64, 128}),
                              .head1x1_channels = 1};

    WaveNetArrayOptions mixed{.input_size = 1, .condition_size = 1, .channels = 3, .layer1x1 = false};
    mixed.layers = {
        {.kernel_size = 2, .dilation = 1, .activation = WaveNetActivation::from_config({{"type", "LeakyReLU"}, {"negative_slope", 0.1}}),
         .gating = WaveNetGating::blended},
        {.kernel_size = 3, .dilation = 5, .activation = WaveNetActivation::from_config("Fasttanh"),
         .gating = WaveNetGating::gated, .gate_activation = WaveNetActivation::from_config("Softsign")},
        {.kernel_size = 4, .dilation = 97, .activation = WaveNetActivation::from_config(
                                                {{"type", "PReLU"}, {"negative_slopes", {0.1, 0.2, 0.3}}})},
    };
    mixed.head = rtconv::WaveNetHeadOptions{.out_channels = 2, .kernel_size = 3, .bias = true};

    return {
        {"NAM-style WaveNet, two arrays, stereo", 1, {WaveNetOptions{.arrays = {nam_first, nam_second}, .head_scale = 0.02}}, 2},
        {"gated WaveNet with head 1x1s", 1, {WaveNetOptions{.arrays = {gated}}}},
        {"WaveNet: blended, parametric activations, no layer 1x1, head kernel 3, max block 1", 1,
         {WaveNetOptions{.arrays = {mixed}}}, 1, 1},
    };
}

inline std::vector<ModelCase> model_cases()
{
    std::vector<ModelCase> cases = {
        {"causal k3", 2, {Conv1DOptions{.filters = 8, .kernel_size = 3, .padding = "causal"}}},
        {"same k4 d2", 3, {Conv1DOptions{.filters = 6, .kernel_size = 4, .padding = "same", .dilation_rate = 2}}},
        {"valid k5 d3", 2, {Conv1DOptions{.filters = 4, .kernel_size = 5, .padding = "valid", .dilation_rate = 3}}},
        {"pointwise k1 without bias", 4, {Conv1DOptions{.filters = 8, .kernel_size = 1, .use_bias = false}}},
        // A history longer than any block: the ring wraps inside blocks.
        {"causal d97 beyond the block, stereo", 1,
         {Conv1DOptions{.filters = 4, .kernel_size = 3, .padding = "causal", .dilation_rate = 97}}, 2, 16},
        {"grouped (2 groups)", 8, {Conv1DOptions{.filters = 8, .kernel_size = 3, .padding = "causal", .groups = 2}}},
        {"depthwise (groups = channels)", 6,
         {Conv1DOptions{.filters = 6, .kernel_size = 3, .padding = "same", .dilation_rate = 2, .groups = 6}}},
        {"causal + same + valid stack, stereo", 2,
         {Conv1DOptions{.filters = 8, .kernel_size = 3, .padding = "causal", .dilation_rate = 4, .activation = "tanh"},
          Conv1DOptions{.filters = 8, .kernel_size = 4, .padding = "same", .dilation_rate = 2, .activation = "relu"},
          Conv1DOptions{.filters = 2, .kernel_size = 2, .padding = "valid", .activation = "sigmoid"}},
         2},
        {"max block 1", 1,
         {Conv1DOptions{.filters = 4, .kernel_size = 3, .padding = "same", .dilation_rate = 3, .activation = "gelu"},
          Conv1DOptions{.filters = 1, .kernel_size = 2, .padding = "causal"}},
         1, 1},
        deep_dilated_case(),
        // Resampling layers: decimation and polyphase upsampling, phases carried across blocks.
        {"strided k4 s2 same", 2, {Conv1DOptions{.filters = 8, .kernel_size = 4, .strides = 2, .padding = "same"}}},
        {"transpose k4 s2 valid", 2,
         {Conv1DTransposeOptions{.filters = 4, .kernel_size = 4, .strides = 2, .padding = "valid"}}},
        {"transpose k4 s2 same", 2,
         {Conv1DTransposeOptions{.filters = 4, .kernel_size = 4, .strides = 2, .padding = "same"}}},
        {"transpose k3 s2 valid output_padding 1", 2,
         {Conv1DTransposeOptions{.filters = 4, .kernel_size = 3, .strides = 2, .padding = "valid", .output_padding = 1}}},
        {"transpose k3 s2 same output_padding 1", 2,
         {Conv1DTransposeOptions{.filters = 4, .kernel_size = 3, .strides = 2, .padding = "same", .output_padding = 1}}},
        {"strided encoder + transpose decoder, stereo", 2,
         {Conv1DOptions{.filters = 8, .kernel_size = 4, .strides = 2, .padding = "same", .activation = "relu"},
          Conv1DTransposeOptions{.filters = 2, .kernel_size = 4, .strides = 2, .padding = "same"}},
         2},
        // The layers that stream as kernel-1 convolutions, with a per-channel slope and a frame activation.
        {"dense + batchnorm + prelu + softmax, stereo", 3,
         {DenseOptions{.units = 8, .activation = "tanh"}, BatchNormalizationOptions{},
          PReLUOptions{.alpha_initializer = "random_normal", .shared_axes = std::vector<int>{1}},
          ActivationLayerOptions{.activation = "softmax"},
          Conv1DOptions{.filters = 2, .kernel_size = 3, .padding = "causal"}},
         2},
    };
    for (ModelCase& c : wavenet_cases()) cases.push_back(std::move(c));
    for (const char* activation : kActivations)
        cases.push_back({std::string("activation ") + activation, 3,
                         {Conv1DOptions{.filters = 6, .kernel_size = 3, .padding = "causal", .activation = activation}}});
    return cases;
}

/// The case's model in `dtype` ("float32" or "float64"), with random biases so no bias path is all zeros.
inline rtconv::Sequential build_model(const ModelCase& c, const std::string& dtype)
{
    rtconv::Sequential model;
    model.set_input_shape({1, std::nullopt, static_cast<std::int64_t>(c.input_channels)});
    for (LayerSpec spec : c.layers)
        std::visit(
            [&](auto& options) {
                options.dtype = dtype;
                if constexpr (requires { options.bias_initializer; }) options.bias_initializer = "random_normal";
                model.add(make_layer(options));
            },
            spec);
    return model;
}

/// A prepared stream fed noise in blocks of random sizes in [1, 2 * max_block]: larger than
/// max_block too, which process() must split. All allocation happens in the constructor.
template <class T> class RandomBlockRunner {
public:
    /// Throws rtconv::Error when the stream cannot run the model.
    RandomBlockRunner(const rtconv::Sequential& model, const ModelCase& c, unsigned seed)
        : stream_(model), block_sizes_(1, 2 * c.max_block), rng_(seed)
    {
        stream_.prepare({.sample_rate = 48000, .max_block_size = c.max_block, .channels = c.audio_channels});
        const std::size_t longest = 2 * c.max_block;
        std::normal_distribution<T> noise;
        for (std::size_t ch = 0; ch < c.audio_channels; ++ch) {
            auto& in = inputs_.emplace_back(longest * stream_.input_channels());
            for (T& v : in) v = noise(rng_);
            outputs_.emplace_back(stream_.max_output_frames(longest) * stream_.output_channels());
        }
        for (std::size_t ch = 0; ch < c.audio_channels; ++ch) {
            input_pointers_.push_back(inputs_[ch].data());
            output_pointers_.push_back(outputs_[ch].data());
        }
    }

    /// One process() call; drawing the size touches no heap.
    void process_random_block()
    {
        stream_.process(input_pointers_.data(), output_pointers_.data(), block_sizes_(rng_));
    }

    rtconv::BasicModelStream<T>& stream() { return stream_; }

private:
    rtconv::BasicModelStream<T> stream_;
    std::uniform_int_distribution<std::size_t> block_sizes_;
    std::mt19937 rng_;
    std::vector<std::vector<T>> inputs_, outputs_;
    std::vector<const T*> input_pointers_;
    std::vector<T*> output_pointers_;
};

} // namespace rtconv_realtime
