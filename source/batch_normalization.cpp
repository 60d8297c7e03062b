#include "rtconv/batch_normalization.hpp"

#include "layer_config.hpp"

#include <cmath>

namespace rtconv {

static BatchNormalizationOptions validated(BatchNormalizationOptions o)
{
    // A non-negative axis can only be checked against the input's rank, at build.
    if (o.axis < -1)
        throw Error("rtconv's BatchNormalization normalizes the last axis only (axis=-1). Received: axis=" +
                    std::to_string(o.axis));
    return o;
}

BatchNormalization::BatchNormalization(BatchNormalizationOptions options)
    : Layer("batch_normalization", detail::layer_args(options)), options_(validated(std::move(options)))
{
    build_if_shape_fixed();
}

BatchNormalization BatchNormalization::from_config(const nlohmann::json& config)
{
    BatchNormalizationOptions o;
    detail::read_layer_args(config, o);
    if (detail::find_key(config, "axis")) o.axis = detail::int_or_single(config, "axis");
    detail::read_number(config, "momentum", o.momentum);
    detail::read_number(config, "epsilon", o.epsilon);
    detail::read_bool(config, "center", o.center);
    detail::read_bool(config, "scale", o.scale);
    if (const auto* v = detail::find_key(config, "beta_initializer")) o.beta_initializer = Initializer::from_config(*v);
    if (const auto* v = detail::find_key(config, "gamma_initializer")) o.gamma_initializer = Initializer::from_config(*v);
    if (const auto* v = detail::find_key(config, "moving_mean_initializer"))
        o.moving_mean_initializer = Initializer::from_config(*v);
    if (const auto* v = detail::find_key(config, "moving_variance_initializer"))
        o.moving_variance_initializer = Initializer::from_config(*v);
    if (const auto* v = detail::find_key(config, "beta_regularizer")) o.beta_regularizer = Regularizer::from_config(*v);
    if (const auto* v = detail::find_key(config, "gamma_regularizer")) o.gamma_regularizer = Regularizer::from_config(*v);
    if (const auto* v = detail::find_key(config, "beta_constraint")) o.beta_constraint = Constraint::from_config(*v);
    if (const auto* v = detail::find_key(config, "gamma_constraint")) o.gamma_constraint = Constraint::from_config(*v);
    detail::read_bool(config, "synchronized", o.synchronized);
    return BatchNormalization(std::move(o));
}

void BatchNormalization::check_input_shape(const TensorShape& input_shape) const
{
    const std::string prefix = "Input 0 of layer \"" + name() + "\" is incompatible with the layer: ";
    if (rank_ && input_shape.size() != rank_)
        throw Error(prefix + "expected ndim=" + std::to_string(rank_) + ", found ndim=" +
                    std::to_string(input_shape.size()) + ". Full shape received: " + shape_to_string(input_shape));
    if (input_shape.empty() || !input_shape.back())
        throw Error(prefix + "the last axis of the input must be defined. Full shape received: " +
                    shape_to_string(input_shape));
    const auto rank = static_cast<int>(input_shape.size());
    if (options_.axis != -1 && options_.axis != rank - 1)
        throw Error("rtconv's BatchNormalization normalizes the last axis only (axis=-1 or " +
                    std::to_string(rank - 1) + " for inputs of rank " + std::to_string(rank) +
                    "). Received: axis=" + std::to_string(options_.axis));
    if (channels_ && static_cast<std::size_t>(*input_shape.back()) != channels_)
        throw Error(prefix + "expected axis -1 of input shape to have value " + std::to_string(channels_) +
                    ", but received input with shape " + shape_to_string(input_shape));
}

TensorShape BatchNormalization::compute_output_shape(const TensorShape& input_shape) const
{
    return input_shape;
}

void BatchNormalization::build_weights(const TensorShape& input_shape)
{
    rank_ = 0;
    channels_ = 0;
    check_input_shape(input_shape);
    rank_ = input_shape.size();
    channels_ = static_cast<std::size_t>(*input_shape.back());
    const Shape shape{channels_};
    if (options_.scale)
        add_weight("gamma", shape, options_.gamma_initializer, options_.gamma_regularizer, options_.gamma_constraint);
    if (options_.center)
        add_weight("beta", shape, options_.beta_initializer, options_.beta_regularizer, options_.beta_constraint);
    add_weight("moving_mean", shape, options_.moving_mean_initializer, std::nullopt, std::nullopt);
    add_weight("moving_variance", shape, options_.moving_variance_initializer, std::nullopt, std::nullopt);
}

void BatchNormalization::weights_changed()
{
    const std::size_t mean_index = variables_.size() - 2;
    const Tensor& mean = variables_[mean_index].value;
    const Tensor& variance = variables_[mean_index + 1].value;
    multiplier_.assign(channels_, 1.0);
    offset_.assign(channels_, 0.0);
    for (std::size_t c = 0; c < channels_; ++c) {
        const double gamma = options_.scale ? variables_[0].value.flat(c) : 1.0;
        const double beta = options_.center ? variables_[options_.scale ? 1 : 0].value.flat(c) : 0.0;
        multiplier_[c] = gamma / std::sqrt(variance.flat(c) + options_.epsilon);
        offset_[c] = beta - mean.flat(c) * multiplier_[c];
    }
}

template <class T>
static void normalize(const Tensor& x, Tensor& y, const std::vector<double>& multiplier, const std::vector<double>& offset)
{
    const std::size_t channels = multiplier.size();
    const T* in = x.data<T>();
    T* out = y.data<T>();
    for (std::size_t i = 0; i < x.size(); i += channels)
        for (std::size_t c = 0; c < channels; ++c)
            out[i + c] = in[i + c] * static_cast<T>(multiplier[c]) + static_cast<T>(offset[c]);
}

Tensor BatchNormalization::call(const Tensor& inputs)
{
    Tensor y(inputs.shape(), dtype());
    if (dtype() == DType::float32) normalize<float>(inputs, y, multiplier_, offset_);
    else normalize<double>(inputs, y, multiplier_, offset_);
    return y;
}

nlohmann::json BatchNormalization::get_config() const
{
    nlohmann::json config = Layer::get_config();
    if (options_.activity_regularizer) config["activity_regularizer"] = serialize(options_.activity_regularizer);
    config["axis"] = options_.axis;
    config["momentum"] = options_.momentum;
    config["epsilon"] = options_.epsilon;
    config["center"] = options_.center;
    config["scale"] = options_.scale;
    config["beta_initializer"] = options_.beta_initializer.serialize();
    config["gamma_initializer"] = options_.gamma_initializer.serialize();
    config["moving_mean_initializer"] = options_.moving_mean_initializer.serialize();
    config["moving_variance_initializer"] = options_.moving_variance_initializer.serialize();
    config["beta_regularizer"] = serialize(options_.beta_regularizer);
    config["gamma_regularizer"] = serialize(options_.gamma_regularizer);
    config["beta_constraint"] = serialize(options_.beta_constraint);
    config["gamma_constraint"] = serialize(options_.gamma_constraint);
    config["synchronized"] = options_.synchronized;
    return config;
}

} // namespace rtconv
