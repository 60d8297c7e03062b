#pragma once
// Whole-file reads and writes whose errors name the file, for the model and .npy readers.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace rtconv::detail {

/// The bytes of a file of at most `limit` bytes; throws rtconv::Error "FILE: ..." when it cannot
/// be read or is larger, which a regular file's size tells before anything is read. `kind` names
/// what the limit is for ("a model file").
std::string read_file(const std::filesystem::path& path, std::uintmax_t limit, const char* kind);
/// Throws the error read_file() gives for a file of `size` bytes over `limit`, for bytes that
/// arrive some other way (a host's own read).
void check_file_size(const std::string& source, std::uintmax_t size, std::uintmax_t limit, const char* kind);
/// Replaces the file's contents; throws rtconv::Error "FILE: ..." when it cannot be written.
void write_file(const std::filesystem::path& path, std::string_view bytes);

} // namespace rtconv::detail
