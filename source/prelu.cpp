#include "rtconv/prelu.hpp"

#include "layer_config.hpp"

#include <algorithm>

namespace rtconv {

PReLU::PReLU(PReLUOptions options) : Layer("p_re_lu", detail::layer_args(options)), options_(std::move(options))
{
    build_if_shape_fixed();
}

PReLU PReLU::from_config(const nlohmann::json& config)
{
    PReLUOptions o;
    detail::read_layer_args(config, o);
    if (const auto* v = detail::find_key(config, "alpha_initializer")) o.alpha_initializer = Initializer::from_config(*v);
    if (const auto* v = detail::find_key(config, "alpha_regularizer")) o.alpha_regularizer = Regularizer::from_config(*v);
    if (const auto* v = detail::find_key(config, "alpha_constraint")) o.alpha_constraint = Constraint::from_config(*v);
    if (const auto* v = detail::find_key(config, "shared_axes"); v && !v->is_null()) {
        // Keras takes one axis or a list of them.
        std::vector<int> axes;
        for (const auto& axis : v->is_array() ? *v : nlohmann::json::array({*v})) {
            if (!axis.is_number_integer())
                throw Error("Layer config field 'shared_axes' must be an integer or a list of integers, got " +
                            v->dump());
            axes.push_back(axis.get<int>());
        }
        o.shared_axes = std::move(axes);
    }
    return PReLU(std::move(o));
}

bool PReLU::is_shared(std::size_t axis) const
{
    return options_.shared_axes && std::count(options_.shared_axes->begin(), options_.shared_axes->end(),
                                              static_cast<int>(axis)) > 0;
}

void PReLU::check_input_shape(const TensorShape& input_shape) const
{
    const std::string prefix = "Input 0 of layer \"" + name() + "\" is incompatible with the layer: ";
    if (input_shape.size() != built_shape_.size())
        throw Error(prefix + "expected ndim=" + std::to_string(built_shape_.size()) + ", found ndim=" +
                    std::to_string(input_shape.size()) + ". Full shape received: " + shape_to_string(input_shape));
    // Keras' input spec: every axis not shared keeps the size the layer was built for.
    for (std::size_t i = 1; i < input_shape.size(); ++i)
        if (!is_shared(i) && input_shape[i] != built_shape_[i])
            throw Error(prefix + "expected axis " + std::to_string(i) + " of input shape to have value " +
                        (built_shape_[i] ? std::to_string(*built_shape_[i]) : std::string("None")) +
                        ", but received input with shape " + shape_to_string(input_shape));
}

TensorShape PReLU::compute_output_shape(const TensorShape& input_shape) const
{
    return input_shape;
}

void PReLU::build_weights(const TensorShape& input_shape)
{
    if (input_shape.size() < 2)
        throw Error("Input 0 of layer \"" + name() + "\" is incompatible with the layer: expected ndim>=2, found "
                    "ndim=" + std::to_string(input_shape.size()) + ". Full shape received: " +
                    shape_to_string(input_shape));
    // Keras sets param_shape[i - 1] = 1 with Python indexing, so axis 0 names the last axis.
    const auto params = static_cast<int>(input_shape.size()) - 1;
    TensorShape param_shape(input_shape.begin() + 1, input_shape.end());
    for (int axis : options_.shared_axes.value_or(std::vector<int>{})) {
        const int index = axis - 1 < 0 ? axis - 1 + params : axis - 1;
        if (index < 0 || index >= params)
            throw Error("PReLU shared_axes value " + std::to_string(axis) + " is out of range for inputs of shape " +
                        shape_to_string(input_shape));
        param_shape[static_cast<std::size_t>(index)] = 1;
    }
    Shape alpha_shape;
    for (const auto& d : param_shape) {
        if (!d)
            throw Error("Layer \"" + name() + "\" needs a known size for every axis it does not share; received "
                        "input shape " + shape_to_string(input_shape) + " with shared_axes=" +
                        get_config()["shared_axes"].dump() + " (shared_axes=[1] takes inputs of any length)");
        alpha_shape.push_back(static_cast<std::size_t>(*d));
    }
    add_weight("alpha", alpha_shape, options_.alpha_initializer, options_.alpha_regularizer, options_.alpha_constraint);
    built_shape_ = input_shape;
}

/// alpha broadcast over the batch and the shared axes: its stride is 0 along an axis of size 1.
template <class T> static void prelu(const Tensor& x, const Tensor& alpha, Tensor& y)
{
    const Shape& shape = x.shape();
    const Shape& alpha_shape = alpha.shape();
    std::vector<std::size_t> strides(alpha_shape.size());
    for (std::size_t k = alpha_shape.size(), stride = 1; k-- > 0; stride *= alpha_shape[k])
        strides[k] = alpha_shape[k] == 1 ? 0 : stride;
    const std::size_t per_item = x.size() / shape[0];
    const T* in = x.data<T>();
    const T* a = alpha.data<T>();
    T* out = y.data<T>();
    for (std::size_t i = 0; i < x.size(); ++i) {
        std::size_t rest = i % per_item, index = 0;
        for (std::size_t k = alpha_shape.size(); k-- > 0;) {
            index += rest % shape[k + 1] * strides[k];
            rest /= shape[k + 1];
        }
        out[i] = in[i] >= T(0) ? in[i] : a[index] * in[i];
    }
}

Tensor PReLU::call(const Tensor& inputs)
{
    Tensor y(inputs.shape(), dtype());
    if (dtype() == DType::float32) prelu<float>(inputs, variables_[0].value, y);
    else prelu<double>(inputs, variables_[0].value, y);
    return y;
}

nlohmann::json PReLU::get_config() const
{
    nlohmann::json config = Layer::get_config();
    if (options_.activity_regularizer) config["activity_regularizer"] = serialize(options_.activity_regularizer);
    config["alpha_initializer"] = options_.alpha_initializer.serialize();
    config["alpha_regularizer"] = serialize(options_.alpha_regularizer);
    config["alpha_constraint"] = serialize(options_.alpha_constraint);
    config["shared_axes"] = options_.shared_axes ? nlohmann::json(*options_.shared_axes) : nlohmann::json(nullptr);
    return config;
}

} // namespace rtconv
