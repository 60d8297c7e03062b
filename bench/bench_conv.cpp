// Whole-sequence Conv1D speed against this core's FMA peak, measured in the same run.
//
//   rtconv_bench_conv [--seconds S] [--arch NAME]
//
// A 16 -> 16 causal conv, kernel 3, over one second of 48 kHz audio, for dilations 1, 64 and
// 512, with tanh and without an activation (the kernel alone), on every kernel instruction set
// this CPU runs (or the one named).
#include "bench_timing.hpp"
#include "rtconv/conv1d.hpp"
#include "rtconv/cpu.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using rtconv_bench::best_seconds;
using rtconv_bench::peak_around;

int main(int argc, char** argv)
{
    double seconds = 0.5;
    std::vector<std::string> archs = rtconv::available_kernel_archs();
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = std::atof(argv[++i]);
        else if (!std::strcmp(argv[i], "--arch") && i + 1 < argc) archs = {argv[++i]};
        else {
            std::fprintf(stderr, "usage: %s [--seconds S] [--arch NAME]\n", argv[0]);
            return 2;
        }
    }

    constexpr std::size_t steps = 48000, channels = 16, kernel = 3;
    rtconv::Tensor x({1, steps, channels});
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> noise(-1.f, 1.f);
    for (auto& v : x.values<float>()) v = noise(rng);

    std::printf("Conv1D 16->16, kernel 3, causal, whole sequence of %zu steps, float32, one thread\n", steps);
    std::printf("%-8s %-10s %9s %12s %10s %12s %10s\n", "arch", "activation", "dilation", "ns/sample", "GMAC/s",
                "peak GMAC/s", "% of peak");
    for (const auto& arch : archs) {
        rtconv::select_kernel_arch(arch);
        for (const char* activation : {"tanh", "linear"})
            for (int dilation : {1, 64, 512}) {
                rtconv::Conv1D conv({.filters = 16, .kernel_size = 3, .padding = "causal",
                                     .dilation_rate = dilation, .activation = activation});
                conv(x);
                double t = 0.0;
                const double peak = peak_around([&] { t = best_seconds([&] { conv(x); }, seconds); });
                const double macs = double(steps) * channels * channels * kernel;
                std::printf("%-8s %-10s %9d %12.2f %10.2f %12.2f %9.1f%%\n", arch.c_str(), activation, dilation,
                            t / steps * 1e9, macs / t * 1e-9, peak * 1e-9, 100.0 * macs / t / peak);
            }
    }
    return 0;
}
