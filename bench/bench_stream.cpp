// Streaming Conv1D speed and per-block jitter against this core's FMA peak, measured in the same run.
//
//   rtconv_bench_stream [--seconds S] [--arch NAME] [--quick] [--csv]
//
// Single thread, float32, one audio channel, through rtconv::ModelStream as an audio callback
// would drive it. Throughput is the best of repeated passes over one second of 48 kHz noise,
// cut into blocks; jitter times 10^5 consecutive blocks one by one.
#include "bench_timing.hpp"
#include "rtconv/conv1d.hpp"
#include "rtconv/cpu.hpp"
#include "rtconv/error.hpp"
#include "rtconv/stream.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <vector>

#if __has_include(<sys/resource.h>)
#include <sys/resource.h>
#endif

namespace {

using rtconv_bench::best_seconds;
using rtconv_bench::clock_type;
using rtconv_bench::peak_around;

constexpr double sample_rate = 48000.0;
constexpr std::size_t buffer_frames = 48000, kernel = 3;

struct Options {
    double seconds = 0.3;
    bool quick = false;
    bool csv = false;
};

/// Causal C -> C tanh convolutions, kernel 3, one per dilation, with random weights and biases.
rtconv::Sequential make_model(std::size_t channels, const std::vector<int>& dilations)
{
    rtconv::Sequential model;
    model.set_input_shape({1, std::nullopt, static_cast<std::int64_t>(channels)});
    for (int dilation : dilations)
        model.add(rtconv::Conv1D({.filters = static_cast<int>(channels), .kernel_size = static_cast<int>(kernel),
                                  .padding = "causal", .dilation_rate = dilation, .activation = "tanh",
                                  .bias_initializer = "random_normal"}));
    return model;
}

/// A prepared stream with one second of noise to feed it, block by block.
class StreamRun {
public:
    StreamRun(const rtconv::Sequential& model, std::size_t block)
        : stream_(model), block_(block), blocks_(buffer_frames / block), channels_(stream_.input_channels()),
          input_(frames() * channels_), output_(frames() * stream_.output_channels())
    {
        stream_.prepare({.sample_rate = sample_rate, .max_block_size = block, .channels = 1});
        std::mt19937 rng(1);
        std::uniform_real_distribution<float> noise(-1.f, 1.f);
        for (auto& v : input_) v = noise(rng);
    }

    /// The buffer: a whole number of blocks, so every block is full.
    std::size_t frames() const { return blocks_ * block_; }

    /// Block `i` of an endless loop over the buffer.
    void process_block(std::size_t i)
    {
        const std::size_t frame = (i % blocks_) * block_;
        const float* in = input_.data() + frame * channels_;
        float* out = output_.data() + frame * stream_.output_channels();
        stream_.process(&in, &out, block_);
    }

    void process_buffer()
    {
        for (std::size_t i = 0; i < blocks_; ++i) process_block(i);
    }

private:
    rtconv::ModelStream stream_;
    std::size_t block_, blocks_, channels_;
    std::vector<float> input_, output_;
};

/// A table printed with aligned columns, or as CSV rows headed by the table's name.
class Table {
public:
    Table(std::string name, const std::vector<std::string>& columns, const Options& options)
        : name_(std::move(name)), csv_(options.csv)
    {
        if (csv_) {
            std::printf("table");
            for (const auto& c : columns) std::printf(",%s", c.c_str());
        } else {
            std::printf("\n%s\n", name_.c_str());
            for (const auto& c : columns) std::printf(" %*s", width, c.c_str());
        }
        std::printf("\n");
        std::fflush(stdout);
    }

