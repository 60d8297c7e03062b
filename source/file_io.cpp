#include "file_io.hpp"

#include "rtconv/error.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace rtconv::detail {

namespace fs = std::filesystem;

// errno names the reason an fstream failed to open on the platforms rtconv supports.
static std::string reason(int error)
{
    return error ? std::string(" (") + std::strerror(error) + ")" : std::string();
}

std::string read_file(const fs::path& path)
{
    std::error_code ec;
    if (fs::is_directory(path, ec)) throw Error(path.string() + ": is a directory, not a file");
    errno = 0;
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(path.string() + ": cannot open for reading" + reason(errno));
    std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
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
