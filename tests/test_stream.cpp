// The equivalence contract (DESIGN §4): a stream fed x then latency() zeros, in any block
// partition, reproduces the whole-sequence output delayed by latency().
#include "rtconv/conv1d.hpp"
#include "rtconv/conv1d_transpose.hpp"
#include "rtconv/cpu.hpp"
#include "rtconv/stream.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>

namespace {

const char* const kPaddings[] = {"causal", "same", "valid"};
const char* const kActivations[] = {"linear", "tanh", "relu", "sigmoid", "elu", "gelu", "softsign", "silu",
                                    "softmax", "glu"};

/// A random stack of every layer kind the stream runs, with what the whole-sequence run gives
/// for `steps` input frames and how much of it a stream can reproduce.
struct RandomModel {
    rtconv::Sequential model;
    std::size_t min_steps = 1; ///< shortest input every layer accepts
};

/// Largest input index whole-sequence output j of `layer` reads, for an input of `length` frames.
std::int64_t last_read(const rtconv::Layer& layer, std::int64_t j, std::int64_t length)
{
    if (const auto* conv = dynamic_cast<const rtconv::Conv1D*>(&layer)) {
        const auto& o = conv->options();
        const std::int64_t span = std::int64_t(o.kernel_size - 1) * o.dilation_rate;
        std::int64_t pad_left = 0;
        if (o.padding == "causal") pad_left = span;
        if (o.padding == "same") {
            const std::int64_t out = (length + o.strides - 1) / o.strides;
            pad_left = std::max<std::int64_t>(0, (out - 1) * o.strides + span + 1 - length) / 2;
        }
        return j * o.strides - pad_left + span;
    }
    const auto& t = dynamic_cast<const rtconv::Conv1DTranspose&>(layer);
    const auto& o = t.options();
    const std::int64_t k_eff = std::int64_t(o.kernel_size - 1) * o.dilation_rate + 1;
    const std::int64_t out = *t.compute_output_shape({1, length, std::nullopt})[1];
    const std::int64_t total = (length - 1) * o.strides + k_eff - out;
    const std::int64_t crop_left = o.padding == "same" && total > 0 ? total / 2 : 0;
    return (j + crop_left) / o.strides;
}

/// Whole-sequence output frames a stream reproduces: past the input's end the stream feeds a
/// layer its predecessor's continuing output where the whole-sequence run pads with zeros, so
/// outputs that read there (through any later layer) are left out. The first layer is exact.
std::size_t reproducible_frames(const rtconv::Sequential& model, std::size_t steps)
{
    std::int64_t length = static_cast<std::int64_t>(steps), trusted = length;
    bool first = true;
    for (const auto& layer : model.layers()) {
        const std::int64_t out = *layer->compute_output_shape({1, length, std::nullopt})[1];
        std::int64_t good = 0;
        const std::int64_t bound = std::min(trusted, length);
        while (good < out && (first || last_read(*layer, good, length) < bound)) ++good;
        trusted = good;
        length = out;
        first = false;
    }
    return static_cast<std::size_t>(trusted);
}

RandomModel random_model(std::mt19937& rng, const std::string& dtype)
{
    RandomModel m;
    std::uniform_int_distribution<int> layers(1, 5), channels(1, 6), kernel(1, 4), dilation_pick(0, 3),
        pad(0, 2), act(0, 9), kind(0, 5), stride(2, 3);
    const int depth = layers(rng);
    int in = channels(rng);
    std::size_t scale = 1; // input frames per frame at this depth, for min_steps
    rtconv::TensorShape shape{1, std::nullopt, in};
    for (int i = 0; i < depth; ++i) {
        const int k = kernel(rng);
        std::string activation = kActivations[act(rng)];
        int filters = channels(rng);
        if (activation == "glu") filters *= 2;
        const int which = kind(rng);
        if (which == 0) { // Conv1DTranspose: upsampling (or not), valid or same, maybe output_padding
            const int s = rng() % 3 == 0 ? 1 : stride(rng);
            const int d = s == 1 ? std::array<int, 3>{1, 2, 3}[rng() % 3] : 1;
            std::optional<int> op;
            if (rng() % 2 == 0) op = static_cast<int>(rng() % static_cast<unsigned>(s));
            rtconv::Conv1DTranspose t({.filters = filters, .kernel_size = k, .strides = s,
                                       .padding = rng() % 2 ? "same" : "valid", .output_padding = op,
                                       .dilation_rate = d, .activation = activation,
                                       .bias_initializer = "random_normal", .dtype = dtype});
            t.build(shape);
            shape = t.compute_output_shape(shape);
            m.model.add(std::move(t));
        } else {
            const bool strided = which == 1;
            const int groups = (!strided && in % 2 == 0 && filters % 2 == 0 && rng() % 3 == 0) ? 2 : 1;
            const int d = strided ? 1 : std::array<int, 4>{1, 2, 3, 7}[dilation_pick(rng)];
            // A strided `same` layer's padding depends on the sequence length (its own test below).
            const std::string padding = strided ? (rng() % 2 ? "causal" : "valid") : kPaddings[pad(rng)];
            rtconv::Conv1D conv({.filters = filters, .kernel_size = k, .strides = strided ? stride(rng) : 1,
                                 .padding = padding, .dilation_rate = d, .groups = groups, .activation = activation,
                                 .bias_initializer = "random_normal", .dtype = dtype});
            conv.build(shape);
            shape = conv.compute_output_shape(shape);
            if (padding == "valid") m.min_steps += static_cast<std::size_t>((k - 1) * d) * scale;
            if (strided) scale *= static_cast<std::size_t>(conv.options().strides);
            m.model.add(std::move(conv));
        }
        in = activation == "glu" ? filters / 2 : filters;
        shape[2] = in;
    }
    return m;
}

std::vector<std::size_t> random_partition(std::mt19937& rng, std::size_t total, std::size_t max_block)
{
    std::vector<std::size_t> blocks;
    std::uniform_int_distribution<std::size_t> size(1, max_block + max_block / 2 + 1); // some larger than max
    while (total > 0) {
        const std::size_t n = std::min(total, rng() % 4 == 0 ? std::size_t{1} : size(rng));
        blocks.push_back(n);
        total -= n;
    }
    return blocks;
}

/// Streams x (then zeros) through `stream` in random blocks; returns at least `frames` output frames.
template <class T>
std::vector<T> stream_output(std::mt19937& rng, rtconv::BasicModelStream<T>& stream, const std::vector<T>& x,
                             std::size_t frames, std::size_t max_block)
{
    const std::size_t cin = stream.input_channels(), cout = stream.output_channels();
    std::vector<T> input = x, out, block_out;
    // Enough trailing zeros for `frames` outputs at the model's rate.
    const std::size_t needed_in = (frames * stream.rate_down() + stream.rate_up() - 1) / stream.rate_up() + 1;
    if (input.size() / cin < needed_in) input.resize(needed_in * cin, T(0));
    std::size_t at = 0;
    for (std::size_t n : random_partition(rng, input.size() / cin, max_block)) {
        block_out.assign(stream.max_output_frames(n) * cout, T(0));
        const T* ip = input.data() + at * cin;
        T* op = block_out.data();
        const std::size_t written = stream.process(&ip, &op, n);
        out.insert(out.end(), block_out.begin(), block_out.begin() + static_cast<std::ptrdiff_t>(written * cout));
        at += n;
    }
    REQUIRE(out.size() >= frames * cout);
    return out;
}

template <class T> double worst_stream_error(std::mt19937& rng, RandomModel& m, std::size_t steps)
{
    const auto dtype = std::is_same_v<T, float> ? rtconv::DType::float32 : rtconv::DType::float64;
    rtconv::BasicModelStream<T> stream(m.model);
    const std::size_t cin = stream.input_channels(), cout = stream.output_channels();
    rtconv::Tensor x({1, steps, cin}, dtype);
    std::normal_distribution<double> noise;
    for (std::size_t i = 0; i < x.size(); ++i) x.set_flat(i, noise(rng));
    const rtconv::Tensor whole = m.model(x);
    const std::size_t compared = reproducible_frames(m.model, steps);
    REQUIRE(compared <= whole.shape()[1]);

    const std::size_t max_block = std::uniform_int_distribution<std::size_t>(1, 96)(rng);
    stream.prepare({.sample_rate = 48000, .max_block_size = max_block, .channels = 1});
    const std::vector<T> out = stream_output<T>(rng, stream, std::vector<T>(x.data<T>(), x.data<T>() + x.size()),
                                               compared + stream.latency(), max_block);
    double worst = 0.0;
    for (std::size_t j = 0; j < compared; ++j)
        for (std::size_t c = 0; c < cout; ++c) {
            const double ref = whole.flat(j * cout + c);
            const double got = out[(j + stream.latency()) * cout + c];
            worst = std::max(worst, std::abs(got - ref) / std::max(1.0, std::abs(ref)));
        }
    return worst;
}

} // namespace

