// `rtconv render` run as a separate process over audio files written here with libsndfile: outputs
// checked against values worked out by hand, alignment, formats, resampling and errors.
#ifdef RTCONV_CLI_PATH

#include "cli_process.hpp"

#include <nlohmann/json.hpp>
#include <sndfile.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <optional>
#include <string>
#include <vector>

using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
using Catch::Matchers::StartsWith;
using nlohmann::json;
using rtconv_test::check_one_line_error;
using rtconv_test::CliResult;
using rtconv_test::rtconv_cli;
using rtconv_test::TempDir;

namespace {

// --- audio files -------------------------------------------------------------------------------

struct Sound {
    std::vector<float> samples; ///< frames of interleaved channels
    int channels = 1;
    int sample_rate = 48000;
    int format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
    std::size_t frames() const { return samples.size() / static_cast<std::size_t>(channels); }
    float at(std::size_t frame, int channel) const { return samples[frame * channels + channel]; }
};

std::string write_sound(const TempDir& dir, const std::string& name, const Sound& sound)
{
    const auto path = (dir / name).string();
    SF_INFO info{};
    info.channels = sound.channels;
    info.samplerate = sound.sample_rate;
    info.format = sound.format;
    SNDFILE* file = sf_open(path.c_str(), SFM_WRITE, &info);
    REQUIRE(file);
    REQUIRE(sf_writef_float(file, sound.samples.data(), sf_count_t(sound.frames())) == sf_count_t(sound.frames()));
    sf_close(file);
    return path;
}

Sound read_sound(const std::string& path)
{
    SF_INFO info{};
    SNDFILE* file = sf_open(path.c_str(), SFM_READ, &info);
    REQUIRE(file);
    Sound sound{std::vector<float>(std::size_t(info.frames) * std::size_t(info.channels)), info.channels,
                info.samplerate, info.format};
    REQUIRE(sf_readf_float(file, sound.samples.data(), info.frames) == info.frames);
    sf_close(file);
    return sound;
}

/// Values that float sums and products keep exact: multiples of 1/16 in [-0.5, 0.5].
std::vector<float> exact_signal(std::size_t frames, int seed)
{
    std::vector<float> x(frames);
    for (std::size_t t = 0; t < frames; ++t) x[t] = float(int((t * 37 + std::size_t(seed) * 11) % 17) - 8) / 16.f;
    return x;
}

/// Channels side by side as frames.
Sound interleaved(const std::vector<std::vector<float>>& channels, int sample_rate = 48000,
                  int format = SF_FORMAT_WAV | SF_FORMAT_FLOAT)
{
    Sound sound{{}, int(channels.size()), sample_rate, format};
    for (std::size_t t = 0; t < channels.front().size(); ++t)
        for (const auto& channel : channels) sound.samples.push_back(channel[t]);
    return sound;
}

std::vector<float> channel_of(const Sound& sound, int channel)
{
    std::vector<float> x(sound.frames());
    for (std::size_t t = 0; t < x.size(); ++t) x[t] = sound.at(t, channel);
    return x;
}

void check_close(const std::vector<float>& got, const std::vector<float>& expected, double tolerance = 1e-6)
{
    REQUIRE(got.size() == expected.size());
    for (std::size_t t = 0; t < got.size(); ++t) {
        INFO("frame " << t);
        CHECK(got[t] == Approx(expected[t]).margin(tolerance));
    }
}

// --- model files -------------------------------------------------------------------------------

struct ConvLayer {
    int filters = 1;
    int kernel_size = 1;
    std::string padding = "causal";
    json kernel;        ///< (kernel_size, in_channels, filters)
    json bias = nullptr; ///< (filters,), or null for no bias
    int dilation_rate = 1;
    int strides = 1;
    std::string activation = "linear";
};

/// A native model file of Conv1D layers; `metadata` becomes the file's top-level "metadata".
std::string write_model(const TempDir& dir, const std::string& name, int input_channels,
                        const std::vector<ConvLayer>& layers, const json& metadata = nullptr)
{
    json list = json::array({{{"class_name", "InputLayer"},
                              {"config", {{"batch_input_shape", {nullptr, nullptr, input_channels}}}}}});
    json weights = json::object();
    for (std::size_t i = 0; i < layers.size(); ++i) {
        const ConvLayer& l = layers[i];
        const std::string layer_name = "conv" + std::to_string(i);
        list.push_back({{"class_name", "Conv1D"},
                        {"config",
                         {{"name", layer_name},
                          {"filters", l.filters},
                          {"kernel_size", {l.kernel_size}},
                          {"strides", {l.strides}},
                          {"padding", l.padding},
                          {"dilation_rate", {l.dilation_rate}},
                          {"activation", l.activation},
                          {"use_bias", !l.bias.is_null()}}}});
        weights[layer_name] = l.bias.is_null() ? json::array({l.kernel}) : json::array({l.kernel, l.bias});
    }
    json document = {{"class_name", "Sequential"}, {"config", {{"name", name}, {"layers", list}}}, {"weights", weights}};
    if (!metadata.is_null()) document["metadata"] = metadata;
    return dir.write(name + ".json", document.dump()).string();
}

// y[t] = 0.5 x[t-1] + 0.25 x[t]
const ConvLayer causal_layer{.kernel_size = 2, .kernel = {{{0.5}}, {{0.25}}}};
std::vector<float> causal_output(const std::vector<float>& x)
{
    std::vector<float> y(x.size());
    for (std::size_t t = 0; t < x.size(); ++t) y[t] = 0.25f * x[t] + (t > 0 ? 0.5f * x[t - 1] : 0.f);
    return y;
}

const ConvLayer identity_layer{.kernel = {{{1.0}}}};

/// A deterministic kernel of the given shape, weights spread over [-0.4, 0.4].
json spread_kernel(int k, int in, int out, double phase)
{
    json kernel = json::array();
    int i = 0;
    for (int a = 0; a < k; ++a) {
        json rows = json::array();
        for (int b = 0; b < in; ++b) {
            json row = json::array();
            for (int c = 0; c < out; ++c) row.push_back(0.4 * std::sin(1.7 * ++i + phase));
            rows.push_back(row);
        }
        kernel.push_back(rows);
    }
    return kernel;
}

std::vector<std::string> render_call(const std::string& model, const std::string& in, const std::string& out,
                                     const std::vector<std::string>& options = {})
{
    std::vector<std::string> call{"render", model, in, out};
    call.insert(call.end(), options.begin(), options.end());
    return call;
}

/// Renders and reads OUT back, requiring success with nothing on stderr.
Sound render(const TempDir& dir, const std::string& model, const std::string& in,
             const std::vector<std::string>& options = {}, const std::string& out_name = "out.wav")
{
    const auto out = (dir / out_name).string();
    const CliResult r = rtconv_cli(dir, render_call(model, in, out, options));
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(r.err.empty());
    return read_sound(out);
}

const std::vector<std::vector<std::string>> every_schedule = {
    {"--block", "1"}, {}, {"--block", "61"}, {"--block", "4096"}, {"--whole"}};

std::string joined(const std::vector<std::string>& words)
{
    std::string text;
    for (const auto& w : words) text += w + " ";
    return text;
}

} // namespace

