#pragma once
// Runs the `rtconv` command-line tool as a separate process and captures what it prints.
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <sys/wait.h>

namespace rtconv_test {

struct CliResult {
    int status = -1;
    std::string out;
    std::string err;
};

inline std::string shell_quoted(const std::string& arg)
{
    std::string q = "'";
    for (const char c : arg) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

inline std::string slurp(const std::filesystem::path& path)
{
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

/// `rtconv args...` with stdin empty, stdout and stderr captured in files of `dir`.
inline CliResult rtconv_cli(const TempDir& dir, const std::vector<std::string>& args)
{
    std::string command = shell_quoted(RTCONV_CLI_PATH);
    for (const auto& arg : args) command += " " + shell_quoted(arg);
    const auto out = dir / "stdout.txt", err = dir / "stderr.txt";
    command += " >" + shell_quoted(out.string()) + " 2>" + shell_quoted(err.string()) + " </dev/null";
    const int raw = std::system(command.c_str());
    return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, slurp(out), slurp(err)};
}

/// An error is one line on stderr, prefixed as the contract says, with nothing on stdout.
inline void check_one_line_error(const CliResult& r)
{
    CHECK(r.out.empty());
    CHECK_THAT(r.err, Catch::Matchers::StartsWith("rtconv: error: "));
    CHECK(r.err.find('\n') == r.err.size() - 1);
}

} // namespace rtconv_test
