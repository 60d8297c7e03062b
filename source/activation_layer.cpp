#include "rtconv/activation_layer.hpp"

#include "conv_plan.hpp"
#include "layer_config.hpp"

namespace rtconv {

ActivationLayer::ActivationLayer(ActivationLayerOptions options)
    : Layer("activation", detail::layer_args(options)), options_(std::move(options))
{
    build_if_shape_fixed();
}

ActivationLayer ActivationLayer::from_config(const nlohmann::json& config)
{
    ActivationLayerOptions o;
    detail::read_layer_args(config, o);
    const auto* activation = detail::find_key(config, "activation");
    if (!activation) throw Error("Layer config is missing 'activation'");
    o.activation = Activation::from_config(*activation);
    return ActivationLayer(std::move(o));
}

void ActivationLayer::check_input_shape(const TensorShape& input_shape) const
{
    if (options_.activation.is_elementwise()) return;
    if (input_shape.empty() || !input_shape.back())
        throw Error("Input 0 of layer \"" + name() + "\" is incompatible with the layer: activation '" +
                    options_.activation.name() + "' acts on the last axis, which must be defined. Full shape "
                    "received: " + shape_to_string(input_shape));
    if (options_.activation.kind() == Activation::Kind::glu && *input_shape.back() % 2 != 0)
        throw Error("Input 0 of layer \"" + name() + "\" is incompatible with the layer: glu needs an even size "
                    "of the last axis. Full shape received: " + shape_to_string(input_shape));
}

TensorShape ActivationLayer::compute_output_shape(const TensorShape& input_shape) const
{
    TensorShape out = input_shape;
    if (!out.empty() && out.back())
        out.back() = static_cast<std::int64_t>(options_.activation.output_channels(static_cast<std::size_t>(*out.back())));
    return out;
}

void ActivationLayer::build_weights(const TensorShape& input_shape)
{
    check_input_shape(input_shape);
}

Tensor ActivationLayer::call(const Tensor& inputs)
{
    return detail::apply_last_axis_activation(options_.activation, inputs);
}

nlohmann::json ActivationLayer::get_config() const
{
    nlohmann::json config = Layer::get_config();
    if (options_.activity_regularizer) config["activity_regularizer"] = serialize(options_.activity_regularizer);
    config["activation"] = options_.activation.serialize();
    return config;
}

} // namespace rtconv