TEST_CASE("render: help", "[cli][render]")
{
    const TempDir dir("render");
    const CliResult r = rtconv_cli(dir, {"render", "--help"});
    CHECK(r.status == 0);
    CHECK_THAT(r.out, StartsWith("usage: rtconv render MODEL IN OUT") && Contains("--whole") &&
                          Contains("--no-prewarm") && Contains("--float"));
    CHECK_THAT(rtconv_cli(dir, {"--help"}).out, Contains("rtconv render MODEL IN OUT"));
}

TEST_CASE("render: a mono causal model gives the hand-derived output for every block size", "[cli][render]")
{
    const TempDir dir("render");
    const auto model = write_model(dir, "causal", 1, {causal_layer});
    const std::vector<float> x = exact_signal(300, 0);
    const auto in = write_sound(dir, "in.wav", interleaved({x}));
    for (const auto& options : every_schedule) {
        INFO(joined(options));
        const Sound y = render(dir, model, in, options);
        CHECK(y.channels == 1);
        CHECK(y.sample_rate == 48000);
        check_close(y.samples, causal_output(x), 0.0);
    }
}

TEST_CASE("render: the report line gives frames, duration, wall time, real-time factor and ns/sample", "[cli][render]")
{
    const TempDir dir("render");
    const auto in = write_sound(dir, "in.wav", interleaved({exact_signal(4800, 0), exact_signal(4800, 1)}));
    const CliResult r = rtconv_cli(dir, render_call(write_model(dir, "causal", 1, {causal_layer}), in,
                                                    (dir / "out.wav").string()));
    REQUIRE(r.status == 0);
    CHECK(r.err.empty());
    CHECK_THAT(r.out, StartsWith("rendered 4800 frames x 2 channels (0.100 s at 48000 Hz) -> ") &&
                          Contains("out.wav in ") && Contains("x real time, ") && EndsWith(" ns/sample\n"));
    CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 1);
}

