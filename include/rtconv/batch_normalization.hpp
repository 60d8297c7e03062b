#pragma once
// keras.layers.BatchNormalization in inference mode: each channel of the last axis becomes
// (x - moving_mean) / sqrt(moving_variance + epsilon) * gamma + beta. Weights in Keras' order:
// gamma (with scale), beta (with center), moving_mean, moving_variance, each (channels,).
// rtconv normalizes the last axis only (axis=-1, Keras' default); momentum is kept for the config.
//
//   rtconv::BatchNormalization norm({.epsilon = 1e-5});
//   rtconv::Tensor y = norm(x);   // x: (batch, steps, channels), same shape out
#include "rtconv/layer.hpp"

#include <optional>
#include <string>
#include <vector>

namespace rtconv {

struct BatchNormalizationOptions {
    int axis = -1;          ///< -1, or the index of the last axis (Keras 2 configs write it as [2])
    double momentum = 0.99;
    double epsilon = 1e-3;
    bool center = true;     ///< adds beta
    bool scale = true;      ///< multiplies by gamma
    Initializer beta_initializer = "zeros";
    Initializer gamma_initializer = "ones";
    Initializer moving_mean_initializer = "zeros";
    Initializer moving_variance_initializer = "ones";
    std::optional<Regularizer> beta_regularizer;
    std::optional<Regularizer> gamma_regularizer;
    std::optional<Constraint> beta_constraint;
    std::optional<Constraint> gamma_constraint;
    bool synchronized = false;
    std::optional<Regularizer> activity_regularizer;
    std::string name;
    std::string dtype = "float32";
    bool trainable = true;
    std::optional<TensorShape> input_shape;
    std::optional<TensorShape> batch_input_shape;
    std::optional<std::int64_t> batch_size;
    std::vector<Tensor> weights;
};

class BatchNormalization : public Layer {
public:
    /// Validates the arguments; throws rtconv::Error naming the argument.
    explicit BatchNormalization(BatchNormalizationOptions options);

    /// From a Keras config dict (Keras 3 or Keras 2 spelling).
    static BatchNormalization from_config(const nlohmann::json& config);

    std::string class_name() const override { return "BatchNormalization"; }
    const BatchNormalizationOptions& options() const { return options_; }
    TensorShape compute_output_shape(const TensorShape& input_shape) const override;
    nlohmann::json get_config() const override;

    /// The normalization as y = x * multiplier + offset per channel (float64; built layers only).
    const std::vector<double>& multiplier() const { return multiplier_; }
    const std::vector<double>& offset() const { return offset_; }

protected:
    void build_weights(const TensorShape& input_shape) override;
    Tensor call(const Tensor& inputs) override;
    void check_input_shape(const TensorShape& input_shape) const override;
    void weights_changed() override;

private:
    BatchNormalizationOptions options_;
    std::size_t channels_ = 0;
    std::size_t rank_ = 0;
    std::vector<double> multiplier_, offset_;
};

} // namespace rtconv
