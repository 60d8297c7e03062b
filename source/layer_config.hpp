#pragma once
// What every layer's config reading shares: typed lookups of Keras config keys with messages
// naming the key, and the arguments every Keras layer takes (LayerArgs) to and from an
// options struct.
#include "rtconv/error.hpp"
#include "rtconv/layer.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace rtconv::detail {

/// config[key], or nullptr when the key is absent.
inline const nlohmann::json* find_key(const nlohmann::json& config, const char* key)
{
    auto it = config.find(key);
    return it == config.end() ? nullptr : &*it;
}

/// An int from a Keras config value written either way: 3 or [3].
inline int int_or_single(const nlohmann::json& config, const char* key)
{
    const nlohmann::json& v = config.at(key);
    const nlohmann::json& x = v.is_array() && v.size() == 1 ? v[0] : v;
    if (!x.is_number_integer() || x.get<std::int64_t>() < INT32_MIN || x.get<std::int64_t>() > INT32_MAX)
        throw Error(std::string("Layer config field '") + key + "' must be an integer or a list of 1 integer, got " +
                    v.dump());
    return x.get<int>();
}

/// Reads config[key] into `field` when present.
inline void read_bool(const nlohmann::json& config, const char* key, bool& field)
{
    if (const auto* v = find_key(config, key)) {
        if (!v->is_boolean()) throw Error(std::string("Layer config field '") + key + "' must be true or false");
        field = v->get<bool>();
    }
}

inline void read_string(const nlohmann::json& config, const char* key, std::string& field)
{
    if (const auto* v = find_key(config, key)) {
        if (!v->is_string()) throw Error(std::string("Layer config field '") + key + "' must be a string");
        field = v->get<std::string>();
    }
}

inline void read_number(const nlohmann::json& config, const char* key, double& field)
{
    if (const auto* v = find_key(config, key)) {
        if (!v->is_number()) throw Error(std::string("Layer config field '") + key + "' must be a number, got " +
                                         v->dump());
        field = v->get<double>();
    }
}

/// The LayerArgs of an options struct that carries them under Keras' names.
template <class Options> LayerArgs layer_args(const Options& o)
{
    LayerArgs args;
    args.name = o.name;
    args.dtype = o.dtype;
    args.trainable = o.trainable;
    args.activity_regularizer = o.activity_regularizer;
    args.input_shape = o.input_shape;
    args.batch_input_shape = o.batch_input_shape;
    args.batch_size = o.batch_size;
    args.weights = o.weights;
    return args;
}

/// Reads the keys every Keras layer config has (name, dtype, trainable, batch shape,
/// activity_regularizer) into an options struct.
template <class Options> void read_layer_args(const nlohmann::json& config, Options& o)
{
    LayerArgs args = layer_args_from_config(config);
    o.name = args.name;
    o.dtype = args.dtype;
    o.trainable = args.trainable;
    o.batch_input_shape = args.batch_input_shape;
    o.activity_regularizer = args.activity_regularizer;
}

} // namespace rtconv::detail