TEST_CASE("render: a same-padded model comes out aligned with the input, latency compensated", "[cli][render]")
{
    const TempDir dir("render");
    // y[t] = 0.25 x[t-1] + 0.5 x[t] + 0.125 x[t+1]: the stream needs one frame of look-ahead.
    const auto model = write_model(dir, "same", 1, {{.kernel_size = 3, .padding = "same", .kernel = {{{0.25}}, {{0.5}}, {{0.125}}}}});
    const std::vector<float> x = exact_signal(257, 3);
    std::vector<float> expected(x.size());
    for (std::size_t t = 0; t < x.size(); ++t)
        expected[t] = 0.5f * x[t] + (t > 0 ? 0.25f * x[t - 1] : 0.f) + (t + 1 < x.size() ? 0.125f * x[t + 1] : 0.f);
    const auto in = write_sound(dir, "in.wav", interleaved({x}));
    for (const auto& options : every_schedule) {
        INFO(joined(options));
        check_close(render(dir, model, in, options).samples, expected, 0.0);
    }
}

TEST_CASE("render: each channel of a stereo file keeps its own state", "[cli][render]")
{
    const TempDir dir("render");
    const auto model = write_model(dir, "causal", 1, {causal_layer});
    const std::vector<float> left = exact_signal(199, 1), right = exact_signal(199, 5);
    const auto in = write_sound(dir, "in.wav", interleaved({left, right}));
    for (const auto& options : every_schedule) {
        INFO(joined(options));
        const Sound y = render(dir, model, in, options);
        REQUIRE(y.channels == 2);
        check_close(channel_of(y, 0), causal_output(left), 0.0);
        check_close(channel_of(y, 1), causal_output(right), 0.0);
    }
}

TEST_CASE("render: output channels are the file's channels times the model's", "[cli][render]")
{
    const TempDir dir("render");
    // One input channel, two filters: (x, -0.5 x) for each channel of the file.
    const auto model = write_model(dir, "split", 1, {{.filters = 2, .kernel = {{{1.0, -0.5}}}}});
    const std::vector<float> left = exact_signal(50, 1), right = exact_signal(50, 2);
    const Sound y = render(dir, model, write_sound(dir, "in.wav", interleaved({left, right})));
    REQUIRE(y.channels == 4);
    const auto scaled = [](std::vector<float> x, float by) {
        for (float& v : x) v *= by;
        return x;
    };
    check_close(channel_of(y, 0), left, 0.0);
    check_close(channel_of(y, 1), scaled(left, -0.5f), 0.0);
    check_close(channel_of(y, 2), right, 0.0);
    check_close(channel_of(y, 3), scaled(right, -0.5f), 0.0);
}

