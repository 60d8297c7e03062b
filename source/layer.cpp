#include "rtconv/layer.hpp"

#include "limits.hpp"
#include "rtconv/error.hpp"
#include "weight_budget.hpp"

#include <map>
#include <mutex>

namespace rtconv {
namespace {

std::mutex name_mutex;
std::map<std::string, int> name_counts;

thread_local const detail::WeightBudget* weight_budget = nullptr;

std::string unique_name(const std::string& snake_name)
{
    std::lock_guard lock(name_mutex);
    const int n = name_counts[snake_name]++;
    return n == 0 ? snake_name : snake_name + "_" + std::to_string(n);
}

TensorShape shape_from_json(const nlohmann::json& j, const char* key)
{
    if (!j.is_array()) throw Error(std::string("Layer config field '") + key + "' must be a list");
    TensorShape shape;
    for (const auto& d : j) {
        if (d.is_null()) shape.push_back(std::nullopt);
        else if (d.is_number_integer() && d.get<std::int64_t>() >= 0) shape.push_back(d.get<std::int64_t>());
        else throw Error(std::string("Layer config field '") + key + "' must hold non-negative integers or null");
    }
    return shape;
}

} // namespace

void clear_session()
{
    std::lock_guard lock(name_mutex);
    name_counts.clear();
}

Layer::Layer(const std::string& snake_name, LayerArgs args)
    : name_(args.name.empty() ? unique_name(snake_name) : args.name),
      dtype_(dtype_from_name(args.dtype)),
      trainable_(args.trainable),
      activity_regularizer_(std::move(args.activity_regularizer)),
      initial_weights_(std::move(args.weights))
{
    if (args.batch_input_shape) {
        fixed_input_shape_ = args.batch_input_shape;
    } else if (args.input_shape) {
        TensorShape shape{args.batch_size ? std::optional<std::int64_t>(*args.batch_size) : std::nullopt};
        shape.insert(shape.end(), args.input_shape->begin(), args.input_shape->end());
        fixed_input_shape_ = shape;
    }
}

void Layer::build_if_shape_fixed()
{
    if (fixed_input_shape_) build(*fixed_input_shape_);
}

void Layer::build(const TensorShape& input_shape)
{
    if (fixed_input_shape_ && built_) {
        check_input_shape(input_shape);
        return;
    }
    variables_.clear();
    build_weights(input_shape);
    built_ = true;
    if (!initial_weights_.empty()) set_weights(initial_weights_);
    else weights_changed();
}

Tensor Layer::operator()(const Tensor& inputs)
{
    const TensorShape shape = to_tensor_shape(inputs.shape());
    if (!built_) build(shape);
    check_input_shape(shape);
    Tensor y = inputs.dtype() == dtype_ ? call(inputs) : call(inputs.astype(dtype_));
    has_activity_loss_ = activity_regularizer_.has_value();
    if (activity_regularizer_) {
        const double batch = y.rank() > 0 ? static_cast<double>(y.shape()[0]) : 1.0;
        activity_loss_ = batch > 0 ? (*activity_regularizer_)(y) / batch : 0.0;
    }
    return y;
}

std::size_t Layer::count_params() const
{
    if (!built_)
        throw Error("You tried to call `count_params` on layer '" + name_ +
                    "', but the layer isn't built. You can build it manually via: `layer.build(input_shape)`.");
    std::size_t n = 0;
    for (const auto& v : variables_) n += v.value.size();
    return n;
}

std::vector<Tensor> Layer::get_weights() const
{
    std::vector<Tensor> out;
    for (const auto& v : variables_) out.push_back(v.value);
    return out;
}

void Layer::set_weights(const std::vector<Tensor>& weights)
{
    if (weights.size() != variables_.size())
        throw Error("You called `set_weights(weights)` on layer '" + name_ + "' with a weight list of length " +
                    std::to_string(weights.size()) + ", but the layer was expecting " +
                    std::to_string(variables_.size()) + " weights.");
    for (std::size_t i = 0; i < weights.size(); ++i)
        if (weights[i].shape() != variables_[i].value.shape())
            throw Error("Layer " + name_ + " weight shape " + shape_to_string(variables_[i].value.shape()) +
                        " is not compatible with provided weight shape " + shape_to_string(weights[i].shape()) +
                        " (weight '" + variables_[i].name + "').");
    for (std::size_t i = 0; i < weights.size(); ++i) variables_[i].value = weights[i].astype(dtype_);
    weights_changed();
}

nlohmann::json Layer::get_config() const
{
    return {{"name", name_}, {"trainable", trainable_}, {"dtype", serialize_dtype(dtype_)}};
}

std::vector<double> Layer::losses() const
{
    std::vector<double> out;
    if (has_activity_loss_) out.push_back(activity_loss_);
    if (trainable_)
        for (const auto& v : variables_)
            if (v.regularizer) out.push_back((*v.regularizer)(v.value));
    return out;
}

void Layer::apply_constraints()
{
    for (auto& v : variables_)
        if (v.constraint) v.value = (*v.constraint)(v.value);
    weights_changed();
}

Variable& Layer::add_weight(const std::string& name, const Shape& shape, const Initializer& initializer,
                            const std::optional<Regularizer>& regularizer,
                            const std::optional<Constraint>& constraint)
{
    // Checked before the initializer allocates: a layer's sizes may come from a file
    // (kernel_size 10^9, filters 10^9), and their product may not even fit a size_t.
    std::size_t held = 0;
    for (const auto& v : variables_) held += v.value.size();
    std::size_t size = 1;
    for (const std::size_t d : shape)
        size = d != 0 && size > detail::kMaxWeights / d ? detail::kMaxWeights + 1 : size * d;
    if (held + size > detail::kMaxWeights)
        throw Error("Layer '" + name_ + "' (" + class_name() + "): weight '" + name + "' of shape " +
                    shape_to_string(shape) + " would make the layer hold more than " +
                    std::to_string(detail::kMaxWeights) + " weights, rtconv's limit");
    if (const detail::WeightBudget* budget = detail::WeightBudget::current(); budget && held + size > budget->weights())
        throw Error("Layer '" + name_ + "' (" + class_name() + "): weight '" + name + "' of shape " +
                    shape_to_string(shape) + " would make the layer hold more weights than the file has values (" +
                    std::to_string(budget->weights()) + ")");
    variables_.push_back({name, initializer(shape, dtype_), initializer, regularizer, constraint});
    return variables_.back();
}

namespace detail {

WeightBudget::WeightBudget(std::size_t weights) : weights_(weights), outer_(weight_budget)
{
    weight_budget = this;
}

WeightBudget::~WeightBudget()
{
    weight_budget = outer_;
}

const WeightBudget* WeightBudget::current()
{
    return weight_budget;
}

} // namespace detail

nlohmann::json serialize_dtype(DType dtype)
{
    return {{"module", "keras"},
            {"class_name", "DTypePolicy"},
            {"config", {{"name", dtype_name(dtype)}}},
            {"registered_name", nullptr}};
}

LayerArgs layer_args_from_config(const nlohmann::json& config)
{
    if (!config.is_object()) throw Error("A layer config must be a JSON object");
    LayerArgs args;
    if (auto it = config.find("name"); it != config.end() && !it->is_null()) {
        if (!it->is_string()) throw Error("Layer config field 'name' must be a string");
        args.name = it->get<std::string>();
    }
    if (auto it = config.find("trainable"); it != config.end()) {
        if (!it->is_boolean()) throw Error("Layer config field 'trainable' must be true or false");
        args.trainable = it->get<bool>();
    }
    if (auto it = config.find("dtype"); it != config.end() && !it->is_null()) {
        // Keras 2: "float32"; Keras 3: {"class_name": "DTypePolicy", "config": {"name": "float32"}};
        // Keras 2 mixed precision: {"class_name": "Policy", "config": {"name": ...}}.
        if (it->is_string()) args.dtype = it->get<std::string>();
        else if (it->is_object() && it->contains("config") && (*it)["config"].is_object() &&
                 (*it)["config"].contains("name") && (*it)["config"]["name"].is_string())
            args.dtype = (*it)["config"]["name"].get<std::string>();
        else throw Error("Layer config field 'dtype' must be a dtype name or a DTypePolicy dict");
        dtype_from_name(args.dtype); // rejects what rtconv cannot compute in
    }
    if (auto it = config.find("batch_input_shape"); it != config.end() && !it->is_null())
        args.batch_input_shape = shape_from_json(*it, "batch_input_shape");
    if (auto it = config.find("batch_shape"); it != config.end() && !it->is_null())
        args.batch_input_shape = shape_from_json(*it, "batch_shape");
    if (auto it = config.find("activity_regularizer"); it != config.end())
        args.activity_regularizer = Regularizer::from_config(*it);
    return args;
}

} // namespace rtconv
