#pragma once
// keras.layers.Conv1D: the same arguments, defaults, shapes, weight layout, errors and config.
//
//   rtconv::Conv1D conv({.filters = 16, .kernel_size = 3, .padding = "causal",
//                        .dilation_rate = 2, .activation = "tanh"});
//   rtconv::Tensor y = conv(x);   // x: (batch, steps, channels)
#include "rtconv/activations.hpp"
#include "rtconv/layer.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rtconv {

struct Conv1DOptions {
    int filters = 0;
    int kernel_size = 0;
    int strides = 1;
    std::string padding = "valid";             ///< "valid", "same" or "causal"
    std::string data_format = "channels_last"; ///< or "channels_first"
    int dilation_rate = 1;
    int groups = 1;
    Activation activation;                     ///< linear (Keras' None) by default
    bool use_bias = true;
    Initializer kernel_initializer = "glorot_uniform";
    Initializer bias_initializer = "zeros";
    std::optional<Regularizer> kernel_regularizer;
    std::optional<Regularizer> bias_regularizer;
    std::optional<Regularizer> activity_regularizer;
    std::optional<Constraint> kernel_constraint;
    std::optional<Constraint> bias_constraint;
    std::string name;
    std::string dtype = "float32";
    bool trainable = true;
    std::optional<TensorShape> input_shape;
    std::optional<TensorShape> batch_input_shape;
    std::optional<std::int64_t> batch_size;
    std::vector<Tensor> weights;
};

namespace detail { struct ConvPlan; }

class Conv1D : public Layer {
public:
    /// Validates the arguments as Keras does; throws rtconv::Error naming the argument.
    explicit Conv1D(Conv1DOptions options);
    ~Conv1D() override;
    Conv1D(const Conv1D&);
    Conv1D& operator=(const Conv1D&);

    /// From a Keras config dict (Keras 3 or Keras 2 spelling).
    static Conv1D from_config(const nlohmann::json& config);

    std::string class_name() const override { return "Conv1D"; }
    const Conv1DOptions& options() const { return options_; }
    TensorShape compute_output_shape(const TensorShape& input_shape) const override;
    nlohmann::json get_config() const override;

    /// Frames of input the layer looks back (causal/valid) or around (same): d*(k-1).
    std::size_t history_frames() const;

protected:
    void build_weights(const TensorShape& input_shape) override;
    Tensor call(const Tensor& inputs) override;
    void check_input_shape(const TensorShape& input_shape) const override;
    void weights_changed() override;

private:
    Conv1DOptions options_;
    std::size_t input_channels_ = 0;
    std::unique_ptr<detail::ConvPlan> plan_;
};

} // namespace rtconv
