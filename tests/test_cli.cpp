// The `rtconv` command-line tool (DESIGN §5), run as a separate process: exit statuses, the
// one-line errors on stderr, and outputs checked against values worked out by hand.
#ifdef RTCONV_CLI_PATH

#include "cli_process.hpp"

#include <rtconv/npy.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

using rtconv::Shape;
using rtconv::Tensor;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using Catch::Matchers::EndsWith;

namespace {

using Result = rtconv_test::CliResult;
using rtconv_test::check_one_line_error;
using rtconv_test::rtconv_cli;

std::string examples(const std::string& name)
{
    return std::string(RTCONV_EXAMPLES_DIR) + "/" + name;
}

// One causal Conv1D, kernel 2: y[t] = 2 x[t-1] + x[t] + 0.5. Over [1, 2, 3]: 1.5, 4.5, 7.5.
const char* const tiny_model = R"({"module": "keras", "class_name": "Sequential",
  "config": {"name": "tiny", "layers": [
    {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, null, 1]}},
    {"module": "keras.layers", "class_name": "Conv1D",
     "config": {"name": "c", "filters": 1, "kernel_size": [2], "padding": "causal", "dtype": "float32"}}]},
  "weights": {"c": [[[[2.0]], [[1.0]]], [0.5]]}})";

// The same computation channels-first: input (batch, channels, steps).
const char* const tiny_channels_first_model = R"({"class_name": "Sequential",
  "config": {"name": "tiny_cf", "layers": [
    {"class_name": "Conv1D", "config": {"name": "c", "filters": 1, "kernel_size": [2], "padding": "causal",
      "data_format": "channels_first", "batch_input_shape": [null, 1, null]}}]},
  "weights": {"c": [[[[2.0]], [[1.0]]], [0.5]]}})";

// Conv1D k=3 s=2 (1 -> 4 channels), then Conv1DTranspose k=4 s=2 (4 -> 1 channel).
const char* const resampling_model = R"({"class_name": "Sequential",
  "config": {"name": "down_up", "layers": [
    {"class_name": "InputLayer", "config": {"batch_input_shape": [null, null, 1]}},
    {"class_name": "Conv1D", "config": {"name": "down", "filters": 4, "kernel_size": [3], "strides": [2]}},
    {"class_name": "Conv1DTranspose", "config": {"name": "up", "filters": 1, "kernel_size": [4], "strides": [2]}}]},
  "weights": {"down": [[[[0, 0, 0, 0]], [[0, 0, 0, 0]], [[0, 0, 0, 0]]], [0, 0, 0, 0]],
              "up": [[[[0, 0, 0, 0]], [[0, 0, 0, 0]], [[0, 0, 0, 0]], [[0, 0, 0, 0]]], [0]]}})";

// One strided Conv1D k=4 s=2, 2 -> 3 channels.
const char* const strided_model = R"({"class_name": "Sequential",
  "config": {"name": "strided", "layers": [
    {"class_name": "InputLayer", "config": {"batch_input_shape": [null, null, 2]}},
    {"class_name": "Conv1D", "config": {"name": "s", "filters": 3, "kernel_size": [4], "strides": [2], "use_bias": false}}]},
  "weights": {"s": [[[[0, 0, 0], [0, 0, 0]], [[0, 0, 0], [0, 0, 0]], [[0, 0, 0], [0, 0, 0]], [[0, 0, 0], [0, 0, 0]]]]}})";

} // namespace

TEST_CASE("cli: help", "[cli]")
{
    const rtconv_test::TempDir dir("cli");
    const Result top = rtconv_cli(dir, {"--help"});
    CHECK(top.status == 0);
    CHECK_THAT(top.out, Contains("rtconv run") && Contains("rtconv info"));
    CHECK(top.err.empty());

    const Result run = rtconv_cli(dir, {"run", "--help"});
    CHECK(run.status == 0);
    CHECK_THAT(run.out, Contains("--input") && Contains("--output") && Contains("--dtype"));

    const Result info = rtconv_cli(dir, {"info", "--help"});
    CHECK(info.status == 0);
    CHECK_THAT(info.out, StartsWith("usage: rtconv info MODEL"));
}

