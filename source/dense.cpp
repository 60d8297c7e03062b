#include "rtconv/dense.hpp"

#include "conv_plan.hpp"
#include "layer_config.hpp"

namespace rtconv {

using detail::ConvPlan;

static DenseOptions validated(DenseOptions o)
{
    if (o.units <= 0)
        throw Error("Received an invalid value for `units`, expected a positive integer. Received: units=" +
                    std::to_string(o.units));
    return o;
}

Dense::Dense(DenseOptions options) : Layer("dense", detail::layer_args(options)), options_(validated(std::move(options)))
{
    build_if_shape_fixed();
}

Dense::~Dense() = default;

Dense::Dense(const Dense& other)
    : Layer(other), options_(other.options_), input_dim_(other.input_dim_),
      plan_(other.plan_ ? std::make_unique<ConvPlan>(*other.plan_) : nullptr)
{
}

Dense& Dense::operator=(const Dense& other)
{
    if (this != &other) *this = Dense(other);
    return *this;
}

Dense Dense::from_config(const nlohmann::json& config)
{
    DenseOptions o;
    detail::read_layer_args(config, o);
    if (!detail::find_key(config, "units")) throw Error("Layer config is missing 'units'");
    o.units = detail::int_or_single(config, "units");
    if (const auto* v = detail::find_key(config, "activation")) o.activation = Activation::from_config(*v);
    detail::read_bool(config, "use_bias", o.use_bias);
    if (const auto* v = detail::find_key(config, "kernel_initializer")) o.kernel_initializer = Initializer::from_config(*v);
    if (const auto* v = detail::find_key(config, "bias_initializer")) o.bias_initializer = Initializer::from_config(*v);
    if (const auto* v = detail::find_key(config, "kernel_regularizer")) o.kernel_regularizer = Regularizer::from_config(*v);
    if (const auto* v = detail::find_key(config, "bias_regularizer")) o.bias_regularizer = Regularizer::from_config(*v);
    if (const auto* v = detail::find_key(config, "kernel_constraint")) o.kernel_constraint = Constraint::from_config(*v);
    if (const auto* v = detail::find_key(config, "bias_constraint")) o.bias_constraint = Constraint::from_config(*v);
    return Dense(std::move(o));
}

void Dense::check_input_shape(const TensorShape& input_shape) const
{
    const std::string prefix = "Input 0 of layer \"" + name() + "\" is incompatible with the layer: ";
    if (input_shape.size() < 2)
        throw Error(prefix + "expected min_ndim=2, found ndim=" + std::to_string(input_shape.size()) +
                    ". Full shape received: " + shape_to_string(input_shape));
    const auto& last = input_shape.back();
    if (!last)
        throw Error(prefix + "the last axis of the input must be defined. Full shape received: " +
                    shape_to_string(input_shape));
    if (input_dim_ && static_cast<std::size_t>(*last) != input_dim_)
        throw Error(prefix + "expected axis -1 of input shape to have value " + std::to_string(input_dim_) +
                    ", but received input with shape " + shape_to_string(input_shape));
}

TensorShape Dense::compute_output_shape(const TensorShape& input_shape) const
{
    TensorShape out = input_shape;
    if (out.empty())
        throw Error("Invalid input shape for input " + shape_to_string(input_shape) + ". Expected at least 2 dimensions.");
    out.back() = options_.activation.output_channels(static_cast<std::size_t>(options_.units));
    return out;
}

void Dense::build_weights(const TensorShape& input_shape)
{
    check_input_shape(input_shape);
    input_dim_ = static_cast<std::size_t>(*input_shape.back());
    const std::size_t units = static_cast<std::size_t>(options_.units);
    add_weight("kernel", {input_dim_, units}, options_.kernel_initializer, options_.kernel_regularizer,
               options_.kernel_constraint);
    if (options_.use_bias)
        add_weight("bias", {units}, options_.bias_initializer, options_.bias_regularizer, options_.bias_constraint);
    plan_ = std::make_unique<ConvPlan>();
    plan_->geometry = {input_dim_, units, /*kernel_size=*/1, 1, 1, 1, /*transpose=*/false};
    if (options_.activation.is_elementwise()) plan_->activation = options_.activation;
}

void Dense::weights_changed()
{
    const Tensor& kernel = variables_[0].value;
    plan_->pack(kernel.reshaped({1, kernel.shape()[0], kernel.shape()[1]}),
                options_.use_bias ? &variables_[1].value : nullptr);
}

/// Every position of the leading axes is one frame of a kernel-1 convolution.
template <class T> static void run_dense(const ConvPlan& plan, const Tensor& x, Tensor& y)
{
    const std::size_t frames = x.size() / plan.geometry.in_channels;
    detail::conv1d_forward<T>(plan, {x.data<T>(), frames, plan.geometry.in_channels, false}, 0,
                              {y.data<T>(), frames, plan.geometry.filters, false});
}

Tensor Dense::call(const Tensor& inputs)
{
    Shape shape = inputs.shape();
    shape.back() = static_cast<std::size_t>(options_.units);
    Tensor y(shape, dtype());
    if (dtype() == DType::float32) run_dense<float>(*plan_, inputs, y);
    else run_dense<double>(*plan_, inputs, y);
    if (!options_.activation.is_elementwise()) return detail::apply_last_axis_activation(options_.activation, y);
    return y;
}

nlohmann::json Dense::get_config() const
{
    nlohmann::json config = Layer::get_config();
    if (options_.activity_regularizer) config["activity_regularizer"] = serialize(options_.activity_regularizer);
    config["units"] = options_.units;
    config["activation"] = options_.activation.serialize();
    config["use_bias"] = options_.use_bias;
    config["kernel_initializer"] = options_.kernel_initializer.serialize();
    config["bias_initializer"] = options_.bias_initializer.serialize();
    config["kernel_regularizer"] = serialize(options_.kernel_regularizer);
    config["bias_regularizer"] = serialize(options_.bias_regularizer);
    config["kernel_constraint"] = serialize(options_.kernel_constraint);
    config["bias_constraint"] = serialize(options_.bias_constraint);
    return config;
}

} // namespace rtconv
