// libFuzzer target for the model loaders: the bytes go through model_from_bytes, which picks the
// native Keras, NAM, WaveNetVA or RTNeural reader by content (one driver serves the four formats;
// their seed corpora and dictionaries differ). A model that loads is streamed a little too, so
// the stream's setup and its kernels see what the loaders let through.
//
// Expected: the model, or an rtconv::Error. Anything else escaping (std::bad_alloc included:
// the loaders cap sizes themselves) aborts, and libFuzzer reports it.
#include <rtconv/error.hpp>
#include <rtconv/model_file.hpp>
#include <rtconv/stream.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace {

// Streaming bounds, so that each execution stays in milliseconds: loading is what is fuzzed,
// the stream only has to be set up and run a few blocks.
constexpr std::size_t kMaxParams = 1 << 16;
constexpr std::size_t kMaxReceptiveField = 1 << 12;
constexpr std::size_t kMaxChannels = 64;
constexpr std::size_t kMaxRate = 16;
constexpr std::size_t kMaxBlock = 16;

template <class T> void stream_a_little(const rtconv::Sequential& model)
{
    rtconv::BasicModelStream<T> stream(model);
    if (stream.receptive_field() > kMaxReceptiveField || stream.input_channels() > kMaxChannels ||
        stream.output_channels() > kMaxChannels || stream.rate_up() > kMaxRate || stream.rate_down() > kMaxRate)
        return;
    stream.prepare({.sample_rate = 48000.0, .max_block_size = kMaxBlock, .channels = 1});
    stream.prewarm();
    // Block sizes below, at and above max_block_size, the last one split inside process().
    for (const std::size_t n : {std::size_t(1), std::size_t(7), kMaxBlock, 2 * kMaxBlock + 3}) {
        std::vector<T> in(n * stream.input_channels());
        for (std::size_t i = 0; i < in.size(); ++i) in[i] = T(i % 5) * T(0.25) - T(0.5);
        std::vector<T> out(stream.max_output_frames(n) * stream.output_channels());
        const T* ins[] = {in.data()};
        T* outs[] = {out.data()};
        const std::size_t written = stream.process(ins, outs, n);
        if (written > stream.max_output_frames(n)) __builtin_trap(); // more frames than out[] has room for
    }
    stream.reset();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const rtconv::Sequential model = rtconv::model_from_bytes(text, "fuzz-input");
        if (model.layers().empty() || model.count_params() > kMaxParams) return 0;
        // Both precisions: each has its own kernels and packed weights.
        stream_a_little<float>(model);
        stream_a_little<double>(model);
    } catch (const rtconv::Error&) {
        // A refusal is the expected outcome for most inputs.
    }
    return 0;
}
