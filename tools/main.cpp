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
    "  rtconv run    MODEL --input X.npy --output Y.npy [--stream [--block N | --blocks random:SEED]]\n"
    "               [--dtype float32|float64]\n"
    "               run a model over a NumPy array (whole or streamed) and print the output and speed\n"
    "  rtconv render MODEL IN OUT [--block N | --whole] [--prewarm | --no-prewarm] [--float]\n"
    "               run a model over an audio file (WAV, AIFF, FLAC, ...), output aligned with the input\n"
    "  rtconv info   MODEL\n"
    "               print the architecture, parameter count, receptive field, MACs per sample and\n"
    "               the stream's latency and state memory\n"
    "  rtconv bench  MODEL [--block N[,N...]] [--seconds S]\n"
    "               stream noise through a model: ns/sample, real-time factor, % of FMA peak\n"
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
    if (command == "bench") return bench_command(rest);
    if (command == "render") return render_command(rest);
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
