#include "rtconv/constraints.hpp"

#include "keras_object.hpp"
#include "rtconv/error.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace rtconv {
namespace {

using json = nlohmann::json;
using Kind = Constraint::Kind;

// keras.constraints.get takes the class names and their to_snake_case forms.
constexpr std::pair<const char*, Kind> names[] = {
    {"MaxNorm", Kind::max_norm},   {"max_norm", Kind::max_norm}, {"MinMaxNorm", Kind::min_max_norm},
    {"min_max_norm", Kind::min_max_norm}, {"NonNeg", Kind::non_neg}, {"non_neg", Kind::non_neg},
    {"UnitNorm", Kind::unit_norm}, {"unit_norm", Kind::unit_norm},
};

/// keras.backend.epsilon(), added to the norms before dividing.
constexpr double epsilon = 1e-7;

const char* class_name_of(Kind kind)
{
    switch (kind) {
    case Kind::max_norm: return "MaxNorm";
    case Kind::min_max_norm: return "MinMaxNorm";
    case Kind::non_neg: return "NonNeg";
    case Kind::unit_norm: return "UnitNorm";
    }
    return "";
}

Kind kind_named(const std::string& name)
{
    for (const auto& [n, kind] : names)
        if (name == n) return kind;
    throw Error("Could not interpret constraint identifier: " + name);
}

/// The arguments of each Keras class with their defaults (MaxNorm's max_value is the int 2 there).
json default_config(Kind kind)
{
    switch (kind) {
    case Kind::max_norm: return {{"max_value", 2}, {"axis", 0}};
    case Kind::min_max_norm: return {{"min_value", 0.0}, {"max_value", 1.0}, {"rate", 1.0}, {"axis", 0}};
    case Kind::non_neg: return json::object();
    case Kind::unit_norm: return {{"axis", 0}};
    }
    return json::object();
}

/// One axis as an int, several as a list: the form Keras users write and get_config returns.
json axis_json(const std::vector<int>& axis)
{
    return axis.size() == 1 ? json(axis[0]) : json(axis);
}

/// The types a JSON config can get wrong (Keras itself checks none of its constraint arguments).
json checked_config(Kind kind, json config)
{
    for (const char* key : {"max_value", "min_value", "rate"})
        if (config.contains(key) && !config[key].is_number())
            throw Error(std::string(class_name_of(kind)) + ": argument `" + key + "` must be a number. Received: " +
                        key + "=" + config[key].dump());
    if (config.contains("axis")) {
        const json& axis = config["axis"];
        const bool ints = axis.is_number_integer() || axis.is_null() ||
                          (axis.is_array() && std::all_of(axis.begin(), axis.end(),
                                                          [](const json& a) { return a.is_number_integer(); }));
        if (!ints)
            throw Error(std::string(class_name_of(kind)) +
                        ": argument `axis` must be an integer, a list of integers or None. Received: axis=" +
                        axis.dump());
    }
    return config;
}

/// Which axes of a rank-`rank` weight the norms run over (None: all of them), negative ones counted from the end.
std::vector<bool> reduced_axes(const json& axis, std::size_t rank, Kind kind)
{
    if (axis.is_null()) return std::vector<bool>(rank, true);
    std::vector<bool> reduced(rank, false);
    for (const int a : axis.is_array() ? axis.get<std::vector<int>>() : std::vector<int>{axis.get<int>()}) {
        const long long resolved = a < 0 ? a + static_cast<long long>(rank) : a;
        if (resolved < 0 || resolved >= static_cast<long long>(rank))
            throw Error(std::string(class_name_of(kind)) + ": axis " + std::to_string(a) +
                        " is out of bounds for a weight of rank " + std::to_string(rank));
        if (reduced[resolved]) throw Error(std::string(class_name_of(kind)) + ": duplicate value in 'axis'");
        reduced[resolved] = true;
    }
    return reduced;
}

/// For every element of `w`, the L2 norm of its slice over the reduced axes
/// (Keras' sqrt(sum(square(w), axis, keepdims=True)), broadcast back to w's shape).
std::vector<double> slice_norms(const Tensor& w, const std::vector<bool>& reduced)
{
    const Shape& shape = w.shape();
    std::vector<std::size_t> slice_of(w.size()); // the flat index of an element's position on the kept axes
    std::vector<std::size_t> index(shape.size(), 0);
    for (std::size_t i = 0; i < w.size(); ++i) {
        std::size_t slice = 0;
        for (std::size_t d = 0; d < shape.size(); ++d)
            if (!reduced[d]) slice = slice * shape[d] + index[d];
        slice_of[i] = slice;
        for (std::size_t d = shape.size(); d-- > 0;) { // the next row-major index
            if (++index[d] < shape[d]) break;
            index[d] = 0;
        }
    }
    std::vector<double> squares(w.size(), 0.0);
    for (std::size_t i = 0; i < w.size(); ++i) squares[slice_of[i]] += w.flat(i) * w.flat(i);
    std::vector<double> norms(w.size());
    for (std::size_t i = 0; i < w.size(); ++i) norms[i] = std::sqrt(squares[slice_of[i]]);
    return norms;
}

/// numpy's clip: minimum(maximum(x, low), high).
double clip(double x, double low, double high)
{
    return std::min(std::max(x, low), high);
}

} // namespace

