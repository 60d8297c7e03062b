// rtconv: run and inspect rtconv model files from the command line (DESIGN §5).
// Exit status: 0 on success, 1 when the work fails (files, models), 2 when the call is wrong.
#include "arguments.hpp"
#include "commands.hpp"

#include <exception>
#include <iostream>
#include <new>
#include <string>
#include <vector>

namespace {

const char* const usage =
    "usage: rtconv <command> [options]\n"
    "\n"
    "commands:\n"
    "  rtconv run  MODEL --input X.npy --output Y.npy [--dtype float32|float64]\n"
    "               run a model over a NumPy array and print the output shape and speed\n"
    "  rtconv info MODEL\n"
    "               print the architecture, parameter count, receptive field and MACs per sample\n"
    "\n"
    "'rtconv <command> --help' describes a command.\n";

/// Errors print on one line, whatever the message holds.
void report_error(const std::string& message)
{
    std::string line = message;
    for (char& c : line)
        if (c == '\n' || c == '\r') c = ' ';
    std::cerr << "rtconv: error: " << line << "\n";
}

int dispatch(const std::vector<std::string>& args)
{
    using namespace rtconv::cli;
    if (args.empty()) throw UsageError("no command given (try 'rtconv --help')");
    const std::string& command = args.front();
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (command == "--help" || command == "-h" || command == "help") {
        std::cout << usage;
        return 0;
    }
    if (command == "run") return run_command(rest);
    if (command == "info") return info_command(rest);
    if (command == "render" || command == "bench")
        throw UsageError("'" + command + "' is not available yet (it arrives with the streaming engine)");
    throw UsageError("unknown command '" + command + "' (try 'rtconv --help')");
}

} // namespace

int main(int argc, char** argv)
{
    try {
        return dispatch(std::vector<std::string>(argv + 1, argv + argc));
    } catch (const rtconv::cli::UsageError& e) {
        report_error(e.what());
        return 2;
    } catch (const std::bad_alloc&) {
        report_error("out of memory");
        return 1;
    } catch (const std::exception& e) {
        report_error(e.what());
        return 1;
    }
}