TEST_CASE("streams of random models equal the whole-sequence run, any partition", "[stream][property]")
{
    std::mt19937 rng(20261128);
    for (const std::string& arch : rtconv::available_kernel_archs()) {
        rtconv::select_kernel_arch(arch);
        for (int trial = 0; trial < 100; ++trial) {
            INFO("arch " << arch << ", trial " << trial);
            const bool f64 = trial % 3 == 0;
            RandomModel m = random_model(rng, f64 ? "float64" : "float32");
            const std::size_t steps = m.min_steps + std::uniform_int_distribution<std::size_t>(0, 400)(rng);
            if (f64) CHECK(worst_stream_error<double>(rng, m, steps) <= 1e-12);
            else CHECK(worst_stream_error<float>(rng, m, steps) <= 1e-5);
        }
    }
}

TEST_CASE("a strided same layer streams Keras' split for lengths that are multiples of its stride", "[stream]")
{
    std::mt19937 rng(7);
    for (int stride : {2, 3})
        for (int k : {1, 2, 3, 4, 5}) {
            INFO("stride " << stride << ", kernel " << k);
            RandomModel m;
            m.model.set_input_shape({1, std::nullopt, 2});
            m.model.add(rtconv::Conv1D({.filters = 3, .kernel_size = k, .strides = stride, .padding = "same",
                                        .activation = "tanh", .bias_initializer = "random_normal"}));
            CHECK(worst_stream_error<float>(rng, m, static_cast<std::size_t>(stride) * 37) <= 1e-5);
        }
}

