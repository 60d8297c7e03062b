#include "rtconv/conv1d.hpp"

#include "conv_config.hpp"
#include "conv_plan.hpp"

namespace rtconv {

using detail::ConvPlan;

static Conv1DOptions validated(Conv1DOptions o)
{
    detail::validate_conv_options(o, /*allow_causal=*/true);
    if (o.groups <= 0)
        throw Error("The number of groups must be a positive integer. Received: groups=" + std::to_string(o.groups) +
                    ".");
    if (o.filters % o.groups != 0)
        throw Error("The number of filters must be evenly divisible by the number of groups. Received: groups=" +
                    std::to_string(o.groups) + ", filters=" + std::to_string(o.filters) + ".");
    return o;
}

Conv1D::Conv1D(Conv1DOptions options)
    : Layer("conv1d", detail::layer_args(options)), options_(validated(std::move(options)))
{
    build_if_shape_fixed();
}

Conv1D::~Conv1D() = default;

Conv1D::Conv1D(const Conv1D& other)
    : Layer(other), options_(other.options_), input_channels_(other.input_channels_),
      plan_(other.plan_ ? std::make_unique<ConvPlan>(*other.plan_) : nullptr)
{
}

Conv1D& Conv1D::operator=(const Conv1D& other)
{
    if (this != &other) *this = Conv1D(other);
    return *this;
}

Conv1D Conv1D::from_config(const nlohmann::json& config)
{
    Conv1DOptions o;
    detail::read_conv_config(config, o);
    if (detail::find_key(config, "groups")) o.groups = detail::int_or_single(config, "groups");
    return Conv1D(std::move(o));
}

std::size_t Conv1D::history_frames() const
{
    return static_cast<std::size_t>(options_.dilation_rate) * static_cast<std::size_t>(options_.kernel_size - 1);
}

void Conv1D::check_input_shape(const TensorShape& input_shape) const
{
    detail::check_conv_input(name(), input_shape, options_.data_format == "channels_first", input_channels_);
}

TensorShape Conv1D::compute_output_shape(const TensorShape& input_shape) const
{
    const bool cf = options_.data_format == "channels_first";
    if (input_shape.size() != 3)
        throw Error("Invalid input shape for input " + shape_to_string(input_shape) +
                    ". Expected 3 dimensions (batch, steps, channels), got " + std::to_string(input_shape.size()) +
                    ".");
    const auto& steps = input_shape[cf ? 2 : 1];
    std::optional<std::int64_t> out_steps;
    if (steps) {
        out_steps = detail::conv_output_length(*steps, options_.kernel_size, options_.padding, options_.strides,
                                               options_.dilation_rate);
        if (*out_steps <= 0) {
            const auto& channels = input_shape[cf ? 1 : 2];
            throw Error("Computed output size would be negative. Received `inputs shape=" +
                        shape_to_string(input_shape) + "`, `kernel shape=(" + std::to_string(options_.kernel_size) +
                        ", " + (channels ? std::to_string(*channels) : std::string("None")) + ", " +
                        std::to_string(options_.filters) + ")`, `dilation_rate=[" +
                        std::to_string(options_.dilation_rate) + "]`.");
        }
    }
    if (cf) return {input_shape[0], options_.filters, out_steps};
    return {input_shape[0], out_steps, options_.filters};
}

void Conv1D::build_weights(const TensorShape& input_shape)
{
    const bool cf = options_.data_format == "channels_first";
    detail::check_conv_input(name(), input_shape, cf, 0);
    const std::size_t channels = static_cast<std::size_t>(*input_shape[cf ? 1 : 2]);
    if (channels % static_cast<std::size_t>(options_.groups) != 0)
        throw Error("The number of input channels must be evenly divisible by the number of groups. Received "
                    "groups=" + std::to_string(options_.groups) + ", but the input has " + std::to_string(channels) +
                    " channels (full input shape is " + shape_to_string(input_shape) + ").");
    detail::check_history(*this, options_.kernel_size, options_.dilation_rate, channels);
    compute_output_shape(input_shape);
    input_channels_ = channels;

    const std::size_t k = static_cast<std::size_t>(options_.kernel_size);
    const std::size_t f = static_cast<std::size_t>(options_.filters);
    const std::size_t g = static_cast<std::size_t>(options_.groups);
    add_weight("kernel", {k, channels / g, f}, options_.kernel_initializer, options_.kernel_regularizer,
               options_.kernel_constraint);
    if (options_.use_bias)
        add_weight("bias", {f}, options_.bias_initializer, options_.bias_regularizer, options_.bias_constraint);

    plan_ = std::make_unique<ConvPlan>();
    plan_->geometry = {channels, f, k, static_cast<std::size_t>(options_.strides),
                       static_cast<std::size_t>(options_.dilation_rate), g, /*transpose=*/false};
    plan_->activation = options_.activation;
}

void Conv1D::weights_changed()
{
    plan_->pack(variables_[0].value, options_.use_bias ? &variables_[1].value : nullptr);
}

template <class T> static void run_conv1d(const ConvPlan& plan, const Conv1DOptions& o, const Tensor& x, Tensor& y)
{
    const bool cf = o.data_format == "channels_first";
    const std::size_t steps = x.shape()[cf ? 2 : 1], out_steps = y.shape()[cf ? 2 : 1];
    const std::size_t pad_left = static_cast<std::size_t>(detail::conv_pad_left(
        static_cast<std::int64_t>(steps), o.kernel_size, o.padding, o.strides, o.dilation_rate));
    const std::size_t in_size = steps * plan.geometry.in_channels, out_size = out_steps * plan.geometry.filters;
    for (std::size_t b = 0; b < x.shape()[0]; ++b)
        detail::conv1d_forward<T>(plan, {x.data<T>() + b * in_size, steps, plan.geometry.in_channels, cf}, pad_left,
                                  {y.data<T>() + b * out_size, out_steps, plan.geometry.filters, cf});
}

Tensor Conv1D::call(const Tensor& inputs)
{
    const TensorShape out_shape = compute_output_shape(to_tensor_shape(inputs.shape()));
    Tensor y({inputs.shape()[0], static_cast<std::size_t>(*out_shape[1]), static_cast<std::size_t>(*out_shape[2])},
             dtype());
    if (dtype() == DType::float32) run_conv1d<float>(*plan_, options_, inputs, y);
    else run_conv1d<double>(*plan_, options_, inputs, y);
    if (!options_.activation.is_elementwise()) return detail::apply_last_axis_activation(options_.activation, y);
    return y;
}

nlohmann::json Conv1D::get_config() const
{
    nlohmann::json config = Layer::get_config();
    detail::write_conv_config(options_, config);
    config["groups"] = options_.groups;
    detail::write_conv_tail_config(options_, config);
    return config;
}

} // namespace rtconv
