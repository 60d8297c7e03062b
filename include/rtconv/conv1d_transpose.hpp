#pragma once
// keras.layers.Conv1DTranspose: the gradient of Conv1D (TensorFlow semantics), with Keras'
// arguments, output shapes (output_padding included), weight layout, errors and config.
#include "rtconv/activations.hpp"
#include "rtconv/layer.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rtconv {

struct Conv1DTransposeOptions {
    int filters = 0;
    int kernel_size = 0;
    int strides = 1;
    std::string padding = "valid";             ///< "valid" or "same"
    std::optional<int> output_padding;         ///< Keras' None by default; must be < strides
    std::string data_format = "channels_last"; ///< or "channels_first"
    int dilation_rate = 1;
    Activation activation;
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

class Conv1DTranspose : public Layer {
public:
    explicit Conv1DTranspose(Conv1DTransposeOptions options);
    ~Conv1DTranspose() override;
    Conv1DTranspose(const Conv1DTranspose&);
    Conv1DTranspose& operator=(const Conv1DTranspose&);

    static Conv1DTranspose from_config(const nlohmann::json& config);

    std::string class_name() const override { return "Conv1DTranspose"; }
    const Conv1DTransposeOptions& options() const { return options_; }
    TensorShape compute_output_shape(const TensorShape& input_shape) const override;
    nlohmann::json get_config() const override;

protected:
    void build_weights(const TensorShape& input_shape) override;
    Tensor call(const Tensor& inputs) override;
    void check_input_shape(const TensorShape& input_shape) const override;
    void weights_changed() override;

private:
    Conv1DTransposeOptions options_;
    std::size_t input_channels_ = 0;
    std::unique_ptr<detail::ConvPlan> plan_;
};

} // namespace rtconv
