// WaveNet models against the software they came from: NAM core's and WaveNetVA's own renders
// (tests/fixtures/reference, see its README), streamed at block 64 and at random block sizes,
// and whole-sequence. Bounds from the issue: max |error| <= 1e-4 and error-to-signal ratio
// <= -80 dB in float32.
#include "rtconv/model_file.hpp"
#include "rtconv/stream.hpp"
#include "rtconv/wavenet.hpp"
#include "mono_stream.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <sndfile.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace {

const std::string kFixtures = RTCONV_FIXTURES_DIR;
const std::string kExamples = RTCONV_EXAMPLES_DIR;

std::vector<float> read_mono_wav(const std::string& path)
{
    SF_INFO info{};
    SNDFILE* file = sf_open(path.c_str(), SFM_READ, &info);
    REQUIRE(file != nullptr);
    REQUIRE(info.channels == 1);
    std::vector<float> samples(static_cast<std::size_t>(info.frames));
    REQUIRE(sf_readf_float(file, samples.data(), info.frames) == info.frames);
    sf_close(file);
    return samples;
}

struct Match {
    double max_abs_error = 0.0;
    double esr_db = 0.0;
};

Match compare(const std::vector<float>& y, const std::vector<float>& reference)
{
    REQUIRE(y.size() == reference.size());
    double error = 0.0, signal = 0.0;
    Match m;
    for (std::size_t i = 0; i < y.size(); ++i) {
        const double e = double(y[i]) - double(reference[i]);
        error += e * e;
        signal += double(reference[i]) * double(reference[i]);
        m.max_abs_error = std::max(m.max_abs_error, std::abs(e));
    }
    m.esr_db = 10.0 * std::log10(error / signal);
    return m;
}

void require_match(const std::vector<float>& y, const std::vector<float>& reference)
{
    const Match m = compare(y, reference);
    INFO("max abs error " << m.max_abs_error << ", ESR " << m.esr_db << " dB");
    CHECK(m.max_abs_error <= 1e-4);
    CHECK(m.esr_db <= -80.0);
}

std::vector<float> stream_blocks_of(const rtconv::Sequential& model, const std::vector<float>& x, bool prewarm,
                                    std::size_t block)
{
    return rtconv_test::stream_mono(model, x, prewarm, block, [block] { return block; });
}

std::vector<float> stream_random_blocks(const rtconv::Sequential& model, const std::vector<float>& x, bool prewarm)
{
    std::mt19937 rng(2026);
    std::uniform_int_distribution<std::size_t> size(1, 700); // past max_block_size too
    return rtconv_test::stream_mono(model, x, prewarm, 512, [&] { return size(rng); });
}

std::vector<float> whole_sequence(rtconv::Sequential& model, const std::vector<float>& x)
{
    rtconv::Tensor input({1, x.size(), 1}, std::vector<float>(x));
    const rtconv::Tensor y = model(input);
    const auto values = y.values<float>();
    return {values.begin(), values.end()};
}

struct Reference {
    std::string model, input, output;
    bool prewarm;
};

} // namespace

TEST_CASE("NAM models match NAM core's renders", "[wavenet][nam]")
{
    const Reference cases[] = {
        {"nam/wavenet_a1_standard.nam", "input.wav", "nam/wavenet_a1_standard__input__b64_prewarm.wav", true},
        {"nam/wavenet_a1_standard.nam", "input.wav", "nam/wavenet_a1_standard__input__b64_noprewarm.wav", false},
        {"nam/wavenet.nam", "input.wav", "nam/wavenet__input__b64_prewarm.wav", true},
    };
    for (const auto& c : cases) {
        DYNAMIC_SECTION(c.output)
        {
            rtconv::Sequential model = rtconv::load_model(kExamples + "/models/" + c.model);
            CHECK(model.metadata().format == "nam");
            CHECK(model.metadata().prewarm);
            REQUIRE(model.metadata().sample_rate == 48000.0);
            const auto x = read_mono_wav(kExamples + "/audio/" + c.input);
            const auto reference = read_mono_wav(kFixtures + "/reference/" + c.output);
            SECTION("block 64") { require_match(stream_blocks_of(model, x, c.prewarm, 64), reference); }
            SECTION("block 1") { require_match(stream_blocks_of(model, x, c.prewarm, 1), reference); }
            SECTION("random blocks") { require_match(stream_random_blocks(model, x, c.prewarm), reference); }
            if (!c.prewarm)
                SECTION("whole sequence") { require_match(whole_sequence(model, x), reference); }
        }
    }
}

TEST_CASE("A prewarmed NAM model starts in the steady state of silence", "[wavenet][nam]")
{
    // NAM's documented constant output for silence after prewarm (tests/fixtures/reference/README.md).
    const rtconv::Sequential model = rtconv::load_model(kExamples + "/models/nam/wavenet_a1_standard.nam");
    const std::vector<float> silence(256, 0.0f);
    const auto y = stream_blocks_of(model, silence, true, 64);
    for (float v : y) REQUIRE(v == Approx(-1.194319e-3).margin(1e-6));
}

TEST_CASE("WaveNetVA models match WaveNetVA's renders", "[wavenet][wavenetva]")
{
    for (const char* name : {"WaveNet1-ds1", "WaveNet2-muff", "WaveNet3-ts7"}) {
        DYNAMIC_SECTION(name)
        {
            rtconv::Sequential model = rtconv::load_model(kExamples + "/models/wavenetva/" + std::string(name) + ".json");
            CHECK(model.metadata().format == "wavenetva");
            CHECK(model.metadata().sample_rate == 44100.0);
            const auto x = read_mono_wav(kExamples + "/audio/sweep_2s_44k1.wav");
            const auto reference =
                read_mono_wav(kFixtures + "/reference/wavenetva/" + std::string(name) + "__sweep_2s_44k1__b64.wav");
            SECTION("block 64") { require_match(stream_blocks_of(model, x, false, 64), reference); }
            SECTION("block 3") { require_match(stream_blocks_of(model, x, false, 3), reference); }
            SECTION("random blocks") { require_match(stream_random_blocks(model, x, false), reference); }
            SECTION("whole sequence") { require_match(whole_sequence(model, x), reference); }
        }
    }
}

TEST_CASE("WaveNets saved as native JSON load back to the same sound", "[wavenet][nam][wavenetva]")
{
    const Reference cases[] = {
        {"nam/wavenet_a1_standard.nam", "input.wav", "nam/wavenet_a1_standard__input__b64_prewarm.wav", true},
        {"wavenetva/WaveNet1-ds1.json", "sweep_2s_44k1.wav", "wavenetva/WaveNet1-ds1__sweep_2s_44k1__b64.wav", false},
    };
    for (const auto& c : cases) {
        DYNAMIC_SECTION(c.model)
        {
            const rtconv::Sequential original = rtconv::load_model(kExamples + "/models/" + c.model);
            const rtconv_test::TempDir dir("wavenet-native");
            const auto path = dir / "native.json";
            rtconv::save_model(original, path);
            const rtconv::Sequential native = rtconv::load_model(path);
            CHECK(native.metadata().format == "keras");
            CHECK(native.metadata().sample_rate == original.metadata().sample_rate);
            CHECK(native.metadata().prewarm == c.prewarm);
            const auto x = read_mono_wav(kExamples + "/audio/" + c.input);
            const auto reference = read_mono_wav(kFixtures + "/reference/" + c.output);
            require_match(stream_blocks_of(native, x, c.prewarm, 64), reference);
        }
    }
}
