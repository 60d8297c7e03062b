#pragma once
// keras.activations: every activation that applies elementwise or over the last axis,
// by name ("relu", "swish", ...) or as a Keras config dict, with Keras' default arguments
// (leaky_relu slope 0.2, elu/celu alpha 1, shrink thresholds 0.5, squareplus b 4, exact gelu).
#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>

namespace rtconv {

class Activation {
public:
    enum class Kind {
        linear, relu, relu6, leaky_relu, elu, selu, celu, gelu, silu, hard_silu, mish,
        sigmoid, hard_sigmoid, log_sigmoid, sparse_sigmoid, tanh, hard_tanh, tanh_shrink, soft_shrink,
        hard_shrink, softplus, softsign, squareplus, sparse_plus, exponential,
        // Last-axis activations: not elementwise.
        softmax, log_softmax, sparsemax, glu,
    };

    /// Keras' `None`: linear.
    Activation() = default;
    /// By name, as keras.activations.get takes it (aliases included). Throws rtconv::Error on unknown names.
    Activation(const char* name);
    Activation(const std::string& name);
    /// A string name, null, or a Keras serialized dict.
    static Activation from_config(const nlohmann::json& config);

    /// What Keras' activations.serialize writes into a layer config.
    nlohmann::json serialize() const;

    Kind kind() const { return kind_; }
    const std::string& name() const { return name_; }
    bool is_elementwise() const { return kind_ < Kind::softmax; }
    /// Channels after the activation: glu halves the last axis.
    std::size_t output_channels(std::size_t channels) const;

    /// Applies any activation over the last axis of a row-major array shaped (outer, axis):
    /// last-axis kinds act on each row of `axis` values; elementwise kinds act on every value.
    /// glu writes axis/2 values per row into `out` (which may alias `data` only for other kinds).
    template <class T> void apply_last_axis(const T* data, T* out, std::size_t outer, std::size_t axis) const;

    bool operator==(const Activation&) const = default;

private:
    Kind kind_ = Kind::linear;
    std::string name_ = "linear";
};

} // namespace rtconv