TEST_CASE("cli: wrong calls exit 2 with one line on stderr", "[cli]")
{
    const rtconv_test::TempDir dir("cli");
    const std::string model = examples("demo_causal_stack.json"), input = examples("demo_input.npy");
    const auto out = (dir / "y.npy").string();
    const std::vector<std::vector<std::string>> calls = {
        {},
        {"frobnicate"},
        {"run", model, "--input", input},
        {"run", model, "--output", out},
        {"run", "--input", input, "--output", out},
        {"run", model, "--input", input, "--output", out, "--dtype", "float16"},
        {"run", model, "--input", input, "--output", out, "--speed", "11"},
        {"run", model, "--input"},
        {"info"},
        {"info", model, model},
    };
    for (const auto& call : calls) {
        std::string joined;
        for (const auto& a : call) joined += a + " ";
        INFO("rtconv " << joined);
        const Result r = rtconv_cli(dir, call);
        CHECK(r.status == 2);
        check_one_line_error(r);
    }
    CHECK_THAT(rtconv_cli(dir, {"run", model, "--input", input}).err, Contains("--output is required"));
    CHECK_THAT(rtconv_cli(dir, {"run", model, "--input", input, "--output", out, "--dtype", "float16"}).err,
               Contains("float16"));
    CHECK_FALSE(std::filesystem::exists(dir / "y.npy"));
}

TEST_CASE("cli: run --stream reproduces the whole-sequence run for any block partition", "[cli][stream]")
{
    const rtconv_test::TempDir dir("cli");
    const std::string model = examples("demo_causal_stack.json"), input = examples("demo_input.npy");
    REQUIRE(rtconv_cli(dir, {"run", model, "--input", input, "--output", (dir / "whole.npy").string()}).status == 0);
    const Tensor whole = rtconv::read_npy(dir / "whole.npy");
    for (const auto& blocks : std::vector<std::vector<std::string>>{
             {"--block", "1"}, {"--block", "7"}, {"--block", "4096"}, {"--blocks", "random:3"}}) {
        INFO(blocks[0] << " " << blocks[1]);
        std::vector<std::string> call{"run", model, "--input", input, "--output", (dir / "s.npy").string(), "--stream"};
        call.insert(call.end(), blocks.begin(), blocks.end());
        REQUIRE(rtconv_cli(dir, call).status == 0);
        const Tensor streamed = rtconv::read_npy(dir / "s.npy");
        REQUIRE(streamed.shape() == whole.shape());
        double worst = 0.0;
        for (std::size_t i = 0; i < whole.size(); ++i)
            worst = std::max(worst, std::abs(streamed.flat(i) - whole.flat(i)) / std::max(1.0, std::abs(whole.flat(i))));
        CHECK(worst <= 1e-5);
    }
}

TEST_CASE("cli: bench streams the model and quotes the FMA peak", "[cli][stream]")
{
    const rtconv_test::TempDir dir("cli");
    const Result r = rtconv_cli(dir, {"bench", examples("demo_causal_stack.json"), "--block", "4,32", "--seconds", "0.02"});
    REQUIRE(r.status == 0);
    CHECK_THAT(r.out, Contains("624 MACs per input sample") && Contains("% of peak"));
    CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 4); // title, header, one row per block size
    CHECK_THAT(r.out, Contains("\n       4 ") && Contains("\n      32 "));
    const Result bad = rtconv_cli(dir, {"bench", examples("demo_causal_stack.json"), "--block", "4,x"});
    CHECK(bad.status == 2);
    CHECK_THAT(bad.err, Contains("--block takes block sizes"));
}

TEST_CASE("cli: block options go with --stream, one at a time", "[cli][stream]")
{
    const rtconv_test::TempDir dir("cli");
    const std::string model = examples("demo_causal_stack.json"), input = examples("demo_input.npy");
    const std::vector<std::string> run{"run", model, "--input", input, "--output", (dir / "y.npy").string()};
    const auto with = [&](std::vector<std::string> extra) {
        std::vector<std::string> call = run;
        call.insert(call.end(), extra.begin(), extra.end());
        return rtconv_cli(dir, call);
    };
    Result r = with({"--block", "64"});
    CHECK(r.status == 2);
    CHECK(r.err == "rtconv: error: --block and --blocks go with --stream\n");
    r = with({"--stream", "--block", "0"});
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Contains("--block must be a whole number of frames"));
    r = with({"--stream", "--blocks", "sequential"});
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Contains("--blocks takes random:SEED"));
    r = with({"--stream", "--block", "8", "--blocks", "random:1"});
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Contains("not both"));
}

