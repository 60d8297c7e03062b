#pragma once
// The model-file formats rtconv reads. Each reader turns a parsed document into the same
// Sequential model (Keras layers, or a WaveNet layer) and throws rtconv::Error naming the file,
// the layer and the field; none returns a half-built model. load_model() picks the reader by
// content, so a file's extension does not matter.
#include "json_reading.hpp"
#include "rtconv/sequential.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace rtconv::detail {

enum class ModelFormat { keras, nam, wavenetva, rtneural };

/// Recognises a document by its keys; throws naming `source` when it is none of the formats.
ModelFormat detect_model_format(const nlohmann::json& document, const std::string& source);

/// Sets a built layer's weights from `arrays`, a list of nested lists in get_weights() order and
/// shape; errors name `field` (and the element at fault) at `where`.
void set_weights_from_json(Layer& layer, const nlohmann::json& arrays, const std::string& field, const Where& where);

Sequential keras_model_from_json(const nlohmann::json& document, const std::string& source);    // model_file.cpp
Sequential nam_model_from_json(const nlohmann::json& document, const std::string& source);      // nam_file.cpp
Sequential wavenetva_model_from_json(const nlohmann::json& document, const std::string& source); // wavenetva_file.cpp
Sequential rtneural_model_from_json(const nlohmann::json& document, const std::string& source);  // rtneural_file.cpp

} // namespace rtconv::detail