TEST_CASE("one long run keeps ring indices exact", "[stream][long]")
{
    // 10^6 frames through a dilated stack: a drifting ring position would show up as an error.
    std::mt19937 rng(99);
    rtconv::Sequential model;
    model.set_input_shape({1, std::nullopt, 2});
    for (int d : {1, 3, 16, 129})
        model.add(rtconv::Conv1D({.filters = 2, .kernel_size = 3, .padding = "causal", .dilation_rate = d,
                                  .activation = "tanh", .bias_initializer = "random_normal", .dtype = "float64"}));
    RandomModel m{std::move(model)};
    CHECK(worst_stream_error<double>(rng, m, 1000000) <= 1e-12);
}

TEST_CASE("latency, receptive field and state size of a stream", "[stream]")
{
    rtconv::Sequential model;
    model.set_input_shape({1, std::nullopt, 2});
    model.add(rtconv::Conv1D({.filters = 4, .kernel_size = 3, .padding = "causal", .dilation_rate = 4}));
    model.add(rtconv::Conv1D({.filters = 4, .kernel_size = 4, .padding = "same", .dilation_rate = 2}));
    model.add(rtconv::Conv1D({.filters = 1, .kernel_size = 2, .padding = "valid"}));
    rtconv::ModelStream stream(model);
    CHECK(stream.latency() == 0 + (6 - 3) + 1);          // same: right padding of a span of 6; valid: its span
    CHECK(stream.receptive_field() == 1 + 8 + 6 + 1);
    CHECK(stream.state_values() == 8 * 2 + 6 * 4 + 1 * 4); // sum of (k-1)*d*in_channels
    CHECK(stream.allocated_state_values() == 0);
}

