#pragma once
// NumPy .npy files (format versions 1.0, 2.0 and 3.0) of float32 or float64 arrays.
//
// Reading accepts little- and big-endian floats ('<f4', '>f4', '<f8', '>f8'; '=' and '|' mean
// the machine's order, as NumPy reads them) and Fortran-ordered arrays, which are transposed to
// the C (row-major) order Tensor holds, as np.load presents them. Anything else (integers,
// complex, float16, objects, structured dtypes), a malformed header or a data section of the
// wrong size is an rtconv::Error naming the file.
//
// Writing produces what np.save writes for a C-contiguous little-endian array: version 1.0
// (2.0 when the header needs more than 65535 bytes), the header padded with spaces to a
// multiple of 64 bytes and ended by a newline.
#include "rtconv/tensor.hpp"

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace rtconv {

/// The largest .npy file read_npy() reads: 1 GiB (268 million float32 samples, 93 minutes of
/// 48 kHz audio), checked before reading. Its array is held in memory with the model's output.
inline constexpr std::size_t max_npy_file_bytes = std::size_t(1) << 30;

Tensor read_npy(const std::filesystem::path& path);
void write_npy(const std::filesystem::path& path, const Tensor& tensor);

/// The same on the bytes of a file; `source` names their origin in error messages.
Tensor npy_from_bytes(std::string_view bytes, const std::string& source);
std::string npy_to_bytes(const Tensor& tensor);

} // namespace rtconv
