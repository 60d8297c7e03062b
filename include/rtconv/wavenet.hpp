#pragma once
// A WaveNet: layer arrays of dilated causal convolutions with a condition input, gated or plain
// activations, residual 1x1s and a head that sums every layer's output, as Neural Amp Modeler
// (NAM) and WaveNetVA build them. It is one rtconv layer: a Sequential holding it runs
// whole-sequence and streams like any other model, on the same convolution kernels.
//
// Per layer array (input x, condition c = the model input, head accumulator h):
//     x = rechannel(x)                                     1x1, input_size -> channels
//     for each layer:  z = conv_k,d(x) + mixin(c)          -> bottleneck (x2 when gated)
//                      a = act(z)  |  act(z0) * gate(z1)  |  blend: g*act(z0) + (1-g)*z0, g = gate(z1)
//                      h += head1x1(a)  (or a itself)
//                      x = x + layer1x1(a)  (or x unchanged without layer1x1)
//     head out = head_scale_on_last_array * head(h)        causal conv, kernel head.kernel_size
// Array i > 0 takes the previous array's x, and starts h from the previous array's head out.
#include "rtconv/activations.hpp"
#include "rtconv/layer.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace rtconv {

/// An activation by NAM's names and parameters: "Tanh", or {"type": "LeakyReLU", "negative_slope": 0.1}.
class WaveNetActivation {
public:
    enum class Kind { linear, tanh, fast_tanh, hard_tanh, leaky_hard_tanh, relu, leaky_relu, prelu, sigmoid, silu,
                      hard_swish, softsign };

    WaveNetActivation() = default;
    /// Throws rtconv::Error naming what is wrong (unknown name, bad parameter).
    static WaveNetActivation from_config(const nlohmann::json& config);
    nlohmann::json to_config() const;

    Kind kind() const { return kind_; }
    /// PReLU's per-channel slopes; empty for one slope and for the other kinds.
    const std::vector<double>& negative_slopes() const { return negative_slopes_; }
    /// The Keras activation with exactly this formula, when there is one: the kernel fuses it.
    std::optional<Activation> keras() const;
    /// Applies to n values of channel `channel` in place (PReLU slopes are per channel).
    template <class T> void apply(T* values, std::size_t n, std::size_t channel) const;

    bool operator==(const WaveNetActivation&) const = default;

private:
    Kind kind_ = Kind::tanh;
    double negative_slope_ = 0.01;            ///< LeakyReLU; PReLU when negative_slopes_ is empty
    std::vector<double> negative_slopes_;     ///< PReLU, one per channel
    double min_val_ = -1.0, max_val_ = 1.0, min_slope_ = 0.01, max_slope_ = 0.01; ///< LeakyHardtanh
};

enum class WaveNetGating { none, gated, blended };

struct WaveNetLayerOptions {
    int kernel_size = 3;
    int dilation = 1;
    WaveNetActivation activation;
    WaveNetGating gating = WaveNetGating::none;
    /// The gate's activation (NAM: Sigmoid), used when gating is not none.
    WaveNetActivation gate_activation = WaveNetActivation::from_config("Sigmoid");
};

struct WaveNetHeadOptions {
    int out_channels = 1;
    int kernel_size = 1;
    bool bias = false;
};

struct WaveNetArrayOptions {
    int input_size = 1;
    int condition_size = 1;  ///< 0: no input mixin
    int channels = 16;
    int bottleneck = 0;      ///< 0: the same as channels
    bool rechannel_bias = false;
    std::vector<WaveNetLayerOptions> layers;
    bool layer1x1 = true;    ///< without it the layer's output is its input (needs bottleneck == channels)
    /// Output channels of a per-layer 1x1 (with bias) between a layer and the head; unset: the
    /// head sums the activations themselves.
    std::optional<int> head1x1_channels;
    /// The head rechannel at the end of the array; unset: the head output is the accumulator.
    std::optional<WaveNetHeadOptions> head;

    int bottleneck_channels() const { return bottleneck > 0 ? bottleneck : channels; }
    /// Rows of the head accumulator.
    int head_input_channels() const { return head1x1_channels ? *head1x1_channels : bottleneck_channels(); }
    int head_output_channels() const { return head ? head->out_channels : head_input_channels(); }
};

struct WaveNetOptions {
    std::vector<WaveNetArrayOptions> arrays;
    double head_scale = 1.0;
    std::string name;
    std::string dtype = "float32";
    bool trainable = true;
    std::vector<Tensor> weights;

    /// Throws rtconv::Error naming the array, layer and field when the arrays do not fit together
    /// or a size is beyond rtconv's limits (which turn a corrupt file into an error, not an
    /// allocation of gigabytes). Allocates nothing.
    void validate() const;
    /// Values of every weight tensor the WaveNet holds, in build order.
    std::size_t weight_count() const;
};

class WaveNet : public Layer {
public:
    /// Checks that the arrays fit together; throws rtconv::Error naming the array, layer and field.
    explicit WaveNet(WaveNetOptions options);

    /// From the config get_config() writes (the native JSON form).
    static WaveNet from_config(const nlohmann::json& config);

    std::string class_name() const override { return "WaveNet"; }
    const WaveNetOptions& options() const { return options_; }
    std::size_t input_channels() const;
    std::size_t output_channels() const;
    /// Input samples one output sample depends on.
    std::size_t receptive_field() const;
    /// Multiply-adds per input sample.
    std::size_t macs_per_sample() const;

    TensorShape compute_output_shape(const TensorShape& input_shape) const override;
    nlohmann::json get_config() const override;

protected:
    void build_weights(const TensorShape& input_shape) override;
    Tensor call(const Tensor& inputs) override;
    void check_input_shape(const TensorShape& input_shape) const override;

private:
    WaveNetOptions options_;
};

} // namespace rtconv