TEST_CASE("cli: run computes the hand-derived output and reports its speed", "[cli]")
{
    const rtconv_test::TempDir dir("cli");
    const auto model = dir.write("tiny.json", tiny_model);
    rtconv::write_npy(dir / "x.npy", Tensor(Shape{1, 3, 1}, std::vector<float>{1, 2, 3}));

    const Result r = rtconv_cli(dir, {"run", model.string(), "--input", (dir / "x.npy").string(), "--output",
                                      (dir / "y.npy").string()});
    REQUIRE(r.status == 0);
    CHECK(r.err.empty());
    CHECK_THAT(r.out, StartsWith("output (1, 3, 1) float32") && Contains("samples/s") &&
                          Contains("real time at 48 kHz"));
    CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 2);
    CHECK_THAT(r.out, Contains("\noutput rms 5.1"));   // sqrt((1.5^2 + 4.5^2 + 7.5^2) / 3) = 5.12...
    CHECK_THAT(r.out, EndsWith(", peak 7.5\n"));
    const Tensor y = rtconv::read_npy(dir / "y.npy");
    CHECK(y.dtype() == rtconv::DType::float32);
    REQUIRE(y.shape() == Shape{1, 3, 1});
    CHECK(y.flat(0) == 1.5);
    CHECK(y.flat(1) == 4.5);
    CHECK(y.flat(2) == 7.5);

    // --dtype float64 computes and writes float64.
    const Result r64 = rtconv_cli(dir, {"run", model.string(), "--input", (dir / "x.npy").string(), "--output",
                                        (dir / "y64.npy").string(), "--dtype", "float64"});
    REQUIRE(r64.status == 0);
    const Tensor y64 = rtconv::read_npy(dir / "y64.npy");
    CHECK(y64.dtype() == rtconv::DType::float64);
    CHECK(y64.flat(2) == 7.5);
}

TEST_CASE("cli: run takes channels-first input when the first layer is channels_first", "[cli]")
{
    const rtconv_test::TempDir dir("cli");
    const auto model = dir.write("tiny_cf.json", tiny_channels_first_model);
    rtconv::write_npy(dir / "x.npy", Tensor(Shape{1, 1, 3}, std::vector<double>{1, 2, 3}));
    const Result r = rtconv_cli(dir, {"run", model.string(), "--input", (dir / "x.npy").string(), "--output",
                                      (dir / "y.npy").string()});
    REQUIRE(r.status == 0);
    const Tensor y = rtconv::read_npy(dir / "y.npy");
    REQUIRE(y.shape() == Shape{1, 1, 3});
    CHECK(y.flat(0) == 1.5);
    CHECK(y.flat(2) == 7.5);
}

TEST_CASE("cli: failures exit 1 with one line naming the file", "[cli]")
{
    const rtconv_test::TempDir dir("cli");
    const auto model = dir.write("tiny.json", tiny_model);
    const auto broken = dir.write("broken.json", "{\"class_name\": \"Sequential\", ");
    rtconv::write_npy(dir / "x.npy", Tensor(Shape{1, 3, 1}, std::vector<float>{1, 2, 3}));
    rtconv::write_npy(dir / "stereo.npy", Tensor(Shape{1, 3, 2}, std::vector<float>{1, 2, 3, 4, 5, 6}));
    const auto not_npy = dir.write("not.npy", "hello");
    const auto x = (dir / "x.npy").string(), y = (dir / "y.npy").string();

    struct Case {
        std::vector<std::string> call;
        std::string expected;
    };
    const std::vector<Case> cases = {
        {{"run", (dir / "absent.json").string(), "--input", x, "--output", y}, "absent.json"},
        {{"run", broken.string(), "--input", x, "--output", y}, "broken.json: not valid JSON"},
        {{"run", model.string(), "--input", (dir / "absent.npy").string(), "--output", y}, "absent.npy"},
        {{"run", model.string(), "--input", not_npy.string(), "--output", y}, "not.npy: not a NumPy .npy file"},
        {{"run", model.string(), "--input", (dir / "stereo.npy").string(), "--output", y}, "(None, None, 1)"},
        {{"run", model.string(), "--input", x, "--output", (dir / "no_dir" / "y.npy").string()}, "cannot open"},
        {{"info", broken.string()}, "broken.json: not valid JSON"},
    };
    for (const auto& c : cases) {
        INFO(c.call[0] << " " << c.call[1]);
        const Result r = rtconv_cli(dir, c.call);
        CHECK(r.status == 1);
        check_one_line_error(r);
        CHECK_THAT(r.err, Contains(c.expected));
    }
    CHECK_FALSE(std::filesystem::exists(dir / "y.npy"));
}

