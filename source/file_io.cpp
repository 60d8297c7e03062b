#include "file_io.hpp"

#include "rtconv/error.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>

namespace rtconv::detail {

namespace fs = std::filesystem;

// errno names the reason an fstream failed to open on the platforms rtconv supports.
static std::string reason(int error)
{
    return error ? std::string(" (") + std::strerror(error) + ")" : std::string();
}

/// "1 GiB" for the limits rtconv uses, which are whole GiB or MiB.
static std::string binary_size(std::uintmax_t bytes)
{
    if (bytes >= (1u << 30) && bytes % (1u << 30) == 0) return std::to_string(bytes >> 30) + " GiB";
    if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
    return std::to_string(bytes) + " bytes";
}

[[noreturn]] static void too_large(const std::string& source, const std::string& size, std::uintmax_t limit,
                                   const char* kind)
{
    throw Error(source + ": the file is " + size + ", more than rtconv reads for " + kind + " (" +
                binary_size(limit) + ", " + std::to_string(limit) + " bytes)");
}

void check_file_size(const std::string& source, std::uintmax_t size, std::uintmax_t limit, const char* kind)
{
    if (size > limit) too_large(source, std::to_string(size) + " bytes", limit, kind);
}

std::string read_file(const fs::path& path, std::uintmax_t limit, const char* kind)
{
    std::error_code ec;
    if (fs::is_directory(path, ec)) throw Error(path.string() + ": is a directory, not a file");
    // A regular file's size is known before reading; a pipe's or a device's only by reading it,
    // which stops one byte past the limit.
    std::uintmax_t size = 0;
    if (fs::is_regular_file(path, ec)) {
        size = fs::file_size(path, ec);
        if (ec) size = 0;
        check_file_size(path.string(), size, limit, kind);
    }
    errno = 0;
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(path.string() + ": cannot open for reading" + reason(errno));
    std::string bytes;
    bytes.reserve(static_cast<std::size_t>(size));
    char buffer[1 << 16];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
        bytes.append(buffer, static_cast<std::size_t>(in.gcount()));
        if (bytes.size() > limit) too_large(path.string(), "over " + std::to_string(limit) + " bytes", limit, kind);
    }
    if (in.bad()) throw Error(path.string() + ": read error");
    return bytes;
}

void write_file(const fs::path& path, std::string_view bytes)
{
    errno = 0;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(path.string() + ": cannot open for writing" + reason(errno));
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) throw Error(path.string() + ": write error" + reason(errno));
}

} // namespace rtconv::detail
