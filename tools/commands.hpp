#pragma once
// The subcommands of `rtconv`. Each returns the exit status; errors are thrown (UsageError for
// how the tool was called, rtconv::Error for everything else) and reported by main.
#include <string>
#include <vector>

namespace rtconv::cli {

int run_command(const std::vector<std::string>& args);
int info_command(const std::vector<std::string>& args);
int bench_command(const std::vector<std::string>& args);
int render_command(const std::vector<std::string>& args);

extern const char* const run_help;
extern const char* const info_help;
extern const char* const bench_help;
extern const char* const render_help;

} // namespace rtconv::cli
