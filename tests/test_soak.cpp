// Soak (issue "Hardening"): a 20-layer model streamed for 10^7 frames in random blocks, with
// random reset(), prewarm() and prepare() calls, never drifts from the whole-sequence run and
// never grows the heap. (2 * 10^5 frames in sanitized builds.)
//
// A longer soak, or another seed:
//   RTCONV_SOAK_SAMPLES=100000000 RTCONV_SOAK_SEED=7 ./rtconv_tests "[soak]"
#include "sanitized.hpp"

#include "rtconv/conv1d.hpp"
#include "rtconv/cpu.hpp"
#include "rtconv/stream.hpp"

#include <catch2/catch.hpp>

#include <malloc.h>
#include <pthread.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#ifdef RTCONV_TEST_SANITIZED
extern "C" std::size_t __sanitizer_get_current_allocated_bytes();
#endif

namespace {

constexpr int kLayers = 20, kWidth = 8, kKernel = 3;
// Per-tap weight spread, times 1/sqrt(fan_in): enough gain that 19 tanh layers neither
// fade the signal nor pin it at +-1 (checked below).
constexpr double kWeightGain = 1.3;
// The specs prepare() picks from: blocks under 8 frames keep a frame-major history, 16 stages
// short histories in front of the block, 512 and 2048 read long ones from the ring in place.
constexpr std::array<std::size_t, 6> kMaxBlocks = {1, 3, 16, 64, 512, 2048};
constexpr std::size_t kMaxLanes = 2;
constexpr std::size_t kSpecs = kMaxBlocks.size() * kMaxLanes;
// Frames per whole-sequence reference call: bounds the reference's memory however long a
// segment runs between resets.
constexpr std::size_t kChunk = std::size_t{1} << 16;
// After the soak, per spec: prepare()/process()/reset() cycles on a thread that then exits,
// emptying its allocator cache; the heap after kSettleCycles against the heap after kMoreCycles
// more.
#ifdef RTCONV_TEST_SANITIZED
// Sanitized builds run the stream about 40 times slower: a shorter soak whose shorter segments
// keep the mix of resets and prepares. Their allocator counts the bytes handed out exactly
// (checked with ASan), so a few cycles tell and any growth is a leak.
constexpr std::size_t kDefaultFrames = 200'000, kMaxSegmentCalls = 200;
constexpr std::size_t kThreadCacheBytes = 0, kCycleHeapSlack = 0;
constexpr int kSettleCycles = 1, kMoreCycles = 4;
#else
constexpr std::size_t kDefaultFrames = 10'000'000, kMaxSegmentCalls = 4000;
// glibc's heap measure is not exact: it hands out a chunk up to 16 bytes larger than asked when
// the free list has nothing closer, and mallinfo2() counts the freed chunks a thread's cache holds
// (at most 7 in each of 64 sizes from 32 to 1040 bytes) as in use. Neither accumulates; a leak
// does. The cycles vary the heap by under 200 bytes (measured over 300); leaking even the
// smallest chunk (32 bytes) per cycle would add 2 KiB.
constexpr std::size_t kThreadCacheBytes = 7 * (64 * 32 + 16 * (63 * 64 / 2)), kCycleHeapSlack = 1024;
constexpr int kSettleCycles = 4, kMoreCycles = 64;
#endif
// During the soak, heap after prepare() against its first value for that spec: besides the
// cache, vectors keep the capacity a larger spec gave them (the stream's lanes).
constexpr std::size_t kSoakHeapSlack = kThreadCacheBytes + 4096;

/// Bytes the program holds on the heap now.
std::size_t heap_in_use()
{
#ifdef RTCONV_TEST_SANITIZED
    // The sanitizer's allocator replaces glibc's, whose mallinfo2() would then see nothing.
    return __sanitizer_get_current_allocated_bytes();
#else
    const struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd; // chunks in use in the arenas, plus mmapped ones
#endif
}

std::size_t env_or(const char* name, std::size_t fallback)
{
    const char* value = std::getenv(name);
    return value && *value ? static_cast<std::size_t>(std::strtoull(value, nullptr, 10)) : fallback;
}

/// 20 causal Conv1D layers, 1 -> 8 -> ... -> 8 -> 1, dilations 1..512 twice, tanh but the last.
rtconv::Sequential soak_model(std::mt19937& rng)
{
    rtconv::Sequential model("soak");
    model.set_input_shape({1, std::nullopt, 1});
    std::size_t in = 1;
    for (int i = 0; i < kLayers; ++i) {
        const bool last = i == kLayers - 1;
        const std::size_t filters = last ? 1 : kWidth;
        auto& conv = model.add(rtconv::Conv1D({.filters = static_cast<int>(filters), .kernel_size = kKernel,
                                               .padding = "causal", .dilation_rate = 1 << (i % 10),
                                               .activation = last ? "linear" : "tanh"}));
        rtconv::Tensor kernel({kKernel, in, filters}), bias({filters});
        std::normal_distribution<double> weight(0.0, kWeightGain / std::sqrt(double(kKernel * in))), offset(0.0, 0.1);
        for (std::size_t j = 0; j < kernel.size(); ++j) kernel.set_flat(j, weight(rng));
        for (std::size_t j = 0; j < bias.size(); ++j) bias.set_flat(j, offset(rng));
        conv.set_weights({kernel, bias});
        in = filters;
    }
    return model;
}

/// Runs f on a thread of its own and waits for it. Leaving, the thread hands the chunks its
/// allocator cache held back to the heap: heap_in_use() then counts what is live. pthreads
/// rather than std::thread, whose start-up state the calling thread would allocate.
template <class F> void run_on_own_thread(F& f)
{
    pthread_t thread;
    const auto start = [](void* p) -> void* {
        (*static_cast<F*>(p))();
        return nullptr;
    };
    REQUIRE(pthread_create(&thread, nullptr, start, &f) == 0);
    REQUIRE(pthread_join(thread, nullptr) == 0);
}

double rms(const rtconv::Tensor& t)
{
    double sum = 0.0;
    for (std::size_t i = 0; i < t.size(); ++i) sum += t.flat(i) * t.flat(i);
    return std::sqrt(sum / double(t.size()));
}

} // namespace