TEST_CASE("render: a model with as many input channels as the file takes each frame as features", "[cli][render]")
{
    const TempDir dir("render");
    // y[t] = L[t] - 0.5 R[t-1] (causal, kernel 2, two input channels).
    const auto model = write_model(dir, "mix", 2, {{.kernel_size = 2, .kernel = {{{0.0}, {-0.5}}, {{1.0}, {0.0}}}}});
    const std::vector<float> left = exact_signal(130, 2), right = exact_signal(130, 7);
    std::vector<float> expected(left.size());
    for (std::size_t t = 0; t < left.size(); ++t) expected[t] = left[t] - (t > 0 ? 0.5f * right[t - 1] : 0.f);
    const auto in = write_sound(dir, "in.wav", interleaved({left, right}));
    for (const auto& options : every_schedule) {
        INFO(joined(options));
        const Sound y = render(dir, model, in, options);
        CHECK(y.channels == 1);
        check_close(y.samples, expected, 0.0);
    }
}

TEST_CASE("render: --whole equals streaming on a deep model with look-ahead, with and without prewarm", "[cli][render]")
{
    const TempDir dir("render");
    // Three layers, two of them `same` (the second one after the first: the case where a plain
    // whole-sequence run of the input alone would differ from the stream in the last frames).
    const auto model = write_model(dir, "deep", 1,
                                   {{.filters = 4, .kernel_size = 3, .padding = "same", .kernel = spread_kernel(3, 1, 4, 0.1),
                                     .bias = {0.1, -0.2, 0.3, 0.05}, .dilation_rate = 2, .activation = "tanh"},
                                    {.filters = 4, .kernel_size = 3, .padding = "same", .kernel = spread_kernel(3, 4, 4, 0.7),
                                     .bias = {0.2, 0.1, -0.1, 0.0}, .activation = "tanh"},
                                    {.filters = 1, .kernel_size = 2, .padding = "causal", .kernel = spread_kernel(2, 4, 1, 1.3),
                                     .bias = {0.25}}});
    std::vector<float> left(1000), right(1000);
    for (std::size_t t = 0; t < left.size(); ++t) {
        left[t] = float(0.6 * std::sin(0.031 * double(t)));
        right[t] = float(0.4 * std::sin(0.17 * double(t) + 1.0));
    }
    const auto in = write_sound(dir, "in.wav", interleaved({left, right}));
    for (const std::string prewarm : {"--prewarm", "--no-prewarm"}) {
        INFO(prewarm);
        const Sound whole = render(dir, model, in, {"--whole", prewarm});
        for (const std::string block : {"1", "64", "61"}) {
            INFO("--block " << block);
            const Sound streamed = render(dir, model, in, {"--block", block, prewarm});
            REQUIRE(streamed.channels == 2);
            check_close(streamed.samples, whole.samples, 1e-5);
        }
    }
    // Prewarm starts from the biases' steady state: the first frames differ, the late ones agree.
    const Sound cold = render(dir, model, in, {"--no-prewarm"}), warm = render(dir, model, in, {"--prewarm"});
    CHECK(std::abs(cold.samples[0] - warm.samples[0]) > 1e-3);
    CHECK(cold.samples.back() == Approx(warm.samples.back()).margin(1e-6));
}

