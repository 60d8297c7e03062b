#pragma once
// keras.layers.PReLU: f(x) = x for x >= 0, alpha * x otherwise, with a learned alpha of the
// input's shape without the batch axis, size 1 along `shared_axes` (Keras' layout and config).
//
//   rtconv::PReLU prelu({.shared_axes = std::vector<int>{1}});   // one alpha per channel, any length
//   rtconv::Tensor y = prelu(x);   // x: (batch, steps, channels); alpha: (1, channels)
//
// Without the time axis shared, alpha has one row per step: the input length must then be fixed,
// and the layer cannot stream.
#include "rtconv/layer.hpp"

#include <optional>
#include <string>
#include <vector>

namespace rtconv {

struct PReLUOptions {
    Initializer alpha_initializer = "zeros";
    std::optional<Regularizer> alpha_regularizer;
    std::optional<Constraint> alpha_constraint;
    std::optional<std::vector<int>> shared_axes; ///< Keras' None: no axis shared
    std::optional<Regularizer> activity_regularizer;
    std::string name;
    std::string dtype = "float32";
    bool trainable = true;
    std::optional<TensorShape> input_shape;
    std::optional<TensorShape> batch_input_shape;
    std::optional<std::int64_t> batch_size;
    std::vector<Tensor> weights;
};

class PReLU : public Layer {
public:
    explicit PReLU(PReLUOptions options);

    /// From a Keras config dict (Keras 3 or Keras 2 spelling).
    static PReLU from_config(const nlohmann::json& config);

    std::string class_name() const override { return "PReLU"; }
    const PReLUOptions& options() const { return options_; }
    TensorShape compute_output_shape(const TensorShape& input_shape) const override;
    nlohmann::json get_config() const override;

protected:
    void build_weights(const TensorShape& input_shape) override;
    Tensor call(const Tensor& inputs) override;
    void check_input_shape(const TensorShape& input_shape) const override;

private:
    bool is_shared(std::size_t axis) const;

    PReLUOptions options_;
    TensorShape built_shape_; ///< the input shape the layer was built for; empty before build
};

} // namespace rtconv
