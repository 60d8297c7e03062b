// `rtconv bench MODEL [--block N[,N...]] [--seconds S]`: the streaming engine's speed on a model,
// as ns per input sample, real-time factor and share of this core's FMA peak measured in the same run.
#include "arguments.hpp"
#include "commands.hpp"
#include "model_stats.hpp"

#include <rtconv/cpu.hpp>
#include <rtconv/error.hpp>
#include <rtconv/model_file.hpp>
#include <rtconv/stream.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <random>
#include <sstream>

namespace rtconv::cli {

const char* const bench_help =
    "usage: rtconv bench MODEL [--block N[,N...]] [--seconds S]\n"
    "\n"
    "Streams noise through MODEL in blocks of N frames (default 1,64,512), one thread, float32,\n"
    "and prints for each block size: ns per input sample, the real-time factor at the model's\n"
    "sample rate (48 kHz when the file states none), and\n"
    "the multiply-adds per second as a share of this core's FMA peak, probed in the same run.\n"
    "\n"
    "options:\n"
    "  --block N[,N...]  block sizes in frames\n"
    "  --seconds S       time spent measuring each block size (default 1)\n"
    "  --help            show this help\n";

namespace {

/// For models whose file states no sample rate.
constexpr double default_sample_rate = 48000.0;

std::vector<std::size_t> block_list(const std::optional<std::string>& text)
{
    if (!text) return {1, 64, 512};
    std::vector<std::size_t> blocks;
    std::stringstream items(*text);
    for (std::string item; std::getline(items, item, ',');) {
        char* end = nullptr;
        const long n = std::strtol(item.c_str(), &end, 10);
        if (item.empty() || *end != '\0' || n < 1 || n > (1 << 20))
            throw UsageError("--block takes block sizes from 1 to 1048576 frames, like 64 or 1,64,512; not '" + *text +
                             "'");
        blocks.push_back(static_cast<std::size_t>(n));
    }
    return blocks;
}

double seconds_option(const std::optional<std::string>& text)
{
    if (!text) return 1.0;
    char* end = nullptr;
    const double s = std::strtod(text->c_str(), &end);
    if (text->empty() || *end != '\0' || !(s > 0.0) || s > 3600.0)
        throw UsageError("--seconds takes a duration from 0 to 3600, not '" + *text + "'");
    return s;
}

/// Best time per input frame of streaming `input` in blocks of `block`, over repeated passes.
double seconds_per_frame(ModelStream& stream, const std::vector<float>& input, std::size_t block, double budget)
{
    const std::size_t cin = stream.input_channels(), frames = input.size() / cin;
    std::vector<float> output(stream.max_output_frames(block) * stream.output_channels());
    const auto pass = [&] {
        for (std::size_t at = 0; at < frames; at += block) {
            const float* in = input.data() + at * cin;
            float* out = output.data();
            stream.process(&in, &out, std::min(block, frames - at));
        }
    };
    pass(); // warm up caches and history
    double best = 1e30;
    const auto stop = std::chrono::steady_clock::now() + std::chrono::duration<double>(budget);
    do {
        const auto t0 = std::chrono::steady_clock::now();
        pass();
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    } while (std::chrono::steady_clock::now() < stop);
    return best / static_cast<double>(frames);
}

} // namespace

int bench_command(const std::vector<std::string>& args)
{
    const Arguments arguments(args, {"--block", "--seconds"}, {"--help"});
    if (arguments.has("--help")) {
        std::cout << bench_help;
        return 0;
    }
    if (arguments.positional().size() != 1) throw UsageError("bench takes one MODEL file (see 'rtconv bench --help')");
    const std::vector<std::size_t> blocks = block_list(arguments.value("--block"));
    const double budget = seconds_option(arguments.value("--seconds"));
    const std::string model_path = arguments.positional().front();
    const Sequential model = load_model(model_path);
    const double macs_per_frame = stack_stats(model).macs_per_input_sample;
    const double sample_rate = model.metadata().sample_rate.value_or(default_sample_rate);

    ModelStream stream(model);
    std::vector<float> input(static_cast<std::size_t>(sample_rate) * stream.input_channels());
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> noise(-1.f, 1.f);
    for (float& v : input) v = noise(rng);

    std::printf("%s: %s kernels, float32, one thread, %.0f MACs per input sample, %.0f Hz\n", model_path.c_str(),
                kernel_arch().c_str(), macs_per_frame, sample_rate);
    std::printf("%8s %12s %14s %10s %12s %10s\n", "block", "ns/sample", "x real time", "GMAC/s", "peak GMAC/s",
                "% of peak");
    for (const std::size_t block : blocks) {
        stream.prepare({.sample_rate = sample_rate, .max_block_size = block, .channels = 1});
        const double before = measure_fma_peak(DType::float32);
        const double t = seconds_per_frame(stream, input, block, budget);
        const double peak = std::max(before, measure_fma_peak(DType::float32));
        const double rate = macs_per_frame / t;
        std::printf("%8zu %12.2f %14.1f %10.2f %12.2f %9.1f%%\n", block, t * 1e9, 1.0 / (t * sample_rate),
                    rate * 1e-9, peak * 1e-9, 100.0 * rate / peak);
    }
    return 0;
}

} // namespace rtconv::cli
