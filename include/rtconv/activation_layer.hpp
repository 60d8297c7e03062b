#pragma once
// keras.layers.Activation: applies an activation (rtconv::Activation: elementwise, or over the
// last axis) to its input. Keras' class name is "Activation"; rtconv::Activation is already the
// function, so the layer is ActivationLayer.
//
//   rtconv::ActivationLayer tanh({.activation = "tanh"});
//   rtconv::Tensor y = tanh(x);
#include "rtconv/activations.hpp"
#include "rtconv/layer.hpp"

#include <optional>
#include <string>
#include <vector>

namespace rtconv {

struct ActivationLayerOptions {
    Activation activation;
    std::optional<Regularizer> activity_regularizer;
    std::string name;
    std::string dtype = "float32";
    bool trainable = true;
    std::optional<TensorShape> input_shape;
    std::optional<TensorShape> batch_input_shape;
    std::optional<std::int64_t> batch_size;
    std::vector<Tensor> weights;
};

class ActivationLayer : public Layer {
public:
    explicit ActivationLayer(ActivationLayerOptions options);

    /// From a Keras config dict; "activation" is required, as in Keras.
    static ActivationLayer from_config(const nlohmann::json& config);

    std::string class_name() const override { return "Activation"; }
    const ActivationLayerOptions& options() const { return options_; }
    TensorShape compute_output_shape(const TensorShape& input_shape) const override;
    nlohmann::json get_config() const override;

protected:
    void build_weights(const TensorShape& input_shape) override;
    Tensor call(const Tensor& inputs) override;
    void check_input_shape(const TensorShape& input_shape) const override;

private:
    ActivationLayerOptions options_;
};

} // namespace rtconv