    void row(const std::vector<std::string>& cells)
    {
        if (csv_) std::printf("\"%s\"", name_.c_str());
        for (const auto& c : cells) {
            if (csv_) std::printf(",%s", c.c_str());
            else std::printf(" %*s", width, c.c_str());
        }
        std::printf("\n");
        std::fflush(stdout);
    }

private:
    static constexpr int width = 11;
    std::string name_;
    bool csv_;
};

std::string fmt(double value, int decimals)
{
    char s[32];
    std::snprintf(s, sizeof s, "%.*f", decimals, value);
    return s;
}

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b)
{
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

/// Throughput of `model` streamed in blocks of `block`: ns/sample, GMAC/s, peak GMAC/s, % of peak.
std::vector<std::string> throughput(const rtconv::Sequential& model, std::size_t block, double macs_per_sample,
                                    const Options& options)
{
    StreamRun run(model, block);
    run.process_buffer(); // history filled, pages touched: the steady state
    double t = 0;
    const double peak = peak_around([&] { t = best_seconds([&] { run.process_buffer(); }, options.seconds); });
    const double frames = double(run.frames());
    const double macs_per_second = macs_per_sample * frames / t;
    return {fmt(t / frames * 1e9, 2), fmt(macs_per_second * 1e-9, 2), fmt(peak * 1e-9, 2),
            fmt(100.0 * macs_per_second / peak, 1)};
}

/// Cost of one steady_clock read, the floor under every per-block time below.
double clock_overhead_ns()
{
    constexpr int reads = 100000;
    const auto t0 = clock_type::now();
    for (int i = 0; i < reads; ++i) (void)clock_type::now();
    return std::chrono::duration<double, std::nano>(clock_type::now() - t0).count() / reads;
}

/// Times the scheduler took the CPU from this process (-1 where unknown): preemption, not the engine.
long involuntary_switches()
{
#if __has_include(<sys/resource.h>)
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_nivcsw;
#else
    return -1;
#endif
}

/// A serial chain of float multiply-adds: work that cannot vary, to time the machine itself.
float spin(std::size_t iterations, float x)
{
    for (std::size_t i = 0; i < iterations; ++i) x = x * 0.999f + 0.001f;
    return x;
}

struct BlockTimes {
    std::vector<double> ns; ///< sorted
    long preemptions = -1;
    double quantile(double q) const { return ns[static_cast<std::size_t>(q * double(ns.size() - 1))]; }
};

/// Each of `blocks` calls of `block_fn(i)` timed on its own.
template <class F> BlockTimes time_blocks(F&& block_fn, std::size_t blocks)
{
    BlockTimes times;
    times.ns.resize(blocks);
    const long switches = involuntary_switches();
    for (std::size_t i = 0; i < blocks; ++i) {
        const auto t0 = clock_type::now();
        block_fn(i);
        times.ns[i] = std::chrono::duration<double, std::nano>(clock_type::now() - t0).count();
    }
    if (switches >= 0) times.preemptions = involuntary_switches() - switches;
    std::sort(times.ns.begin(), times.ns.end());
    return times;
}

/// median, p99, p99.9, max (us), max/median, trimmed max/median, max as % of the block's real-time
/// budget, preemptions.
std::vector<std::string> jitter_cells(const BlockTimes& t, std::size_t block)
{
    const std::size_t n = t.ns.size();
    const double median = t.quantile(0.5), max = t.ns.back();
    // The largest time once the slowest 0.01% of blocks (10 of 10^5) are set aside.
    const double max_trimmed = t.ns[n - 1 - n / 10000];
    const double budget_ns = double(block) / sample_rate * 1e9;
    return {fmt(median / 1e3, 2),         fmt(t.quantile(0.99) / 1e3, 2), fmt(t.quantile(0.999) / 1e3, 2),
            fmt(max / 1e3, 2),            fmt(max / median, 2),           fmt(max_trimmed / median, 2),
            fmt(100.0 * max / budget_ns, 1), t.preemptions < 0 ? "n/a" : std::to_string(t.preemptions)};
}

/// Jitter of `model` streamed in blocks of `block`, then of a busy loop as long as its median block.
void jitter_rows(Table& table, const std::string& label, const rtconv::Sequential& model, std::size_t block,
                 std::size_t blocks, double macs_per_sample)
{
    StreamRun run(model, block);
    run.process_buffer();
    BlockTimes times;
    const double peak =
        peak_around([&] { times = time_blocks([&](std::size_t i) { run.process_block(i); }, blocks); });
    const double median = times.quantile(0.5);
    const double macs_per_second = macs_per_sample * double(block) / (median * 1e-9);
    std::vector<std::string> cells = concat({label}, jitter_cells(times, block));
    cells.push_back(fmt(100.0 * macs_per_second / peak, 1));
    table.row(cells);

    // Calibrated the way it is then timed, so the two medians match.
    constexpr std::size_t calibration = 1000;
    volatile float sink = 1.f; // keeps the loop's result, so the compiler keeps the loop
    const double ns_per_iteration =
        time_blocks([&](std::size_t) { sink = spin(calibration, sink); }, 1001).quantile(0.5) / calibration;
    const auto iterations = static_cast<std::size_t>(median / ns_per_iteration);
    const BlockTimes busy = time_blocks([&](std::size_t) { sink = spin(iterations, sink); }, blocks);
    cells = concat({"busy loop"}, jitter_cells(busy, block));
    cells.push_back("-");
    table.row(cells);
}

} // namespace