TEST_CASE("render: prewarm settles the history into silence's steady state", "[cli][render]")
{
    const TempDir dir("render");
    // y1 = x + 1; y[t] = 0.5 y1[t-1] + 0.25 y1[t]. From zero history y[0] = 0.25 (x[0] + 1); in
    // the steady state of silence the history holds y1 = 1, so y[0] = 0.5 + 0.25 (x[0] + 1).
    const auto model = write_model(dir, "biased", 1, {{.kernel = {{{1.0}}}, .bias = {1.0}}, causal_layer});
    const std::vector<float> x = exact_signal(100, 4);
    std::vector<float> cold(x.size()), warm(x.size());
    for (std::size_t t = 0; t < x.size(); ++t) {
        cold[t] = 0.25f * (x[t] + 1.f) + (t > 0 ? 0.5f * (x[t - 1] + 1.f) : 0.f);
        warm[t] = 0.25f * (x[t] + 1.f) + 0.5f * (t > 0 ? x[t - 1] + 1.f : 1.f);
    }
    // The same model from a file that asks for prewarm, as a model converted from NAM does.
    const auto asks = write_model(dir, "asks", 1, {{.kernel = {{{1.0}}}, .bias = {1.0}}, causal_layer}, {{"prewarm", true}});
    const auto in = write_sound(dir, "in.wav", interleaved({x}));
    for (const std::string schedule : {"--whole", "--block=7"}) {
        INFO(schedule);
        check_close(render(dir, model, in, {schedule, "--prewarm"}).samples, warm, 0.0);
        check_close(render(dir, model, in, {schedule, "--no-prewarm"}).samples, cold, 0.0);
        check_close(render(dir, model, in, {schedule}).samples, cold, 0.0);
        check_close(render(dir, asks, in, {schedule}).samples, warm, 0.0);
        check_close(render(dir, asks, in, {schedule, "--no-prewarm"}).samples, cold, 0.0);
    }
}

TEST_CASE("render: a NAM model renders as NAM core does, prewarmed by default", "[cli][render][nam]")
{
    const TempDir dir("render");
    const std::string examples = RTCONV_EXAMPLES_DIR, references = std::string(RTCONV_FIXTURES_DIR) + "/reference/nam/";
    const auto model = examples + "/models/nam/wavenet_a1_standard.nam", in = examples + "/audio/input.wav";
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"--float"}, "wavenet_a1_standard__input__b64_prewarm.wav"},
        {{"--float", "--whole"}, "wavenet_a1_standard__input__b64_prewarm.wav"},
        {{"--float", "--no-prewarm", "--block", "61"}, "wavenet_a1_standard__input__b64_noprewarm.wav"},
    };
    for (const auto& [options, reference] : cases) {
        INFO(joined(options));
        check_close(render(dir, model, in, options).samples, read_sound(references + reference).samples, 1e-5);
    }
}

TEST_CASE("render: a strided model halves the length and the sample rate", "[cli][render]")
{
    const TempDir dir("render");
    // y[j] = 0.5 x[2j] + 0.25 x[2j+1]; 11 frames give 6, the last reading one frame of silence.
    const auto model = write_model(dir, "strided", 1,
                                   {{.kernel_size = 2, .padding = "valid", .kernel = {{{0.5}}, {{0.25}}}, .strides = 2}});
    const std::vector<float> x = exact_signal(11, 6);
    std::vector<float> expected(6);
    for (std::size_t j = 0; j < expected.size(); ++j) expected[j] = 0.5f * x[2 * j] + (2 * j + 1 < x.size() ? 0.25f * x[2 * j + 1] : 0.f);
    const auto in = write_sound(dir, "in.wav", interleaved({x}));
    for (const auto& options : every_schedule) {
        INFO(joined(options));
        const Sound y = render(dir, model, in, options);
        CHECK(y.sample_rate == 24000);
        check_close(y.samples, expected, 0.0);
    }
}

