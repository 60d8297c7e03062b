#include "keras_object.hpp"

#include "rtconv/error.hpp"

#include <cmath>

namespace rtconv::detail {

nlohmann::json keras_object_arguments(const nlohmann::json& object, const std::string& what,
                                      const std::function<nlohmann::json(const std::string&)>& defaults_of,
                                      std::string_view ignored)
{
    if (!object.is_object() || !object.contains("class_name") || !object["class_name"].is_string())
        throw Error("Could not interpret " + what + " identifier: " + object.dump());
    const std::string class_name = object["class_name"];
    nlohmann::json arguments = defaults_of(class_name);
    const auto given = object.find("config");
    if (given == object.end() || given->is_null()) return arguments;
    if (!given->is_object())
        throw Error("Could not interpret " + what + " identifier: " + object.dump() + " (`config` must be a dict)");
    for (const auto& [key, value] : given->items()) {
        if (!ignored.empty() && key == ignored) continue;
        if (!arguments.contains(key))
            throw Error("Unrecognized argument `" + key + "` in the config of " + what + " " + class_name);
        arguments[key] = value;
    }
    return arguments;
}

nlohmann::json keras_object(const char* module, const char* class_name, const nlohmann::json& config)
{
    return {{"module", module}, {"class_name", class_name}, {"config", config}, {"registered_name", nullptr}};
}

std::string python_repr(const nlohmann::json& value)
{
    if (value.is_string()) return value.get<std::string>();
    if (value.is_null()) return "None";
    if (value.is_boolean()) return value.get<bool>() ? "True" : "False";
    if (value.is_number_float() && std::isnan(value.get<double>())) return "nan";
    if (value.is_number_float() && std::isinf(value.get<double>())) return value.get<double>() > 0 ? "inf" : "-inf";
    return value.dump();
}

} // namespace rtconv::detail
