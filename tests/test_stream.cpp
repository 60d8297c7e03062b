// The equivalence contract (DESIGN §4): a stream fed x then latency() zeros, in any block
// partition, reproduces the whole-sequence output delayed by latency().
#include "rtconv/conv1d.hpp"
#include "rtconv/cpu.hpp"
#include "rtconv/stream.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>

namespace {

const char* const kPaddings[] = {"causal", "same", "valid"};
const char* const kActivations[] = {"linear", "tanh", "relu", "sigmoid", "elu", "gelu", "softsign", "silu"};

struct RandomModel {
    rtconv::Sequential model;
    std::size_t tail = 0; ///< final outputs that see past the input's end through a later `same` layer
    std::size_t min_steps = 1; ///< shortest input every `valid` layer accepts
};

RandomModel random_model(std::mt19937& rng, const std::string& dtype)
{
    RandomModel m;
    std::uniform_int_distribution<int> layers(1, 5), channels(1, 6), kernel(1, 4), dilation_pick(0, 3),
        pad(0, 2), act(0, 7);
    const int depth = layers(rng);
    int in = channels(rng);
    rtconv::TensorShape shape{1, std::nullopt, in};
    for (int i = 0; i < depth; ++i) {
        const int groups = (in % 2 == 0 && rng() % 3 == 0) ? 2 : 1;
        const int filters = groups * channels(rng);
        const int k = kernel(rng), d = std::array<int, 4>{1, 2, 3, 7}[dilation_pick(rng)];
        const std::string padding = kPaddings[pad(rng)];
        rtconv::Conv1D conv({.filters = filters, .kernel_size = k, .padding = padding, .dilation_rate = d,
                             .groups = groups, .activation = kActivations[act(rng)],
                             .bias_initializer = "random_normal", .dtype = dtype});
        conv.build(shape);
        shape = conv.compute_output_shape(shape);
        if (i > 0 && padding == "same") m.tail += ((k - 1) * d) - ((k - 1) * d) / 2;
        if (padding == "valid") m.min_steps += (k - 1) * d;
        m.model.add(std::move(conv));
        in = filters;
    }
    return m;
}

template <class T> std::vector<std::size_t> random_partition(std::mt19937& rng, std::size_t total, std::size_t max_block)
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

template <class T> double worst_stream_error(std::mt19937& rng, RandomModel& m, std::size_t steps)
{
    const auto dtype = std::is_same_v<T, float> ? rtconv::DType::float32 : rtconv::DType::float64;
    rtconv::BasicModelStream<T> stream(m.model);
    const std::size_t cin = stream.input_channels(), cout = stream.output_channels();
    rtconv::Tensor x({1, steps, cin}, dtype);
    std::normal_distribution<double> noise;
    for (std::size_t i = 0; i < x.size(); ++i) x.set_flat(i, noise(rng));
    const rtconv::Tensor whole = m.model(x);
    const std::size_t whole_steps = whole.shape()[1];

    const std::size_t max_block = std::uniform_int_distribution<std::size_t>(1, 96)(rng);
    stream.prepare({.sample_rate = 48000, .max_block_size = max_block, .channels = 1});
    const std::size_t total = steps + stream.latency();
    std::vector<T> in(total * cin, T(0)), out(total * cout, T(0));
    std::copy(x.data<T>(), x.data<T>() + x.size(), in.begin());
    std::size_t at = 0;
    for (std::size_t n : random_partition<T>(rng, total, max_block)) {
        const T* ip = in.data() + at * cin;
        T* op = out.data() + at * cout;
        stream.process(&ip, &op, n);
        at += n;
    }
    double worst = 0.0;
    const std::size_t compared = whole_steps > m.tail ? whole_steps - m.tail : 0;
    for (std::size_t j = 0; j < compared; ++j)
        for (std::size_t c = 0; c < cout; ++c) {
            const double ref = whole.flat(j * cout + c);
            const double got = out[(j + stream.latency()) * cout + c];
            worst = std::max(worst, std::abs(got - ref) / std::max(1.0, std::abs(ref)));
        }
    return worst;
}

} // namespace

TEST_CASE("streams of random stride-1 models equal the whole-sequence run, any partition", "[stream][property]")
{
    std::mt19937 rng(20261122);
    for (const std::string& arch : rtconv::available_kernel_archs()) {
        rtconv::select_kernel_arch(arch);
        for (int trial = 0; trial < 60; ++trial) {
            INFO("arch " << arch << ", trial " << trial);
            const bool f64 = trial % 3 == 0;
            RandomModel m = random_model(rng, f64 ? "float64" : "float32");
            const std::size_t steps = m.min_steps + std::uniform_int_distribution<std::size_t>(0, 400)(rng);
            if (f64) CHECK(worst_stream_error<double>(rng, m, steps) <= 1e-12);
            else CHECK(worst_stream_error<float>(rng, m, steps) <= 1e-5);
        }
    }
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

TEST_CASE("streams refuse what they cannot run yet, by layer", "[stream][errors]")
{
    rtconv::Sequential model;
    model.set_input_shape({1, std::nullopt, 1});
    model.add(rtconv::Conv1D({.filters = 1, .kernel_size = 2, .strides = 2, .name = "decimate"}));
    CHECK_THROWS_WITH(rtconv::ModelStream(model), Catch::Matchers::Contains("decimate") &&
                                                      Catch::Matchers::Contains("strided"));
}
