#pragma once
// Whole-file reads and writes whose errors name the file, for the model and .npy readers.
#include <filesystem>
#include <string>
#include <string_view>

namespace rtconv::detail {

/// The bytes of a file; throws rtconv::Error "FILE: ..." when it cannot be read.
std::string read_file(const std::filesystem::path& path);
/// Replaces the file's contents; throws rtconv::Error "FILE: ..." when it cannot be written.
void write_file(const std::filesystem::path& path, std::string_view bytes);

} // namespace rtconv::detail
