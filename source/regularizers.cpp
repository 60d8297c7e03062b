#include "rtconv/regularizers.hpp"

#include "keras_object.hpp"
#include "rtconv/error.hpp"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

namespace rtconv {
namespace {

using json = nlohmann::json;
using Kind = Regularizer::Kind;
using detail::python_repr;

// keras.regularizers.get takes the class names and their to_snake_case forms ("l1l2"); "l1_l2" is
// the name of the keras.regularizers.l1_l2 export and of Keras 2's function, taken too.
constexpr std::pair<const char*, Kind> names[] = {
    {"L1", Kind::l1},
    {"l1", Kind::l1},
    {"L2", Kind::l2},
    {"l2", Kind::l2},
    {"L1L2", Kind::l1l2},
    {"l1l2", Kind::l1l2},
    {"l1_l2", Kind::l1l2},
    {"OrthogonalRegularizer", Kind::orthogonal},
    {"orthogonal_regularizer", Kind::orthogonal},
};

const char* class_name_of(Kind kind)
{
    switch (kind) {
    case Kind::l1: return "L1";
    case Kind::l2: return "L2";
    case Kind::l1l2: return "L1L2";
    case Kind::orthogonal: return "OrthogonalRegularizer";
    }
    return "";
}

Kind kind_named(const std::string& name)
{
    for (const auto& [n, kind] : names)
        if (name == n) return kind;
    throw Error("Could not interpret regularizer identifier: " + name);
}

/// The arguments of each Keras class with their defaults.
json default_config(Kind kind)
{
    switch (kind) {
    case Kind::l1: return {{"l1", 0.01}};
    case Kind::l2: return {{"l2", 0.01}};
    case Kind::l1l2: return {{"l1", 0.0}, {"l2", 0.0}};
    case Kind::orthogonal: return {{"factor", 0.01}, {"mode", "rows"}};
    }
    return json::object();
}

/// Keras' validate_float_arg: a finite, non-negative number.
double validate_float_arg(const json& value, const std::string& name)
{
    if (!value.is_number() || !std::isfinite(value.get<double>()) || value.get<double>() < 0)
        throw Error("Invalid value for argument " + name + ": expected a non-negative float. Received: " + name + "=" +
                    python_repr(value));
    return value.get<double>();
}

/// Keras' checks of the constructor arguments; the factors become floats, as get_config writes them.
json checked_config(Kind kind, json config)
{
    for (const char* key : {"l1", "l2", "factor"}) {
        if (!config.contains(key)) continue;
        json& value = config[key];
        // L1, L2 and L1L2 read None as their default; OrthogonalRegularizer rejects it.
        if (value.is_null() && kind != Kind::orthogonal) value = default_config(kind)[key];
        value = validate_float_arg(value, key);
    }
    if (kind == Kind::orthogonal && config["mode"] != "rows" && config["mode"] != "columns")
        throw Error("Invalid value for argument `mode`. Expected one of {\"rows\", \"columns\"}. Received: mode=" +
                    python_repr(config["mode"]));
    return config;
}

double sum_abs(const Tensor& x)
{
    double sum = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) sum += std::abs(x.flat(i));
    return sum;
}

double sum_squares(const Tensor& x)
{
    double sum = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) sum += x.flat(i) * x.flat(i);
    return sum;
}