TEST_CASE("a stream's state memory stays within 25% of sum (k-1)*d*C", "[stream]")
{
    rtconv::Sequential model;
    model.set_input_shape({1, std::nullopt, 16});
    for (int d = 1; d <= 512; d *= 2)
        model.add(rtconv::Conv1D({.filters = 16, .kernel_size = 3, .padding = "causal", .dilation_rate = d}));
    rtconv::ModelStream stream(model);
    stream.prepare({.max_block_size = 64});
    CHECK(stream.state_values() == 2 * 1023 * 16);
    CHECK(stream.allocated_state_values() >= stream.state_values());
    CHECK(stream.allocated_state_values() <= stream.state_values() * 5 / 4);
}

TEST_CASE("reset() mid-stream reproduces a fresh stream", "[stream]")
{
    rtconv::Sequential model;
    model.set_input_shape({1, std::nullopt, 1});
    model.add(rtconv::Conv1D({.filters = 3, .kernel_size = 3, .padding = "causal", .dilation_rate = 5,
                              .activation = "tanh", .bias_initializer = "random_normal"}));
    model.add(rtconv::Conv1D({.filters = 1, .kernel_size = 2, .padding = "same"}));
    rtconv::ModelStream used(model), fresh(model);
    used.prepare({.max_block_size = 16});
    fresh.prepare({.max_block_size = 7});
    std::vector<float> x(100), a(100), b(100);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.3f * float(i));
    const float* in = x.data();
    float* out = a.data();
    used.process(&in, &out, 100);
    used.reset();
    used.process(&in, &out, 100);
    out = b.data();
    fresh.process(&in, &out, 100);
    CHECK(a == b);
}

TEST_CASE("NaN or infinity in a block silences that block and the next clean block recovers", "[stream]")
{
    rtconv::Sequential model;
    model.set_input_shape({1, std::nullopt, 1});
    model.add(rtconv::Conv1D({.filters = 3, .kernel_size = 3, .padding = "causal", .dilation_rate = 5,
                              .activation = "exponential", .bias_initializer = "random_normal"}));
    model.add(rtconv::Conv1D({.filters = 1, .kernel_size = 2, .padding = "causal"}));
    std::vector<float> clean(48);
    for (std::size_t i = 0; i < clean.size(); ++i) clean[i] = 0.5f * std::sin(0.3f * float(i));
    // NaN and infinity arriving, and an overflow made inside (exp of a huge input).
    for (const float poison : {std::nanf(""), INFINITY, -INFINITY, 1e30f}) {
        INFO("poison " << poison);
        rtconv::ModelStream used(model), fresh(model);
        used.prepare({.max_block_size = 16});
        fresh.prepare({.max_block_size = 16});
        std::vector<float> bad = clean, out(48), expected(48);
        bad[20] = poison;
        const float* in = clean.data();
        float* y = out.data();
        used.process(&in, &y, 16); // a history worth keeping, then the bad block
        in = bad.data();
        for (std::size_t at = 0; at < 48; at += 16) {
            const float* block = bad.data() + at;
            y = out.data() + at;
            used.process(&block, &y, 16);
        }
        // Blocks [16, 32) hold the poison: silent. Then the stream is a fresh one from frame 32.
        for (std::size_t t = 16; t < 32; ++t) CHECK(out[t] == 0.0f);
        const float* rest = bad.data() + 32;
        y = expected.data();
        fresh.process(&rest, &y, 16);
        for (std::size_t t = 0; t < 16; ++t) CHECK(out[32 + t] == expected[t]);
        for (float v : out) CHECK(std::isfinite(v));
    }
}

TEST_CASE("prepare() again with another block size starts afresh and keeps working", "[stream]")
{
    rtconv::Sequential model;
    model.set_input_shape({1, std::nullopt, 2});
    model.add(rtconv::Conv1D({.filters = 3, .kernel_size = 3, .padding = "causal", .dilation_rate = 4,
                              .activation = "tanh", .bias_initializer = "random_normal"}));
    model.add(rtconv::Conv1DTranspose({.filters = 2, .kernel_size = 4, .strides = 2, .padding = "same",
                                       .bias_initializer = "random_normal"}));
    std::vector<float> x(2 * 300);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.05f * float(i)) + 0.1f * float(i % 7);
    const auto run = [&](rtconv::ModelStream& stream, std::size_t block) {
        std::vector<float> out(stream.max_output_frames(300) * 2), result;
        for (std::size_t at = 0; at < 300; at += block) {
            const float* in = x.data() + at * 2;
            float* o = out.data();
            const std::size_t m = stream.process(&in, &o, std::min(block, 300 - at));
            result.insert(result.end(), out.begin(), out.begin() + static_cast<std::ptrdiff_t>(m * 2));
        }
        return result;
    };
    rtconv::ModelStream reused(model), fresh(model);
    reused.prepare({.max_block_size = 64});
    run(reused, 64);
    reused.prepare({.max_block_size = 5}); // a new size, and the history starts from silence again
    fresh.prepare({.max_block_size = 300});
    CHECK(run(reused, 5) == run(fresh, 300));
}