TEST_CASE("cli: run on the bundled demo", "[cli]")
{
    const rtconv_test::TempDir dir("cli");
    const Result r = rtconv_cli(dir, {"run", examples("demo_causal_stack.json"), "--input", examples("demo_input.npy"),
                                      "--output", (dir / "demo_output.npy").string()});
    REQUIRE(r.status == 0);
    CHECK_THAT(r.out, StartsWith("output (1, 48000, 1) float32"));
    CHECK(rtconv::read_npy(dir / "demo_output.npy").shape() == Shape{1, 48000, 1});
}

TEST_CASE("cli: info reports parameters, receptive field, rate and MACs", "[cli]")
{
    const rtconv_test::TempDir dir("cli");

    SECTION("the demo: five causal Conv1D, kernel 3, dilations 1..16, channels 1-8-8-8-8-1")
    {
        const Result r = rtconv_cli(dir, {"info", examples("demo_causal_stack.json")});
        REQUIRE(r.status == 0);
        CHECK_THAT(r.out, Contains("conv1d_4") && Contains("causal") && Contains("tanh"));
        // params: (3*1*8 + 8) + 3 * (3*8*8 + 8) + (3*8*1 + 1) = 32 + 600 + 25
        CHECK_THAT(r.out, Contains("total params: 657\n"));
        // 1 + (3-1) * (1 + 2 + 4 + 8 + 16)
        CHECK_THAT(r.out, Contains("receptive field: 63 input samples\n"));
        CHECK_THAT(r.out, Contains("output rate: 1 output sample per input sample\n"));
        // 3*1*8 + 3 * 3*8*8 + 3*8*1
        CHECK_THAT(r.out, Contains("MACs per input sample: 624\n"));
        CHECK_THAT(r.out, Contains("MACs per output sample: 624\n"));
    }
    SECTION("a strided layer halves the rate")
    {
        const Result r = rtconv_cli(dir, {"info", dir.write("strided.json", strided_model).string()});
        REQUIRE(r.status == 0);
        CHECK_THAT(r.out, Contains("total params: 24\n"));              // 4*2*3
        CHECK_THAT(r.out, Contains("receptive field: 4 input samples\n")); // one output frame reads k samples
        CHECK_THAT(r.out, Contains("output rate: 1/2 output samples per input sample\n"));
        CHECK_THAT(r.out, Contains("MACs per input sample: 12\n"));  // 4*2*3 per output frame, one frame per 2 samples
        CHECK_THAT(r.out, Contains("MACs per output sample: 24\n"));
    }
    SECTION("down then up: the transposed layer restores the rate")
    {
        const Result r = rtconv_cli(dir, {"info", dir.write("down_up.json", resampling_model).string()});
        REQUIRE(r.status == 0);
        // The transposed output t reads input frames i with 0 <= t - 2i <= 3: two frames; two
        // consecutive frames of the strided layer read 2 + 3 = 5 samples.
        CHECK_THAT(r.out, Contains("receptive field: at most 5 input samples\n"));
        CHECK_THAT(r.out, Contains("output rate: 1 output sample per input sample\n"));
        // down: 3*1*4 per output frame at 1/2 -> 6; up: 4*4*1 per input frame at 1/2 -> 8.
        CHECK_THAT(r.out, Contains("MACs per input sample: 14\n"));
        CHECK_THAT(r.out, Contains("(None, None, 4)") && Contains("Conv1DTranspose"));
    }
}

#endif // RTCONV_CLI_PATH