Constraint::Constraint(const char* name) : Constraint(std::string(name)) {}

Constraint::Constraint(const std::string& name) : kind_(kind_named(name)), config_(default_config(kind_)) {}

std::optional<Constraint> Constraint::from_config(const nlohmann::json& config)
{
    if (config.is_null()) return std::nullopt;
    if (config.is_string()) return Constraint(config.get<std::string>());
    Kind kind{};
    json arguments = detail::keras_object_arguments(config, "constraint", [&](const std::string& class_name) {
        kind = kind_named(class_name);
        return default_config(kind);
    });
    return Constraint(kind, checked_config(kind, std::move(arguments)));
}

Constraint Constraint::max_norm(double max_value, std::vector<int> axis)
{
    return Constraint(Kind::max_norm, {{"max_value", max_value}, {"axis", axis_json(axis)}});
}

Constraint Constraint::min_max_norm(double min_value, double max_value, double rate, std::vector<int> axis)
{
    return Constraint(Kind::min_max_norm,
                      {{"min_value", min_value}, {"max_value", max_value}, {"rate", rate}, {"axis", axis_json(axis)}});
}

Constraint Constraint::non_neg()
{
    return Constraint(Kind::non_neg, json::object());
}

Constraint Constraint::unit_norm(std::vector<int> axis)
{
    return Constraint(Kind::unit_norm, {{"axis", axis_json(axis)}});
}

Tensor Constraint::operator()(const Tensor& w) const
{
    Tensor out(w.shape(), w.dtype());
    if (kind_ == Kind::non_neg) { // Keras: maximum(w, 0)
        for (std::size_t i = 0; i < w.size(); ++i) out.set_flat(i, w.flat(i) < 0.0 ? 0.0 : w.flat(i));
        return out;
    }
    const std::vector<double> norms = slice_norms(w, reduced_axes(config_["axis"], w.rank(), kind_));
    // The norm MaxNorm and MinMaxNorm rescale each slice to.
    const auto desired_norm = [&](double norm) {
        const double max_value = config_["max_value"].get<double>();
        if (kind_ == Kind::max_norm) return clip(norm, 0.0, max_value);
        const double rate = config_["rate"].get<double>();
        return rate * clip(norm, config_["min_value"].get<double>(), max_value) + (1.0 - rate) * norm;
    };
    for (std::size_t i = 0; i < w.size(); ++i) {
        const double x = w.flat(i), norm = norms[i];
        out.set_flat(i, kind_ == Kind::unit_norm ? x / (epsilon + norm) : x * (desired_norm(norm) / (epsilon + norm)));
    }
    return out;
}

nlohmann::json Constraint::serialize() const
{
    return detail::keras_object("keras.constraints", class_name_of(kind_), config_);
}

nlohmann::json serialize(const std::optional<Constraint>& constraint)
{
    return constraint ? constraint->serialize() : nlohmann::json(nullptr);
}

} // namespace rtconv
