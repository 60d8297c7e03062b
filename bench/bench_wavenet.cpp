// WaveNet models as a plugin runs them: NAM's standard WaveNet at 48 kHz, the WaveNetVA models at
// 44.1 kHz, and a plain stack of ten 16-channel causal tanh layers (kernel 3, dilations 1..512)
// with 1x1 residual paths, streamed block by block, single thread, float32, against this core's
// FMA peak measured in the same run; then the cost of a tail decaying through the denormal range
// against noise.
//
//   rtconv_bench_wavenet [--seconds S] [--arch NAME] [--blocks 1,64,512]
#include "bench_timing.hpp"
#include "rtconv/cpu.hpp"
#include "rtconv/error.hpp"
#include "rtconv/model_file.hpp"
#include "rtconv/stream.hpp"
#include "rtconv/wavenet.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

using rtconv_bench::best_seconds;
using rtconv_bench::peak_around;

struct BenchModel {
    const char* name;
    double sample_rate;
};

constexpr BenchModel kModels[] = {
    {"nam/wavenet_a1_standard.nam", 48000.0},
    {"wavenetva/WaveNet1-ds1.json", 44100.0},
    {"wavenetva/WaveNet2-muff.json", 44100.0},
    {"wavenetva/WaveNet3-ts7.json", 44100.0},
    {"ten residual layers", 48000.0},
};

/// Ten 16-channel layers, each a causal tanh conv (kernel 3) whose 1x1 adds back onto its input.
rtconv::Sequential residual_stack()
{
    rtconv::WaveNetArrayOptions array{.input_size = 1, .condition_size = 0, .channels = 16};
    for (int i = 0; i < 10; ++i)
        array.layers.push_back({.kernel_size = 3, .dilation = 1 << i,
                                .activation = rtconv::WaveNetActivation::from_config("Tanh")});
    array.head = rtconv::WaveNetHeadOptions{.out_channels = 1, .kernel_size = 1, .bias = true};
    rtconv::Sequential model("residual_stack");
    model.add(rtconv::WaveNet({.arrays = {array}}));
    return model;
}

rtconv::Sequential load(const BenchModel& m)
{
    if (std::string(m.name) == "ten residual layers") return residual_stack();
    return rtconv::load_model(std::string(RTCONV_EXAMPLES_DIR) + "/models/" + m.name);
}

std::vector<std::size_t> parse_blocks(const char* text)
{
    std::vector<std::size_t> blocks;
    for (const char* p = text; *p;) {
        char* end = nullptr;
        blocks.push_back(std::strtoul(p, &end, 10));
        p = *end == ',' ? end + 1 : end;
        if (blocks.back() == 0) throw rtconv::Error("--blocks: expected positive sizes like 1,64,512");
    }
    return blocks;
}

enum class Input { noise, denormal_tail };

/// Seconds to stream one second of input in blocks of `block` (best of repeats). The denormal
/// tail is noise 1e-36 below full scale decaying into silence: it crosses the denormal range
/// (below 1.2e-38) within the first tenth of a second.
double stream_seconds(const rtconv::Sequential& model, double sample_rate, std::size_t block, double seconds,
                      Input input = Input::noise)
{
    rtconv::ModelStream stream(model);
    stream.prepare({sample_rate, block, 1});
    const std::size_t frames = static_cast<std::size_t>(sample_rate) / block * block;
    std::vector<float> x(frames), y(frames);
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> noise(-0.5f, 0.5f);
    float scale = input == Input::noise ? 1.0f : 1e-36f;
    for (float& v : x) {
        v = scale * noise(rng);
        if (input == Input::denormal_tail) scale *= 0.999f;
    }
    return best_seconds(
               [&] {
                   for (std::size_t i = 0; i < frames; i += block) {
                       const float* in = x.data() + i;
                       float* out = y.data() + i;
                       stream.process(&in, &out, block);
                   }
               },
               seconds) *
           sample_rate / double(frames);
}

} // namespace

int main(int argc, char** argv)
{
    try {
        double seconds = 1.0;
        std::vector<std::size_t> blocks{1, 64, 512};
        for (int i = 1; i < argc; ++i) {
            const std::string arg = argv[i];
            if (arg == "--seconds" && i + 1 < argc) seconds = std::atof(argv[++i]);
            else if (arg == "--arch" && i + 1 < argc) rtconv::select_kernel_arch(argv[++i]);
            else if (arg == "--blocks" && i + 1 < argc) blocks = parse_blocks(argv[++i]);
            else throw rtconv::Error("usage: rtconv_bench_wavenet [--seconds S] [--arch NAME] [--blocks 1,64,512]");
        }
        std::printf("kernels: %s\n", rtconv::kernel_arch().c_str());
        std::printf("%-30s %6s %10s %10s %9s %8s %8s\n", "model", "block", "MAC/smp", "ns/sample", "x real", "GMAC/s",
                    "% peak");
        for (const BenchModel& m : kModels) {
            const rtconv::Sequential model = load(m);
            const auto& wavenet = dynamic_cast<const rtconv::WaveNet&>(*model.layers().front());
            const double macs = double(wavenet.macs_per_sample());
            for (std::size_t block : blocks) {
                double one_second = 0.0;
                const double peak = peak_around([&] { one_second = stream_seconds(model, m.sample_rate, block, seconds); });
                const double ns = one_second / m.sample_rate * 1e9, gmacs = macs / ns;
                std::printf("%-30s %6zu %10.0f %10.1f %9.1f %8.2f %7.1f%%\n", m.name, block, macs, ns, 1.0 / one_second,
                            gmacs, 100.0 * gmacs * 1e9 / peak);
            }
        }
        // Denormals are flushed while a stream processes: a tail into silence costs what noise does.
        const rtconv::Sequential nam = load(kModels[0]);
        const double noise = stream_seconds(nam, 48000.0, 64, seconds, Input::noise);
        const double tail = stream_seconds(nam, 48000.0, 64, seconds, Input::denormal_tail);
        std::printf("\n%s, block 64: denormal tail / noise time = %.3f\n", kModels[0].name, tail / noise);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "rtconv_bench_wavenet: %s\n", e.what());
        return 1;
    }
}
