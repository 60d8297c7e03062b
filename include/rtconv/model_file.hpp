#pragma once
// rtconv's native model file (DESIGN §3): what Keras' model.to_json() writes for a Sequential
// model, Keras 3 or Keras 2 form, plus a top-level "weights" object {layer name: [arrays]}.
#include "rtconv/sequential.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace rtconv {

/// The largest model file rtconv reads: 1 GiB, what a model at rtconv's limit of 2^26 weights
/// takes written at float32 precision (about 16 bytes a number). load_model() checks the size
/// before reading; a host that reads the file itself can check it first too.
inline constexpr std::size_t max_model_file_bytes = std::size_t(1) << 30;
/// The sample rates a model file may state, in Hz: the rates audio interfaces run at, with room
/// below. Beyond them, resampling to the stated rate would be a ratio of thousands.
inline constexpr double min_sample_rate = 1000.0;
inline constexpr double max_sample_rate = 768000.0;

/// Reads a model file. Throws rtconv::Error naming the file, the layer and the field on any
/// problem; nothing is returned half-built.
Sequential load_model(const std::filesystem::path& path);
/// The same from a file's contents; `source` names the origin in error messages.
Sequential model_from_bytes(std::string_view text, const std::string& source);
/// The same from parsed JSON.
Sequential model_from_json(const nlohmann::json& document, const std::string& source);

/// Keras 3 form (InputLayer first when the input shape is known) plus "weights".
nlohmann::json model_to_json(const Sequential& model);
void save_model(const Sequential& model, const std::filesystem::path& path);

} // namespace rtconv
