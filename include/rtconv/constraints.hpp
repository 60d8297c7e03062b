#pragma once
// keras.constraints: MaxNorm, MinMaxNorm, NonNeg, UnitNorm with Keras' formulas.
#include "rtconv/tensor.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace rtconv {

class Constraint {
public:
    enum class Kind { max_norm, min_max_norm, non_neg, unit_norm };

    /// By name as keras.constraints.get takes it ("max_norm", "MaxNorm", "non_neg", ...).
    Constraint(const char* name);
    Constraint(const std::string& name);
    /// null gives nullopt; otherwise a name or a Keras serialized dict.
    static std::optional<Constraint> from_config(const nlohmann::json& config);

    static Constraint max_norm(double max_value = 2.0, std::vector<int> axis = {0});
    static Constraint min_max_norm(double min_value = 0.0, double max_value = 1.0, double rate = 1.0,
                                   std::vector<int> axis = {0});
    static Constraint non_neg();
    static Constraint unit_norm(std::vector<int> axis = {0});

    /// The projected tensor (same shape and dtype).
    Tensor operator()(const Tensor& w) const;

    nlohmann::json serialize() const;
    Kind kind() const { return kind_; }

private:
    Constraint(Kind kind, nlohmann::json config) : kind_(kind), config_(std::move(config)) {}
    Kind kind_ = Kind::non_neg;
    nlohmann::json config_;
};

/// Keras' constraints.serialize of an optional constraint (null when absent).
nlohmann::json serialize(const std::optional<Constraint>& constraint);

} // namespace rtconv
