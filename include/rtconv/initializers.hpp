#pragma once
// keras.initializers: the same names, arguments, fan rules and config dicts.
// Values follow Keras' distributions; bit-identity with TensorFlow's streams is not a goal.
#include "rtconv/tensor.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace rtconv {

class Initializer {
public:
    enum class Kind {
        zeros, ones, constant, random_normal, random_uniform, truncated_normal, variance_scaling,
        glorot_normal, glorot_uniform, he_normal, he_uniform, lecun_normal, lecun_uniform,
        orthogonal, identity, stft,
    };

    /// By name or alias, as keras.initializers.get takes it ("glorot_uniform", "GlorotUniform", "zeros" ...).
    Initializer(const char* name);
    Initializer(const std::string& name);
    /// A string name or a Keras serialized dict ({"class_name": ..., "config": {...}}).
    static Initializer from_config(const nlohmann::json& config);

    static Initializer constant(double value);
    static Initializer random_normal(double mean = 0.0, double stddev = 0.05, std::optional<std::int64_t> seed = {});
    static Initializer random_uniform(double minval = -0.05, double maxval = 0.05, std::optional<std::int64_t> seed = {});
    static Initializer truncated_normal(double mean = 0.0, double stddev = 0.05, std::optional<std::int64_t> seed = {});
    /// scale, mode ("fan_in"/"fan_out"/"fan_avg"), distribution ("truncated_normal"/"untruncated_normal"/"uniform").
    static Initializer variance_scaling(double scale = 1.0, const std::string& mode = "fan_in",
                                        const std::string& distribution = "truncated_normal",
                                        std::optional<std::int64_t> seed = {});
    static Initializer orthogonal(double gain = 1.0, std::optional<std::int64_t> seed = {});
    static Initializer identity(double gain = 1.0);

    /// The same kind with a seed: seeded initializers give the same values on every call.
    Initializer with_seed(std::optional<std::int64_t> seed) const;

    /// A new tensor of `shape` (conv kernels (k, in, out): fan_in = k*in, fan_out = k*out).
    Tensor operator()(const Shape& shape, DType dtype = DType::float32) const;

    /// What Keras' initializers.serialize writes into a layer config.
    nlohmann::json serialize() const;

    Kind kind() const { return kind_; }

private:
    Initializer(Kind kind, nlohmann::json config);

    Kind kind_ = Kind::zeros;
    nlohmann::json config_ = nlohmann::json::object(); // the Keras config of this kind
    // The seed of the random stream: config_'s seed, or one drawn when the initializer is made
    // unseeded, as Keras 3 does (so every call of one initializer gives the same values).
    std::uint64_t stream_seed_ = 0;
};

} // namespace rtconv
