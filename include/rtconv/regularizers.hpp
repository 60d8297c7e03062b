#pragma once
// keras.regularizers: L1, L2, L1L2 and OrthogonalRegularizer with Keras' formulas.
#include "rtconv/tensor.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace rtconv {

class Regularizer {
public:
    enum class Kind { l1, l2, l1l2, orthogonal };

    /// By name as keras.regularizers.get takes it ("l1", "l2", "l1_l2", "L1", "orthogonal_regularizer" ...).
    Regularizer(const char* name);
    Regularizer(const std::string& name);
    /// null gives nullopt; otherwise a name or a Keras serialized dict.
    static std::optional<Regularizer> from_config(const nlohmann::json& config);

    static Regularizer l1(double l1 = 0.01);
    static Regularizer l2(double l2 = 0.01);
    static Regularizer l1_l2(double l1 = 0.0, double l2 = 0.0);
    /// mode "rows" or "columns"; rank-2 tensors only, as in Keras.
    static Regularizer orthogonal(double factor = 0.01, const std::string& mode = "rows");

    /// The penalty for `x` (Keras: l1 * sum(|x|) + l2 * sum(x^2), ...). Throws on shapes Keras rejects.
    double operator()(const Tensor& x) const;

    nlohmann::json serialize() const;
    Kind kind() const { return kind_; }

private:
    Regularizer(Kind kind, nlohmann::json config) : kind_(kind), config_(std::move(config)) {}
    Kind kind_ = Kind::l2;
    nlohmann::json config_;
};

/// Keras' regularizers.serialize of an optional regularizer (null when absent).
nlohmann::json serialize(const std::optional<Regularizer>& regularizer);

} // namespace rtconv