TEST_CASE("a 20-layer stream soaks 10^7 frames of random blocks resets and prepares without drift or heap growth",
          "[stream][soak]")
{
    const std::size_t total_frames = env_or("RTCONV_SOAK_SAMPLES", kDefaultFrames);
    const auto seed = static_cast<unsigned>(env_or("RTCONV_SOAK_SEED", 20261201));
    std::printf("soak: seed %u, %zu frames, kernels %s\n", seed, total_frames, rtconv::kernel_arch().c_str());
    INFO("seed " << seed << " (RTCONV_SOAK_SEED), " << total_frames << " frames (RTCONV_SOAK_SAMPLES)");
    std::mt19937 rng(seed);
    rtconv::Sequential model = soak_model(rng);

    // The signal stays alive and unsaturated through every hidden layer.
    {
        rtconv::Tensor h({1, 8192, 1});
        std::normal_distribution<double> noise(0.0, 0.5);
        for (std::size_t i = 0; i < h.size(); ++i) h.set_flat(i, noise(rng));
        double quietest = 1.0, loudest = 0.0;
        for (std::size_t i = 0; i + 1 < model.layers().size(); ++i) {
            h = (*model.layers()[i])(h);
            quietest = std::min(quietest, rms(h));
            loudest = std::max(loudest, rms(h));
        }
        std::printf("soak: hidden layers' RMS %.3f to %.3f for noise of RMS 0.5\n", quietest, loudest);
        CHECK(quietest > 0.2);
        CHECK(loudest < 0.9);
    }

    rtconv::ModelStream stream(model);
    const std::size_t context = stream.receptive_field() - 1; // input frames an output reads before its own
    REQUIRE(context == 2 * 2 * 1023);
    REQUIRE(stream.latency() == 0);

    // Per lane: `window` holds the input since the last reset (its last `context` frames, then
    // the frames not yet compared), `out` the stream's output for those uncompared frames. All
    // sized here, so that between checkpoints nothing but the stream can move the heap.
    std::array<std::vector<float>, kMaxLanes> window, out;
    for (auto& w : window) w.assign(context + kChunk, 0.0f);
    for (auto& o : out) o.assign(kChunk, 0.0f);
    std::size_t kept = 0, pending = 0, lanes = 1, max_block = 1;

    double worst = 0.0, worst_last_segment = 0.0, out_squares = 0.0;
    std::size_t worst_at = 0, compared = 0, compared_frames = 0;
    // The whole-sequence run over the window is the reference: a causal stack's output reads
    // only the `context` frames before it, through every layer, so a window that starts
    // `context` frames early (or at the reset) gives exactly the output since the reset.
    const auto compare = [&](std::size_t frame) {
        if (pending == 0) return;
        const std::size_t frames = kept + pending;
        rtconv::Tensor x({lanes, frames, 1});
        for (std::size_t lane = 0; lane < lanes; ++lane)
            std::copy_n(window[lane].data(), frames, x.data<float>() + lane * frames);
        const rtconv::Tensor y = model(x);
        for (std::size_t lane = 0; lane < lanes; ++lane)
            for (std::size_t t = 0; t < pending; ++t) {
                const double ref = y.data<float>()[lane * frames + kept + t], got = out[lane][t];
                const double err = std::abs(got - ref) / std::max(1.0, std::abs(ref));
                if (err > worst) worst_at = frame - pending + t;
                worst = std::max(worst, err);
                worst_last_segment = std::max(worst_last_segment, err);
                out_squares += got * got;
            }
        compared += lanes * pending;
        compared_frames += pending;
        const std::size_t keep = std::min(frames, context);
        for (std::size_t lane = 0; lane < lanes; ++lane)
            std::copy(window[lane].begin() + std::ptrdiff_t(frames - keep),
                      window[lane].begin() + std::ptrdiff_t(frames), window[lane].begin());
        kept = keep;
        pending = 0;
    };

    // Between checkpoints only process(), reset() and prewarm() run: the heap must not move. A net
    // check (mallinfo2() cannot see a chunk taken from the thread's cache and put back); that
    // process() calls no allocator at all is tests/realtime's exact check.
    std::size_t stretch_start = 0, stretches = 0, moved_stretches = 0, worst_move = 0;
    const auto begin_stretch = [&] { stretch_start = heap_in_use(); };
    const auto end_stretch = [&] {
        const std::size_t now = heap_in_use();
        const std::size_t move = now > stretch_start ? now - stretch_start : stretch_start - now;
        ++stretches;
        if (move != 0) ++moved_stretches;
        worst_move = std::max(worst_move, move);
    };

    // Heap in use right after each prepare(): the first time for a spec, and the most seen later.
    struct SpecMemory {
        std::size_t prepares = 0, first = 0, most = 0, state_values = 0;
    };
    std::array<SpecMemory, kSpecs> memory{};
    const auto set_spec = [&](std::size_t spec) {
        lanes = spec % kMaxLanes + 1;
        max_block = kMaxBlocks[spec / kMaxLanes];
        stream.prepare({.sample_rate = 48000, .max_block_size = max_block, .channels = lanes});
    };
    const auto prepare = [&](std::size_t spec) {
        set_spec(spec);
        const std::size_t now = heap_in_use();
        SpecMemory& m = memory[spec];
        if (m.prepares++ == 0) {
            m.first = now;
            m.state_values = stream.allocated_state_values();
        }
        m.most = std::max(m.most, now);
        CHECK(stream.allocated_state_values() == m.state_values);
    };

    std::uniform_real_distribution<double> log_calls(0.0, std::log(double(kMaxSegmentCalls)));
    std::uniform_real_distribution<float> level(0.05f, 1.0f);
    std::normal_distribution<float> noise;
    std::size_t frame = 0, segments = 0, longest = 0, resets = 0, prewarms = 0, short_writes = 0;
    std::array<const float*, kMaxLanes> in{};
    std::array<float*, kMaxLanes> outs{};
    // Noise into the window after the frames pending, streamed; the output lands in `out`.
    const auto process_block = [&](std::size_t n, float gain) {
        for (std::size_t lane = 0; lane < lanes; ++lane) {
            float* x = window[lane].data() + kept + pending;
            for (std::size_t t = 0; t < n; ++t) x[t] = gain * noise(rng);
            in[lane] = x;
            outs[lane] = out[lane].data() + pending;
        }
        if (stream.process(in.data(), outs.data(), n) != n) ++short_writes;
    };
    prepare(rng() % kSpecs);
    begin_stretch();
    while (true) {
        // A segment: log-uniformly many process() calls, then a reset() or a prepare().
        ++segments;
        worst_last_segment = 0.0;
        const auto calls = static_cast<std::size_t>(std::exp(log_calls(rng)));
        const float gain = level(rng);
        std::uniform_int_distribution<std::size_t> size(1, max_block + max_block / 2); // process() splits long ones
        std::size_t segment_frames = 0;
        for (std::size_t call = 0; call < calls && frame < total_frames; ++call) {
            const std::size_t n = std::min(total_frames - frame, rng() % 8 == 0 ? std::size_t{1} : size(rng));
            if (pending + n > kChunk) {
                end_stretch();
                compare(frame);
                begin_stretch();
            }
            process_block(n, rng() % 16 == 0 ? 0.0f : gain);
            pending += n;
            frame += n;
            segment_frames += n;
        }
        longest = std::max(longest, segment_frames);
        end_stretch();
        compare(frame);
        if (frame >= total_frames) break;

        // After a reset the reference starts from zero history; after prewarm() from the steady
        // state of silence, which is what `context` frames of silence before the input give.
        kept = 0;
        const unsigned event = rng() % 4;
        if (event >= 2) prepare(rng() % kSpecs); // allocates: outside any stretch
        begin_stretch();
        if (event < 2) {
            stream.reset();
            ++resets;
        }
        if (event % 2 == 1) {
            stream.prewarm();
            for (std::size_t lane = 0; lane < lanes; ++lane) std::fill_n(window[lane].data(), context, 0.0f);
            kept = context;
            ++prewarms;
        }
    }

    // The tight heap check: the same cycle again and again, for every spec.
    kept = 0;
    std::size_t cycle_growth = 0;
    for (std::size_t spec = 0; spec < kSpecs; ++spec) {
        int cycles = kSettleCycles;
        auto cycle = [&] {
            for (int c = 0; c < cycles; ++c) {
                set_spec(spec);
                std::uniform_int_distribution<std::size_t> size(1, max_block + max_block / 2);
                process_block(size(rng), 1.0f);
                process_block(size(rng), 1.0f);
                stream.reset();
                process_block(size(rng), 1.0f);
            }
        };
        run_on_own_thread(cycle);
        const std::size_t settled = heap_in_use();
        cycles = kMoreCycles;
        run_on_own_thread(cycle);
        const std::size_t now = heap_in_use();
        cycle_growth = std::max(cycle_growth, now > settled ? now - settled : 0);
    }

    const double out_rms = std::sqrt(out_squares / double(compared));
    std::size_t prepares = 0, soak_growth = 0;
    for (const SpecMemory& m : memory) {
        prepares += m.prepares;
        soak_growth = std::max(soak_growth, m.most - m.first);
    }
    std::printf("soak: %zu segments (longest %zu frames), %zu resets, %zu prewarms, %zu prepares\n", segments,
                longest, resets, prewarms, prepares);
    std::printf("soak: worst error %.3g at frame %zu, %.3g in the last segment; output RMS %.3f\n", worst, worst_at,
                worst_last_segment, out_rms);
    std::printf("soak: heap moved in %zu of %zu stretches of process()/reset()/prewarm() (most %zu bytes)\n",
                moved_stretches, stretches, worst_move);
    std::printf("soak: heap after prepare() at most %zu bytes above the spec's first (allowed %zu); "
                "%d more cycles per spec grew it by at most %zu bytes (allowed %zu)\n",
                soak_growth, kSoakHeapSlack, kMoreCycles, cycle_growth, kCycleHeapSlack);
    for (std::size_t spec = 0; spec < kSpecs; ++spec)
        std::printf("soak:   max_block %4zu, %zu lanes: %2zu prepares in the soak, heap %zu bytes, +%zu\n",
                    kMaxBlocks[spec / kMaxLanes], spec % kMaxLanes + 1, memory[spec].prepares, memory[spec].first,
                    memory[spec].most - memory[spec].first);

    CHECK(compared_frames == total_frames);
    CHECK(short_writes == 0);
    CHECK(worst <= 1e-5);
    CHECK(out_rms > 0.05);
    CHECK(out_rms < 2.0);
    CHECK(moved_stretches == 0);
    CHECK(soak_growth <= kSoakHeapSlack);
    CHECK(cycle_growth <= kCycleHeapSlack);
}