TEST_CASE("each audio channel has its own state", "[stream]")
{
    rtconv::Sequential model;
    model.set_input_shape({1, std::nullopt, 1});
    model.add(rtconv::Conv1D({.filters = 2, .kernel_size = 3, .padding = "causal", .dilation_rate = 3,
                              .activation = "relu", .bias_initializer = "random_normal"}));
    std::vector<float> left(200), right(200);
    for (std::size_t i = 0; i < 200; ++i) {
        left[i] = std::sin(0.1f * float(i));
        right[i] = float(i % 5) - 2.f;
    }
    rtconv::ModelStream stereo(model), mono(model);
    stereo.prepare({.max_block_size = 16, .channels = 2});
    mono.prepare({.max_block_size = 16, .channels = 1});
    std::vector<float> out_left(400), out_right(400), expected_left(400), expected_right(400);
    for (std::size_t at = 0; at < 200; at += 16) {
        const std::size_t n = std::min<std::size_t>(16, 200 - at);
        const float* in[2] = {left.data() + at, right.data() + at};
        float* out[2] = {out_left.data() + at * 2, out_right.data() + at * 2};
        CHECK(stereo.process(in, out, n) == n);
    }
    for (auto [input, expected] : {std::pair{&left, &expected_left}, std::pair{&right, &expected_right}}) {
        mono.reset();
        const float* in = input->data();
        float* out = expected->data();
        mono.process(&in, &out, 200);
    }
    CHECK(out_left == expected_left);
    CHECK(out_right == expected_right);
    CHECK(out_left != out_right);
}

TEST_CASE("streams refuse what needs the whole sequence, naming the layer", "[stream][errors]")
{
    rtconv::Sequential model;
    model.set_input_shape({1, 2, std::nullopt});
    model.add(rtconv::Conv1D({.filters = 1, .kernel_size = 2, .data_format = "channels_first",
                              .activation = "softmax", .name = "over_time"}));
    CHECK_THROWS_WITH(rtconv::ModelStream(model), Catch::Matchers::Contains("over_time") &&
                                                      Catch::Matchers::Contains("needs the whole sequence"));

    // process() must not throw: glu's odd channel count is refused up front.
    rtconv::Sequential odd;
    odd.set_input_shape({1, std::nullopt, 1});
    odd.add(rtconv::Conv1D({.filters = 3, .kernel_size = 1, .activation = "glu", .name = "odd_glu"}));
    CHECK_THROWS_WITH(rtconv::ModelStream(odd), Catch::Matchers::Contains("odd_glu") &&
                                                    Catch::Matchers::Contains("even number of channels"));
}

TEST_CASE("rates and latency through decimators and upsamplers", "[stream]")
{
    rtconv::Sequential model;
    model.set_input_shape({1, std::nullopt, 1});
    model.add(rtconv::Conv1D({.filters = 2, .kernel_size = 4, .strides = 2, .padding = "valid"}));
    model.add(rtconv::Conv1DTranspose({.filters = 1, .kernel_size = 3, .strides = 3, .padding = "same"}));
    rtconv::ModelStream stream(model);
    CHECK(stream.rate_up() == 3);
    CHECK(stream.rate_down() == 2);
    // valid k4 s2: output j is ready at input frame 2j + 3, so one decimated frame early (phase 1).
    // same transpose k3 s3: out length 3L, nothing cropped; delay 1 * 3 frames.
    CHECK(stream.latency() == 3);
    stream.prepare({.max_block_size = 5});
    CHECK(stream.max_output_frames(5) == 9);  // ceil(5 / 2) * 3
    CHECK(stream.max_output_frames(10) == 18); // split into two blocks of 5
}
