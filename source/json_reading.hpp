#pragma once
// What every model-file reader shares: errors that read "FILE: layer 'NAME' (CLASS): FIELD: what
// is wrong", and tolerant member lookup.
#include "printable.hpp"
#include "rtconv/error.hpp"
#include "rtconv/model_file.hpp"
#include "rtconv/tensor.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace rtconv::detail {

/// nlohmann's what() without its "[json.exception.type_error.302] " prefix.
inline std::string json_message(const nlohmann::json::exception& e)
{
    const std::string_view text = e.what();
    const std::size_t end = text.starts_with("[json.exception.") ? text.find("] ") : std::string_view::npos;
    return std::string(end == std::string_view::npos ? text : text.substr(end + 2));
}

/// Where a problem is: the file, and the layer when there is one.
struct Where {
    std::string source;
    std::string layer;

    [[noreturn]] void fail(const std::string& field, const std::string& message) const
    {
        std::string text = source + ": ";
        if (!layer.empty()) text += layer + ": ";
        if (!field.empty()) text += field + ": ";
        throw Error(printable(text + message));
    }

    /// Runs `step`, rethrowing the errors of layers and of JSON access with this context.
    template <class Step> decltype(auto) run(const std::string& field, Step&& step) const
    {
        try {
            return step();
        } catch (const nlohmann::json::exception& e) {
            fail(field, json_message(e));
        } catch (const Error& e) {
            fail(field, e.what());
        }
    }
};

/// The member `key` of an object, or null when absent, null, or `object` is no object.
inline const nlohmann::json* find_member(const nlohmann::json& object, const char* key)
{
    if (!object.is_object()) return nullptr;
    const auto it = object.find(key);
    return it == object.end() || it->is_null() ? nullptr : &*it;
}

/// The string member `key`, or "" when absent or not a string.
inline std::string string_member(const nlohmann::json& object, const char* key)
{
    const nlohmann::json* value = find_member(object, key);
    return value && value->is_string() ? value->get<std::string>() : std::string();
}

/// object[key] when present as a finite number; throws "FIELD: expected a finite number" for
/// anything else. `prefix` leads the field name in the message ("metadata.").
inline std::optional<double> optional_finite_number(const nlohmann::json& object, const char* key, const Where& where,
                                                    const std::string& prefix)
{
    const nlohmann::json* value = find_member(object, key);
    if (!value) return std::nullopt;
    if (!value->is_number() || !std::isfinite(value->get<double>()))
        where.fail(prefix + key, "expected a finite number, got " + value->dump());
    return value->get<double>();
}

/// object[key] when present, as a sample rate: a number from min_sample_rate to max_sample_rate
/// Hz. A rate of 0, of 10^12 or a string would otherwise reach the resampler.
inline std::optional<double> optional_sample_rate(const nlohmann::json& object, const char* key, const Where& where,
                                                  const std::string& prefix)
{
    const nlohmann::json* value = find_member(object, key);
    if (!value) return std::nullopt;
    if (!value->is_number() || !(value->get<double>() >= min_sample_rate && value->get<double>() <= max_sample_rate))
        where.fail(prefix + key, "expected a positive sample rate from " + std::to_string(std::lround(min_sample_rate)) +
                                     " to " + std::to_string(std::lround(max_sample_rate)) + " Hz, got " + value->dump());
    return value->get<double>();
}

/// object[key] when present as true or false, else `fallback`; throws for any other value.
inline bool optional_bool(const nlohmann::json& object, const char* key, bool fallback, const Where& where,
                          const std::string& prefix)
{
    const nlohmann::json* value = find_member(object, key);
    if (!value) return fallback;
    if (!value->is_boolean()) where.fail(prefix + key, "expected true or false, got " + value->dump());
    return value->get<bool>();
}

/// An integer JSON value that fits an int; nullopt for anything else (a float, a string, 2^31):
/// sizes are ints, and a wider value would wrap into a misleading one.
inline std::optional<int> int_value(const nlohmann::json& value)
{
    if (value.is_number_unsigned()) {
        const auto v = value.get<std::uint64_t>();
        if (v <= std::uint64_t(std::numeric_limits<int>::max())) return static_cast<int>(v);
    } else if (value.is_number_integer()) {
        const auto v = value.get<std::int64_t>();
        if (v >= std::numeric_limits<int>::min() && v <= std::numeric_limits<int>::max()) return static_cast<int>(v);
    }
    return std::nullopt;
}

/// The values (numbers, strings, booleans, nulls) in a document: no file can give its layers more
/// weights than that.
inline std::size_t count_values(const nlohmann::json& j)
{
    if (!j.is_structured()) return 1;
    std::size_t n = 0;
    for (const auto& item : j) n += count_values(item);
    return n;
}

/// The shape of a nested list, read along its first elements.
inline Shape nested_list_shape(const nlohmann::json& j)
{
    Shape shape;
    for (const nlohmann::json* level = &j; level->is_array(); level = &level->front()) {
        shape.push_back(level->size());
        if (level->empty()) break;
    }
    return shape;
}

} // namespace rtconv::detail
