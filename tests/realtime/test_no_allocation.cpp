// Real-time safety, part 1: ModelStream::process() never touches the heap.
//
// This executable replaces every global allocation function with counting forwarders
// (heap_calls.hpp). Counting is armed only around process() calls; any call while armed fails
// the model that made it. Plain main() rather than Catch, which allocates. To see who allocated:
//   gdb -ex 'break rtconv_heap_call_while_armed' -ex run --args rtconv_realtime_alloc
#include "heap_calls.hpp"
#include "model_cases.hpp"

#include "rtconv/cpu.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <type_traits>

namespace {

constexpr std::size_t kBlocksPerModel = 10000;

struct Tally {
    std::size_t passed = 0, failed = 0;
};

/// Without this the test could pass because the replacements were never linked in.
bool counters_see_allocations()
{
    arm();
    int* volatile object = new int(1); // volatile: the compiler may not elide the pair
    void* volatile block = std::malloc(16);
    std::free(block);
    delete object;
    const EntryCounts counts = disarm();
    auto seen = [&](Entry e) { return counts[static_cast<std::size_t>(e)]; };
    const bool ok = seen(Entry::operator_new) == 1 && seen(Entry::operator_delete) == 1 &&
                    seen(Entry::malloc) == 1 && seen(Entry::free) == 1 && total(counts) == 4;
    std::printf("%s self-check: one new, delete, malloc and free while armed counted as %zu calls\n",
                ok ? "PASS" : "FAIL", total(counts));
    if (!ok) print_counts(counts);
    return ok;
}

template <class T> void run_case(const rtconv_realtime::ModelCase& c, unsigned seed, Tally& tally)
{
    const std::string dtype = std::is_same_v<T, float> ? "float32" : "float64";
    const std::string label = dtype + " " + c.name + " (" + std::to_string(c.audio_channels) + " ch, max block " +
                              std::to_string(c.max_block) + ")";
    const rtconv::Sequential model = rtconv_realtime::build_model(c, dtype);
    rtconv_realtime::RandomBlockRunner<T> runner(model, c, seed);
    EntryCounts sum{};
    for (std::size_t block = 0; block < kBlocksPerModel; ++block) {
        // Halfway, a host-style reset (outside the armed window): streaming from cleared state too.
        if (block == kBlocksPerModel / 2) runner.stream().reset();
        arm();
        runner.process_random_block();
        const EntryCounts counts = disarm();
        for (std::size_t i = 0; i < sum.size(); ++i) sum[i] += counts[i];
    }
    if (total(sum) == 0) {
        std::printf("PASS %s: %zu blocks, no heap call\n", label.c_str(), kBlocksPerModel);
        ++tally.passed;
    } else {
        std::printf("FAIL %s: %zu heap calls in %zu blocks\n", label.c_str(), total(sum), kBlocksPerModel);
        print_counts(sum);
        ++tally.failed;
    }
}

void run_all_cases(Tally& tally)
{
    unsigned seed = 1;
    for (const auto& c : rtconv_realtime::model_cases()) {
        run_case<float>(c, seed++, tally);
        run_case<double>(c, seed++, tally);
    }
}

} // namespace

int main()
{
    if (!counters_see_allocations()) return 1;
    Tally tally;
    // The first pass runs before anything asks which kernels exist, so a lazily built kernel
    // table met for the first time inside process() would be caught here.
    std::printf("-- kernels chosen at start-up\n");
    run_all_cases(tally);
    const std::string startup_arch = rtconv::kernel_arch();
    for (const std::string& arch : rtconv::available_kernel_archs()) {
        if (arch == startup_arch) continue;
        std::printf("-- kernels pinned to %s\n", arch.c_str());
        rtconv::select_kernel_arch(arch);
        run_all_cases(tally);
    }
    std::printf("realtime_no_allocation: %zu passed, %zu failed; kernels at start-up: %s\n", tally.passed,
                tally.failed, startup_arch.c_str());
    return tally.failed == 0 && tally.passed > 0 ? 0 : 1;
}
