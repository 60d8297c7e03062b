#pragma once
// A scratch directory for one test process, removed at exit. ctest runs test cases in parallel
// processes, so each gets its own directory.
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include <unistd.h>

namespace rtconv_test {

class TempDir {
public:
    explicit TempDir(const std::string& purpose)
        : path_(std::filesystem::temp_directory_path() /
                ("rtconv-" + purpose + "-" + std::to_string(::getpid())))
    {
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    ~TempDir() { std::filesystem::remove_all(path_); }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

    /// Writes `bytes` to a file of that name here and returns its path.
    std::filesystem::path write(const std::string& name, std::string_view bytes) const
    {
        const auto path = path_ / name;
        std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        return path;
    }

private:
    std::filesystem::path path_;
};

} // namespace rtconv_test