TEST_CASE("render: the output keeps the input's format unless asked otherwise", "[cli][render]")
{
    const TempDir dir("render");
    const auto model = write_model(dir, "identity", 1, {identity_layer});
    // 24-bit values, scaled as libsndfile reads them (full scale 1).
    std::vector<float> x(200);
    for (std::size_t t = 0; t < x.size(); ++t) x[t] = float(int((t * 7919) % 16000001) - 8000000) / 8388608.f;

    SECTION("PCM_24 WAV in, PCM_24 WAV out, bit for bit")
    {
        const Sound y = render(dir, model, write_sound(dir, "in.wav", interleaved({x, x}, 44100, SF_FORMAT_WAV | SF_FORMAT_PCM_24)));
        CHECK(y.format == (SF_FORMAT_WAV | SF_FORMAT_PCM_24));
        CHECK(y.sample_rate == 44100);
        check_close(channel_of(y, 1), x, 0.0);
    }
    SECTION("AIFF and FLAC stay AIFF and FLAC")
    {
        for (const int format : {SF_FORMAT_AIFF | SF_FORMAT_PCM_16, SF_FORMAT_FLAC | SF_FORMAT_PCM_24}) {
            const Sound y = render(dir, model, write_sound(dir, "in.audio", interleaved({x}, 48000, format)), {}, "out.audio");
            CHECK(y.format == format);
        }
    }
    SECTION("--float writes 32-bit float, which keeps values beyond full scale")
    {
        const auto big = write_model(dir, "gain", 1, {{.kernel = {{{4.0}}}}});
        const auto in = write_sound(dir, "in.wav", interleaved({x}, 48000, SF_FORMAT_WAV | SF_FORMAT_PCM_24));
        const Sound y = render(dir, big, in, {"--float"});
        CHECK(y.format == (SF_FORMAT_WAV | SF_FORMAT_FLOAT));
        std::vector<float> expected = x;
        for (float& v : expected) v *= 4.f;
        check_close(y.samples, expected, 0.0);

        // Without it, PCM saturates at full scale and says so.
        const CliResult r = rtconv_cli(dir, render_call(big, in, (dir / "clipped.wav").string()));
        REQUIRE(r.status == 0);
        CHECK_THAT(r.err, StartsWith("rtconv: warning: ") && Contains("clipped") && Contains("--float"));
        const Sound clipped = read_sound((dir / "clipped.wav").string());
        CHECK(*std::max_element(clipped.samples.begin(), clipped.samples.end()) <= 1.f);
        CHECK(*std::min_element(clipped.samples.begin(), clipped.samples.end()) == -1.f);
    }
    SECTION("an extension naming another container switches to it, with the same sample format")
    {
        const auto in = write_sound(dir, "in.wav", interleaved({x}, 48000, SF_FORMAT_WAV | SF_FORMAT_PCM_16));
        CHECK(render(dir, model, in, {}, "out.flac").format == (SF_FORMAT_FLAC | SF_FORMAT_PCM_16));
        CHECK(render(dir, model, in, {"--float"}, "out.aiff").format == (SF_FORMAT_AIFF | SF_FORMAT_FLOAT));
    }
}

TEST_CASE("render: a file at another rate than the model's is resampled there and back", "[cli][render]")
{
    const TempDir dir("render");
    const auto model = write_model(dir, "identity48k", 1, {identity_layer}, {{"sample_rate", 48000}});
    // One second of a 1 kHz sine at 44.1 kHz, amplitude 0.5.
    std::vector<float> sine(44100);
    for (std::size_t t = 0; t < sine.size(); ++t) sine[t] = float(0.5 * std::sin(2.0 * std::numbers::pi * 1000.0 * double(t) / 44100.0));
    const auto in = write_sound(dir, "in.wav", interleaved({sine}, 44100));
    const auto out = (dir / "out.wav").string();
    for (const auto& options : std::vector<std::vector<std::string>>{{}, {"--whole"}}) {
        INFO(joined(options));
        const CliResult r = rtconv_cli(dir, render_call(model, in, out, options));
        REQUIRE(r.status == 0);
        CHECK(r.err == "rtconv: resampling 44100 Hz to the model's 48000 Hz and the output back\n");
        const Sound y = read_sound(out);
        CHECK(y.sample_rate == 44100);
        REQUIRE(y.frames() == sine.size());
        // Same frequency, amplitude and phase away from the edges, where the filters ring.
        double worst = 0.0;
        for (std::size_t t = 500; t + 500 < sine.size(); ++t) worst = std::max(worst, double(std::abs(y.samples[t] - sine[t])));
        CHECK(worst < 1e-3);
    }
    // A file at the model's rate is left alone.
    const auto at_rate = write_model(dir, "identity441", 1, {identity_layer}, {{"sample_rate", 44100}});
    check_close(render(dir, at_rate, in).samples, sine, 0.0);
}

