#include "rtconv/conv1d_transpose.hpp"

#include "conv_config.hpp"
#include "conv_plan.hpp"

namespace rtconv {

using detail::ConvPlan;

static Conv1DTransposeOptions validated(Conv1DTransposeOptions o)
{
    detail::validate_conv_options(o, /*allow_causal=*/false);
    if (o.output_padding) {
        detail::check_positive("output_padding", *o.output_padding, /*allow_zero=*/true);
        if (*o.output_padding >= o.strides)
            throw Error("`output_padding` must be < `strides`. output_padding=(" + std::to_string(*o.output_padding) +
                        ",), strides=(" + std::to_string(o.strides) + ",)");
    }
    return o;
}

Conv1DTranspose::Conv1DTranspose(Conv1DTransposeOptions options)
    : Layer("conv1d_transpose", detail::layer_args(options)), options_(validated(std::move(options)))
{
    build_if_shape_fixed();
}

Conv1DTranspose::~Conv1DTranspose() = default;

Conv1DTranspose::Conv1DTranspose(const Conv1DTranspose& other)
    : Layer(other), options_(other.options_), input_channels_(other.input_channels_),
      plan_(other.plan_ ? std::make_unique<ConvPlan>(*other.plan_) : nullptr)
{
}

Conv1DTranspose& Conv1DTranspose::operator=(const Conv1DTranspose& other)
{
    if (this != &other) *this = Conv1DTranspose(other);
    return *this;
}

Conv1DTranspose Conv1DTranspose::from_config(const nlohmann::json& config)
{
    Conv1DTransposeOptions o;
    detail::read_conv_config(config, o);
    if (const auto* v = detail::find_key(config, "output_padding"); v && !v->is_null())
        o.output_padding = detail::int_or_single(config, "output_padding");
    return Conv1DTranspose(std::move(o));
}

void Conv1DTranspose::check_input_shape(const TensorShape& input_shape) const
{
    detail::check_conv_input(name(), input_shape, options_.data_format == "channels_first", input_channels_);
}

TensorShape Conv1DTranspose::compute_output_shape(const TensorShape& input_shape) const
{
    const bool cf = options_.data_format == "channels_first";
    if (input_shape.size() != 3)
        throw Error("Invalid input shape for input " + shape_to_string(input_shape) +
                    ". Expected 3 dimensions (batch, steps, channels), got " + std::to_string(input_shape.size()) +
                    ".");
    const auto& steps = input_shape[cf ? 2 : 1];
    std::optional<std::int64_t> out_steps;
    if (steps) {
        std::optional<std::int64_t> op;
        if (options_.output_padding) op = *options_.output_padding;
        out_steps = detail::conv_transpose_output_length(*steps, options_.kernel_size, options_.padding, op,
                                                         options_.strides, options_.dilation_rate);
    }
    if (cf) return {input_shape[0], options_.filters, out_steps};
    return {input_shape[0], out_steps, options_.filters};
}

void Conv1DTranspose::build_weights(const TensorShape& input_shape)
{
    const bool cf = options_.data_format == "channels_first";
    detail::check_conv_input(name(), input_shape, cf, 0);
    const std::size_t channels = static_cast<std::size_t>(*input_shape[cf ? 1 : 2]);
    detail::check_history(*this, options_.kernel_size, options_.dilation_rate, channels);
    input_channels_ = channels;
    const std::size_t k = static_cast<std::size_t>(options_.kernel_size);
    const std::size_t f = static_cast<std::size_t>(options_.filters);
    add_weight("kernel", {k, f, channels}, options_.kernel_initializer, options_.kernel_regularizer,
               options_.kernel_constraint);
    if (options_.use_bias)
        add_weight("bias", {f}, options_.bias_initializer, options_.bias_regularizer, options_.bias_constraint);

    plan_ = std::make_unique<ConvPlan>();
    plan_->geometry = {channels, f, k, static_cast<std::size_t>(options_.strides),
                       static_cast<std::size_t>(options_.dilation_rate), 1, /*transpose=*/true};
    plan_->activation = options_.activation;
}

void Conv1DTranspose::weights_changed()
{
    plan_->pack(variables_[0].value, options_.use_bias ? &variables_[1].value : nullptr);
}

template <class T>
static void run_conv1d_transpose(const ConvPlan& plan, const Conv1DTransposeOptions& o, const Tensor& x, Tensor& y)
{
    const bool cf = o.data_format == "channels_first";
    const std::size_t steps = x.shape()[cf ? 2 : 1], out_steps = y.shape()[cf ? 2 : 1];
    // TensorFlow's gradient-of-conv: the forward conv from out_steps samples back to `steps`
    // would pad (steps-1)*s + k_eff - out_steps in all, the left half of it first.
    const std::int64_t k_eff = static_cast<std::int64_t>(o.kernel_size - 1) * o.dilation_rate + 1;
    const std::int64_t total =
        static_cast<std::int64_t>(steps - 1) * o.strides + k_eff - static_cast<std::int64_t>(out_steps);
    const std::size_t crop_left = o.padding == "same" && total > 0 ? static_cast<std::size_t>(total / 2) : 0;
    const std::size_t in_size = steps * plan.geometry.in_channels, out_size = out_steps * plan.geometry.filters;
    for (std::size_t b = 0; b < x.shape()[0]; ++b)
        detail::conv1d_transpose_forward<T>(plan, {x.data<T>() + b * in_size, steps, plan.geometry.in_channels, cf},
                                            crop_left, {y.data<T>() + b * out_size, out_steps, plan.geometry.filters, cf});
}

Tensor Conv1DTranspose::call(const Tensor& inputs)
{
    const TensorShape out_shape = compute_output_shape(to_tensor_shape(inputs.shape()));
    Tensor y({inputs.shape()[0], static_cast<std::size_t>(*out_shape[1]), static_cast<std::size_t>(*out_shape[2])},
             dtype());
    if (dtype() == DType::float32) run_conv1d_transpose<float>(*plan_, options_, inputs, y);
    else run_conv1d_transpose<double>(*plan_, options_, inputs, y);
    if (!options_.activation.is_elementwise()) return detail::apply_last_axis_activation(options_.activation, y);
    return y;
}

nlohmann::json Conv1DTranspose::get_config() const
{
    nlohmann::json config = Layer::get_config();
    detail::write_conv_config(options_, config);
    // Keras 3 leaves output_padding out of get_config, so a saved model would come back with a
    // different output length; rtconv writes it (null when unset), and reads it when present.
    config["output_padding"] = options_.output_padding ? nlohmann::json::array({*options_.output_padding})
                                                       : nlohmann::json(nullptr);
    detail::write_conv_tail_config(options_, config);
    return config;
}

} // namespace rtconv