/// Keras' OrthogonalRegularizer: factor times the mean |cosine| over all pairs of rows (or columns).
double orthogonal_penalty(const Tensor& x, double factor, bool rows)
{
    if (x.rank() != 2)
        throw Error("Inputs to OrthogonalRegularizer must have rank 2. Received: inputs.shape=" +
                    shape_to_string(x.shape()));
    const std::size_t count = rows ? x.shape()[0] : x.shape()[1];
    const std::size_t length = rows ? x.shape()[1] : x.shape()[0];
    const auto element = [&](std::size_t vector, std::size_t i) {
        return rows ? x.flat(vector * length + i) : x.flat(i * count + vector);
    };
    // keras.ops.normalize: v * min(1/|v|, 1/epsilon), so a zero vector stays zero.
    constexpr double epsilon = 1e-7;
    std::vector<std::vector<double>> unit(count, std::vector<double>(length));
    for (std::size_t v = 0; v < count; ++v) {
        double squares = 0.0;
        for (std::size_t i = 0; i < length; ++i) squares += element(v, i) * element(v, i);
        const double scale = std::min(1.0 / std::sqrt(squares), 1.0 / epsilon);
        for (std::size_t i = 0; i < length; ++i) unit[v][i] = element(v, i) * scale;
    }
    // The product matrix without its diagonal is symmetric: each pair counts twice.
    double off_diagonal = 0.0;
    for (std::size_t a = 0; a < count; ++a)
        for (std::size_t b = a + 1; b < count; ++b) {
            double dot = 0.0;
            for (std::size_t i = 0; i < length; ++i) dot += unit[a][i] * unit[b][i];
            off_diagonal += 2.0 * std::abs(dot);
        }
    const double pairs = double(count) * (double(count) - 1.0) / 2.0; // 0 for one vector: 0/0, NaN as in Keras
    return factor * 0.5 * off_diagonal / pairs;
}

} // namespace

Regularizer::Regularizer(const char* name) : Regularizer(std::string(name)) {}

Regularizer::Regularizer(const std::string& name) : kind_(kind_named(name)), config_(default_config(kind_)) {}

std::optional<Regularizer> Regularizer::from_config(const nlohmann::json& config)
{
    if (config.is_null()) return std::nullopt;
    if (config.is_string()) return Regularizer(config.get<std::string>());
    Kind kind{};
    json arguments = detail::keras_object_arguments(config, "regularizer", [&](const std::string& class_name) {
        kind = kind_named(class_name);
        return default_config(kind);
    });
    return Regularizer(kind, checked_config(kind, std::move(arguments)));
}

Regularizer Regularizer::l1(double l1)
{
    return Regularizer(Kind::l1, checked_config(Kind::l1, {{"l1", l1}}));
}

Regularizer Regularizer::l2(double l2)
{
    return Regularizer(Kind::l2, checked_config(Kind::l2, {{"l2", l2}}));
}

Regularizer Regularizer::l1_l2(double l1, double l2)
{
    return Regularizer(Kind::l1l2, checked_config(Kind::l1l2, {{"l1", l1}, {"l2", l2}}));
}

Regularizer Regularizer::orthogonal(double factor, const std::string& mode)
{
    return Regularizer(Kind::orthogonal, checked_config(Kind::orthogonal, {{"factor", factor}, {"mode", mode}}));
}

double Regularizer::operator()(const Tensor& x) const
{
    switch (kind_) {
    case Kind::l1: return config_["l1"].get<double>() * sum_abs(x);
    case Kind::l2: return config_["l2"].get<double>() * sum_squares(x);
    case Kind::l1l2: {
        // Keras adds a term only when its factor is non-zero (so 0 * inf never makes NaN).
        const double l1 = config_["l1"].get<double>(), l2 = config_["l2"].get<double>();
        double penalty = 0.0;
        if (l1 != 0.0) penalty += l1 * sum_abs(x);
        if (l2 != 0.0) penalty += l2 * sum_squares(x);
        return penalty;
    }
    case Kind::orthogonal:
        return orthogonal_penalty(x, config_["factor"].get<double>(), config_["mode"] == "rows");
    }
    return 0.0;
}

nlohmann::json Regularizer::serialize() const
{
    return detail::keras_object("keras.regularizers", class_name_of(kind_), config_);
}

nlohmann::json serialize(const std::optional<Regularizer>& regularizer)
{
    return regularizer ? regularizer->serialize() : nlohmann::json(nullptr);
}

} // namespace rtconv
