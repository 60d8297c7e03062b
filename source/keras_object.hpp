#pragma once
// Keras' serialized objects ({"module", "class_name", "config", "registered_name"}), shared by
// the initializers, regularizers and constraints, which read and write them the same way.
#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <string_view>

namespace rtconv::detail {

/// The arguments of a serialized object (Keras 3 or Keras 2 dict): the defaults of its class,
/// `defaults_of(class_name)`, with its "config" laid over them. Throws rtconv::Error in Keras'
/// words, naming `what` ("initializer", ...), for anything but a dict with a string class_name
/// or for an argument the class does not take; `ignored` keys are dropped unread.
nlohmann::json keras_object_arguments(const nlohmann::json& object, const std::string& what,
                                      const std::function<nlohmann::json(const std::string&)>& defaults_of,
                                      std::string_view ignored = {});

/// What Keras 3's serialize writes for an object of `module` ("keras.initializers", ...).
nlohmann::json keras_object(const char* module, const char* class_name, const nlohmann::json& config);

/// A config value as Python's f-string prints it (strings unquoted): for Keras' messages.
std::string python_repr(const nlohmann::json& value);

} // namespace rtconv::detail