TEST_CASE("render: wrong calls exit 2 with one line on stderr", "[cli][render]")
{
    const TempDir dir("render");
    const auto model = write_model(dir, "causal", 1, {causal_layer});
    const auto in = write_sound(dir, "in.wav", interleaved({exact_signal(10, 0)}));
    const auto out = (dir / "out.wav").string();
    struct Case {
        std::vector<std::string> call;
        std::string expected;
    };
    const std::vector<Case> cases = {
        {{"render", model, in}, "render takes MODEL, IN and OUT"},
        {render_call(model, in, out, {"--block", "0"}), "--block must be a whole number of frames"},
        {render_call(model, in, out, {"--block", "8", "--whole"}), "--whole does not stream"},
        {render_call(model, in, out, {"--prewarm", "--no-prewarm"}), "not both"},
        {render_call(model, in, out, {"--gain", "2"}), "unknown option '--gain'"},
        {render_call(model, in, in), "OUT is the same file as IN"},
    };
    for (const auto& c : cases) {
        INFO(joined(c.call));
        const CliResult r = rtconv_cli(dir, c.call);
        CHECK(r.status == 2);
        check_one_line_error(r);
        CHECK_THAT(r.err, Contains(c.expected));
    }
    CHECK_FALSE(std::filesystem::exists(out));
    CHECK(read_sound(in).frames() == 10);
}

TEST_CASE("render: failures exit 1 with one line naming the file, leaving no output", "[cli][render]")
{
    const TempDir dir("render");
    const auto model = write_model(dir, "causal", 1, {causal_layer});
    const auto two_inputs = write_model(dir, "two_inputs", 2, {{.filters = 1, .kernel = {{{1.0}, {1.0}}}}});
    const auto mono = write_sound(dir, "mono.wav", interleaved({exact_signal(10, 0)}));
    const auto three = write_sound(dir, "three.wav", interleaved({exact_signal(10, 0), exact_signal(10, 1), exact_signal(10, 2)}));
    const auto float_wav = write_sound(dir, "float.wav", interleaved({exact_signal(10, 0)}));
    const auto text = dir.write("text.wav", "this is not audio").string();
    const auto out = (dir / "out.wav").string();
    struct Case {
        std::vector<std::string> call;
        std::string expected;
    };
    const std::vector<Case> cases = {
        {render_call((dir / "absent.json").string(), mono, out), "absent.json"},
        {render_call(model, (dir / "absent.wav").string(), out), "absent.wav: cannot read audio"},
        {render_call(model, text, out), "text.wav: cannot read audio"},
        {render_call(two_inputs, three, out), "three.wav has 3 channels; the model takes 2 input channels"},
        {render_call(two_inputs, mono, out), "mono.wav has 1 channel; the model takes 2 input channels"},
        {render_call(model, mono, (dir / "no_dir" / "out.wav").string()), "out.wav: cannot write audio"},
        {render_call(model, float_wav, (dir / "out.flac").string()), "out.flac: libsndfile cannot write FLAC"},
    };
    for (const auto& c : cases) {
        INFO(joined(c.call));
        const CliResult r = rtconv_cli(dir, c.call);
        CHECK(r.status == 1);
        check_one_line_error(r);
        CHECK_THAT(r.err, Contains(c.expected));
    }
    CHECK_FALSE(std::filesystem::exists(out));
    CHECK_FALSE(std::filesystem::exists(dir / "out.flac"));
}

#endif // RTCONV_CLI_PATH
