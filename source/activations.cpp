#include "rtconv/activations.hpp"

#include "activation_formulas.hpp"
#include "rtconv/error.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>
#include <utility>

namespace rtconv {
namespace {

using Kind = Activation::Kind;

/// keras.activations' names, in the order of Kind.
constexpr std::array<std::string_view, 29> kind_names = {
    "linear", "relu", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "silu", "hard_silu", "mish",
    "sigmoid", "hard_sigmoid", "log_sigmoid", "sparse_sigmoid", "tanh", "hard_tanh", "tanh_shrink", "soft_shrink",
    "hard_shrink", "softplus", "softsign", "squareplus", "sparse_plus", "exponential",
    "softmax", "log_softmax", "sparsemax", "glu",
};
static_assert(kind_names.size() == static_cast<std::size_t>(Kind::glu) + 1);

/// Aliases keras.activations.get accepts; they serialize under the canonical name.
constexpr std::array<std::pair<std::string_view, Kind>, 2> aliases = {{
    {"swish", Kind::silu},
    {"hard_swish", Kind::hard_silu},
}};

Kind kind_from_name(const std::string& name)
{
    for (std::size_t i = 0; i < kind_names.size(); ++i)
        if (kind_names[i] == name) return static_cast<Kind>(i);
    for (const auto& [alias, kind] : aliases)
        if (alias == name) return kind;
    if (name == "threshold")
        throw Error("activation 'threshold' needs its threshold and default_value arguments, which a layer's "
                    "activation name cannot carry; use a separate layer");
    throw Error("Could not interpret activation function identifier: " + name);
}

template <class T> void softmax_row(const T* x, T* y, std::size_t n)
{
    const T peak = *std::max_element(x, x + n);
    T sum = 0;
    for (std::size_t i = 0; i < n; ++i) sum += (y[i] = std::exp(x[i] - peak));
    for (std::size_t i = 0; i < n; ++i) y[i] /= sum;
}

template <class T> void log_softmax_row(const T* x, T* y, std::size_t n)
{
    const T peak = *std::max_element(x, x + n);
    T sum = 0;
    for (std::size_t i = 0; i < n; ++i) sum += std::exp(x[i] - peak);
    const T offset = peak + std::log(sum);
    for (std::size_t i = 0; i < n; ++i) y[i] = x[i] - offset;
}

/// Euclidean projection onto the simplex (Martins & Astudillo 2016). The support is found
/// by counting instead of sorting, so no scratch memory is needed; rows are channel-sized.
template <class T> void sparsemax_row(const T* x, T* y, std::size_t n)
{
    std::size_t support = 0;
    T support_sum = 0;
    for (std::size_t i = 0; i < n; ++i) {
        std::size_t rank = 0; // how many values are >= x[i]: x[i]'s place in descending order
        T sum = 0;
        for (std::size_t j = 0; j < n; ++j)
            if (x[j] >= x[i]) ++rank, sum += x[j];
        if (T(1) + T(rank) * x[i] > sum && rank > support) support = rank, support_sum = sum;
    }
    const T tau = (support_sum - T(1)) / T(support);
    for (std::size_t i = 0; i < n; ++i) y[i] = std::max(x[i] - tau, T(0));
}

template <class T> void glu_row(const T* x, T* y, std::size_t n)
{
    const std::size_t half = n / 2;
    for (std::size_t i = 0; i < half; ++i) y[i] = x[i] * detail::sigmoid(x[half + i]);
}

} // namespace

Activation::Activation(const char* name) : Activation(std::string(name)) {}

Activation::Activation(const std::string& name) : kind_(kind_from_name(name))
{
    name_ = kind_names[static_cast<std::size_t>(kind_)];
}

Activation Activation::from_config(const nlohmann::json& config)
{
    if (config.is_null()) return {};
    if (config.is_string()) return Activation(config.get<std::string>());
    // Keras 3 serializes a function as {"module": "keras.activations", "class_name": "function",
    // "config": "relu", "registered_name": "function"}; older files may name it in class_name.
    if (config.is_object()) {
        if (const auto c = config.find("config"); c != config.end() && c->is_string())
            return Activation(c->get<std::string>());
        if (const auto c = config.find("class_name"); c != config.end() && c->is_string())
            return Activation(c->get<std::string>());
    }
    throw Error("Could not interpret activation function identifier: " + config.dump());
}

nlohmann::json Activation::serialize() const
{
    return name_;
}

std::size_t Activation::output_channels(std::size_t channels) const
{
    return kind_ == Kind::glu ? channels / 2 : channels;
}

template <class T> void Activation::apply_last_axis(const T* data, T* out, std::size_t outer, std::size_t axis) const
{
    if (kind_ == Kind::glu && axis % 2 != 0)
        throw Error("glu: the last axis (" + std::to_string(axis) + ") must be divisible by 2");
    for (std::size_t o = 0; o < outer; ++o) {
        const T* x = data + o * axis;
        T* y = out + o * output_channels(axis);
        switch (kind_) {
        case Kind::softmax: softmax_row(x, y, axis); break;
        case Kind::log_softmax: log_softmax_row(x, y, axis); break;
        case Kind::sparsemax: sparsemax_row(x, y, axis); break;
        case Kind::glu: glu_row(x, y, axis); break;
        default:
            detail::visit_elementwise(kind_, [&](auto kind) {
                for (std::size_t i = 0; i < axis; ++i) y[i] = detail::activate<kind.value>(x[i]);
            });
        }
    }
}

template void Activation::apply_last_axis<float>(const float*, float*, std::size_t, std::size_t) const;
template void Activation::apply_last_axis<double>(const double*, double*, std::size_t, std::size_t) const;

} // namespace rtconv
