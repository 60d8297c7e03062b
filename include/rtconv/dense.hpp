#pragma once
// keras.layers.Dense: the same arguments, defaults, weight layout, errors and config. It acts on
// the last axis, so on a sequence (batch, steps, channels) it maps every frame's channels to
// `units` outputs: a kernel-1 Conv1D.
//
//   rtconv::Dense dense({.units = 8, .activation = "tanh"});
//   rtconv::Tensor y = dense(x);   // x: (batch, steps, channels) -> (batch, steps, 8)
#include "rtconv/activations.hpp"
#include "rtconv/layer.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rtconv {

struct DenseOptions {
    int units = 0;
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

class Dense : public Layer {
public:
    /// Validates the arguments as Keras does; throws rtconv::Error naming the argument.
    explicit Dense(DenseOptions options);
    ~Dense() override;
    Dense(const Dense&);
    Dense& operator=(const Dense&);

    /// From a Keras config dict (Keras 3 or Keras 2 spelling).
    static Dense from_config(const nlohmann::json& config);

    std::string class_name() const override { return "Dense"; }
    const DenseOptions& options() const { return options_; }
    TensorShape compute_output_shape(const TensorShape& input_shape) const override;
    nlohmann::json get_config() const override;

protected:
    void build_weights(const TensorShape& input_shape) override;
    Tensor call(const Tensor& inputs) override;
    void check_input_shape(const TensorShape& input_shape) const override;
    void weights_changed() override;

private:
    DenseOptions options_;
    std::size_t input_dim_ = 0;
    std::unique_ptr<detail::ConvPlan> plan_; ///< the kernel as a (1, input_dim, units) convolution
};

} // namespace rtconv