int main(int argc, char** argv)
{
    Options options;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--seconds") && i + 1 < argc) options.seconds = std::atof(argv[++i]);
        else if (!std::strcmp(argv[i], "--arch") && i + 1 < argc) {
            try {
                rtconv::select_kernel_arch(argv[++i]);
            } catch (const rtconv::Error& e) {
                std::fprintf(stderr, "%s\n", e.what());
                return 2;
            }
        } else if (!std::strcmp(argv[i], "--quick")) options.quick = true;
        else if (!std::strcmp(argv[i], "--csv")) options.csv = true;
        else {
            std::fprintf(stderr, "usage: %s [--seconds S] [--arch NAME] [--quick] [--csv]\n", argv[0]);
            return 2;
        }
    }
    const bool quick = options.quick;
    const std::vector<std::string> rate_columns = {"ns/sample", "GMAC/s", "peak GMAC/s", "% of peak"};

    std::printf("%sModelStream, float32, one thread, one audio channel, %.0f Hz; kernel arch %s\n",
                options.csv ? "# " : "", sample_rate, rtconv::kernel_arch().c_str());
    std::printf("%scausal Conv1D C->C, kernel 3, tanh, random weights and biases; input: noise in [-1, 1]\n",
                options.csv ? "# " : "");

    constexpr std::size_t features = 16;
    const double layer_macs = double(features * features * kernel);
    {
        Table table("1. One 16->16 layer, by dilation and block size", concat({"dilation", "block"}, rate_columns),
                    options);
        for (int dilation : quick ? std::vector<int>{1, 512} : std::vector<int>{1, 64, 512}) {
            const rtconv::Sequential model = make_model(features, {dilation});
            for (std::size_t block : quick ? std::vector<std::size_t>{1, 64} : std::vector<std::size_t>{1, 16, 64, 512})
                table.row(concat({std::to_string(dilation), std::to_string(block)},
                                 throughput(model, block, layer_macs, options)));
        }
    }

    // No residual adds between the layers: the engine streams plain Sequential stacks only until
    // the WaveNet blocks arrive, so this is the stack without them.
    const std::vector<int> stack_dilations = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
    const rtconv::Sequential stack = make_model(features, stack_dilations);
    const double stack_macs = layer_macs * double(stack_dilations.size());
    {
        Table table("2. Plain stack of ten 16->16 layers, dilations 1..512, no residual adds",
                    concat({"layers", "block"}, rate_columns), options);
        table.row(concat({"10", "64"}, throughput(stack, 64, stack_macs, options)));
    }

    {
        Table table("3a. Cost by width: C->C, dilation 1, block 64", concat({"channels", "block"}, rate_columns),
                    options);
        for (std::size_t c : quick ? std::vector<std::size_t>{8, 16, 32} : std::vector<std::size_t>{4, 8, 16, 32, 64})
            table.row(concat({std::to_string(c), "64"},
                             throughput(make_model(c, {1}), 64, double(c * c * kernel), options)));
    }
    {
        Table table("3b. Cost by dilation: 16->16, block 64", concat({"dilation", "block"}, rate_columns), options);
        for (int dilation :
             quick ? std::vector<int>{1, 64, 4096} : std::vector<int>{1, 4, 16, 64, 256, 1024, 4096})
            table.row(concat({std::to_string(dilation), "64"},
                             throughput(make_model(features, {dilation}), 64, layer_macs, options)));
    }

    const std::size_t blocks = quick ? 10000 : 100000;
    {
        Table table("4. Jitter: " + std::to_string(blocks) + " consecutive blocks of 64, each timed (us); "
                        "a steady_clock read costs " + fmt(clock_overhead_ns(), 0) + " ns",
                    {"model", "median", "p99", "p99.9", "max", "max/median", "trim/median", "max%budget",
                     "preempted", "%peak@med"},
                    options);
        jitter_rows(table, "d=64 layer", make_model(features, {64}), 64, blocks, layer_macs);
        jitter_rows(table, "10 layers", stack, 64, blocks, stack_macs);
    }
    if (!options.csv)
        std::printf("\ntrim/median: the largest block time without the slowest 0.01%% of blocks, over the median.\n"
                    "max%%budget: the slowest block's time as a share of the %.2f ms of audio in a block.\n"
                    "preempted: involuntary context switches during the run.\n"
                    "busy loop: fixed arithmetic as long as the median block above, timed the same way: the\n"
                    "machine's own jitter (interrupts, a shared VM's other tenants), which no engine can beat.\n",
                    64 / sample_rate * 1e3);
    return 0;
}
