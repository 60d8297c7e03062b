// Bad input (docs/robustness.md): the rows of the robustness table that the loaders' own refusal
// tables (test_model_file, test_nam_files, test_rtneural, test_npy, test_render) leave out. Each
// refusal is an rtconv::Error of one line naming the file (and the layer and field where there is
// one), and comes before anything large is allocated: a 2 GB file, a JSON of a million '[' or a
// Conv1D of 10^9 filters costs milliseconds and no memory to speak of.
#include "sanitized.hpp"
#include "temp_dir.hpp"
#ifdef RTCONV_CLI_PATH
#include "cli_process.hpp"
#endif

#include <rtconv/conv1d.hpp>
#include <rtconv/conv1d_transpose.hpp>
#include <rtconv/error.hpp>
#include <rtconv/model_file.hpp>
#include <rtconv/npy.hpp>
#include <rtconv/stream.hpp>
#include <rtconv/wavenet.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

using nlohmann::json;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using rtconv_test::TempDir;

namespace {

const std::string kExamples = RTCONV_EXAMPLES_DIR;
const std::string kFixtures = RTCONV_FIXTURES_DIR;

json read_json(const std::string& path)
{
    std::ifstream in(path);
    REQUIRE(in.good());
    return json::parse(in);
}

/// What `attempt` throws: an rtconv::Error of one line, which is returned.
std::string refusal(const std::function<void()>& attempt)
{
    try {
        attempt();
    } catch (const rtconv::Error& e) {
        const std::string message = e.what();
        INFO(message);
        CHECK(message.find('\n') == std::string::npos);
        return message;
    }
    FAIL("accepted");
    return {};
}

/// Loading `text` written to `name` in `dir` is refused with a message that starts with the path.
std::string load_refusal(const TempDir& dir, const std::string& name, const std::string& text)
{
    const auto path = dir.write(name, text);
    const std::string message = refusal([&] { rtconv::load_model(path); });
    CHECK_THAT(message, StartsWith(path.string() + ": "));
    return message;
}

double seconds_since(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// Peak resident memory of this process so far, in bytes. ctest runs every test case in its own
/// process, so growth measured inside a test is that test's.
double peak_memory()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_maxrss) * 1024.0;
}

/// Resident memory now, in bytes.
double resident_memory()
{
    std::ifstream statm("/proc/self/statm");
    double pages = 0, resident = 0;
    statm >> pages >> resident;
    return resident * double(sysconf(_SC_PAGESIZE));
}

/// A file of `bytes` that takes no disk: a hole, after `head` (if any).
std::filesystem::path sparse_file(const TempDir& dir, const std::string& name, std::uintmax_t bytes,
                                  const std::string& head = "")
{
    const auto path = dir.write(name, head);
    std::filesystem::resize_file(path, bytes);
    return path;
}

/// A native file: one causal Conv1D "conv" (1 -> 1 channel, kernel 2: y[t] = 2 x[t-1] + x[t] + 0.5).
json keras_document()
{
    return {{"class_name", "Sequential"},
            {"config",
             {{"name", "small"},
              {"layers",
               {{{"class_name", "InputLayer"}, {"config", {{"batch_shape", {nullptr, nullptr, 1}}}}},
                {{"class_name", "Conv1D"},
                 {"config", {{"name", "conv"}, {"filters", 1}, {"kernel_size", {2}}, {"padding", "causal"}}}}}}}},
            {"weights", {{"conv", {{{{2.0}}, {{1.0}}}, {0.5}}}}}};
}

/// The one-array, one-layer config edited by `edit`, as a native file; its weights dropped, since
/// these configs are refused before any weight is read.
std::string keras_config(const std::function<void(json& layer_config)>& edit)
{
    json document = keras_document();
    edit(document["config"]["layers"][1]["config"]);
    document.erase("weights");
    return document.dump();
}

json nam_document()
{
    return read_json(kExamples + "/models/nam/wavenet.nam");
}

json wavenetva_document()
{
    return read_json(kExamples + "/models/wavenetva/WaveNet2-muff.json");
}

json rtneural_document()
{
    return read_json(kFixtures + "/rtneural/rtneural_conv_example.rtneural.json");
}

/// `text` with `literal` where the marker string that `edit` placed is: for what nlohmann cannot
/// write (NaN, 1e999, a million '[', bytes that are not UTF-8).
std::string with_literal(json document, const std::function<void(json&, const json&)>& edit, const std::string& literal)
{
    const json marker = "literal goes here";
    edit(document, marker);
    std::string text = document.dump();
    const std::size_t at = text.find(marker.dump());
    REQUIRE(at != std::string::npos);
    return text.replace(at, marker.dump().size(), literal);
}

/// The four JSON formats, each with a place where a value may go that the loader reads.
struct JsonFormat {
    const char* name;
    std::function<json()> document;
    std::function<void(json&, const json&)> put_value;
    std::function<void(json&, const json&)> put_name; ///< a string the loader echoes or matches
};

const std::vector<JsonFormat>& json_formats()
{
    static const std::vector<JsonFormat> formats = {
        {"keras.json", keras_document, [](json& d, const json& v) { d["weights"]["conv"][1][0] = v; },
         [](json& d, const json& v) { d["config"]["layers"][1]["config"]["name"] = v; }},
        {"model.nam", nam_document, [](json& d, const json& v) { d["weights"][3] = v; },
         [](json& d, const json& v) { d["architecture"] = v; }},
        {"wavenetva.json", wavenetva_document, [](json& d, const json& v) { d["variables"][0]["data"][0] = v; },
         [](json& d, const json& v) { d["activation"] = v; }},
        {"rtneural.json", rtneural_document, [](json& d, const json& v) { d["layers"][0]["weights"][1][0] = v; },
         [](json& d, const json& v) { d["layers"][2]["type"] = v; }},
    };
    return formats;
}

/// An edit that makes a model file state a bad size, and the parts its refusal names.
struct SizeCase {
    const char* what;
    std::function<void(json&)> edit;
    std::vector<std::string> message;
};

/// Each case's file (`text_of` the case) is refused within a second (`time_bound`), without
/// growing the peak memory by 64 MB, with a message naming every part.
void check_size_refusals(const std::vector<SizeCase>& cases, const std::function<std::string(const SizeCase&)>& text_of)
{
    const TempDir dir("bad-input");
    for (const auto& c : cases) {
        INFO(c.what);
        const std::string text = text_of(c);
        const double peak = peak_memory();
        const auto start = std::chrono::steady_clock::now();
        const std::string message = load_refusal(dir, "sizes.json", text);
        CHECK(seconds_since(start) < rtconv_test::time_bound(1.0));
        CHECK(peak_memory() - peak < 64e6);
        for (const auto& part : c.message) CHECK_THAT(message, Contains(part));
    }
}

} // namespace

// --- files too large to read ---------------------------------------------------------------------

TEST_CASE("bad input: a 2 GB model file is refused by its size before it is read", "[bad_input]")
{
    const TempDir dir("bad-input");
    for (const char* name : {"huge.json", "huge.nam"}) {
        INFO(name);
        // The file starts as a valid model would: only its size gives it away.
        const auto path = sparse_file(dir, name, std::uintmax_t(1) << 31, keras_document().dump());
        const double peak = peak_memory();
        const auto start = std::chrono::steady_clock::now();
        const std::string message = refusal([&] { rtconv::load_model(path); });
        CHECK(seconds_since(start) < rtconv_test::time_bound(1.0));
        CHECK(peak_memory() - peak < 64e6);
        CHECK_THAT(message, StartsWith(path.string() + ": the file is 2147483648 bytes"));
        CHECK_THAT(message, Contains("a model file") && Contains("1 GiB, 1073741824 bytes"));
    }
}

TEST_CASE("bad input: a 2 GB .npy file is refused by its size before it is read", "[bad_input]")
{
    const TempDir dir("bad-input");
    const std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (536870912,), }";
    std::string head = "\x93NUMPY";
    head += '\x01';
    head += '\x00';
    head += static_cast<char>(header.size() + 1);
    head += '\x00';
    head += header + "\n";
    const auto path = sparse_file(dir, "huge.npy", std::uintmax_t(1) << 31, head);
    const auto start = std::chrono::steady_clock::now();
    const std::string message = refusal([&] { rtconv::read_npy(path); });
    CHECK(seconds_since(start) < rtconv_test::time_bound(1.0));
    CHECK_THAT(message, StartsWith(path.string() + ": the file is 2147483648 bytes"));
    CHECK_THAT(message, Contains("a .npy file") && Contains("1073741824 bytes"));
}

TEST_CASE("bad input: a .npy header's bytes are escaped in the error that echoes them", "[bad_input]")
{
    const std::string header = "{'descr': '<f\x1b[2J\xff', 'fortran_order': False, 'shape': (1,), }";
    std::string bytes = "\x93NUMPY";
    bytes += '\x01';
    bytes += '\x00';
    bytes += static_cast<char>(header.size() + 1);
    bytes += '\x00';
    bytes += header + "\n";
    bytes += std::string(4, '\0');
    const std::string message = refusal([&] { rtconv::npy_from_bytes(bytes, "odd.npy"); });
    CHECK_THAT(message, StartsWith("odd.npy: unsupported dtype '<f\\u001b[2J\\xff'"));
}

// --- JSON that would take the parser's stack or memory ---------------------------------------------

TEST_CASE("bad input: deeply nested JSON is refused quickly in every format", "[bad_input]")
{
    const TempDir dir("bad-input");
    const std::string deep = std::string(1000000, '[') + std::string(1000000, ']');
    for (const auto& format : json_formats()) {
        INFO(format.name);
        const std::string text = with_literal(format.document(), format.put_value, deep);
        const auto start = std::chrono::steady_clock::now();
        const std::string message = load_refusal(dir, format.name, text);
        CHECK(seconds_since(start) < rtconv_test::time_bound(2.0));
        CHECK_THAT(message, Contains("JSON nested more than 64 levels deep"));
    }
    // 64 levels parse (and are then no model); 65 do not.
    const auto nested = [](std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); };
    CHECK_THAT(load_refusal(dir, "64.json", nested(64)), Contains("not a model file rtconv reads"));
    CHECK_THAT(load_refusal(dir, "65.json", nested(65)), Contains("nested more than 64 levels"));
}

TEST_CASE("bad input: JSON whose parsed values would take over 1.5 GiB is refused before they are built", "[bad_input]")
{
    // 21 million empty objects: 63 MB of text, 1.7 GB as nlohmann values (80 bytes each).
    std::string text = "[";
    text.reserve(63000002);
    for (int i = 0; i < 21000000; ++i) text += "{},";
    text.back() = ']';
    const double peak = peak_memory();
    const auto start = std::chrono::steady_clock::now();
    const std::string message = refusal([&] { rtconv::model_from_bytes(text, "objects.json"); });
    CHECK(seconds_since(start) < rtconv_test::time_bound(10.0)); // about 1 s
    CHECK(peak_memory() - peak < 256e6);
    CHECK_THAT(message, StartsWith("objects.json: the JSON's values would take more than 1536 MiB"));
    CHECK_THAT(message, Contains("rtconv's limit"));
}

// --- names and text a terminal should not see -------------------------------------------------------

TEST_CASE("bad input: bytes that are not UTF-8 are a parse error naming the file with the bytes escaped", "[bad_input]")
{
    const TempDir dir("bad-input");
    for (const auto& format : json_formats()) {
        INFO(format.name);
        const std::string text = with_literal(format.document(), format.put_name, "\"bad\xff\xfe name\"");
        const std::string message = load_refusal(dir, format.name, text);
        CHECK_THAT(message, Contains("not valid JSON") && Contains("ill-formed UTF-8"));
        CHECK_THAT(message, Contains("bad\\xff"));
        CHECK(message.find('\xff') == std::string::npos);
    }
}

TEST_CASE("bad input: control characters in names are escaped in the errors that echo them", "[bad_input]")
{
    const TempDir dir("bad-input");
    // An ESC sequence that would turn the terminal red, a newline, a C1 CSI and a right-to-left
    // override: each comes out as a \u escape, and the message stays one line.
    const std::string name = "a\x1b[31mred\nline\xc2\x9bX\xe2\x80\xaey";
    const std::string escaped = "a\\u001b[31mred\\u000aline\\u009bX\\u202ey";
    const auto check = [&](const std::string& message) {
        CHECK_THAT(message, Contains(escaped));
        CHECK(message.find('\x1b') == std::string::npos);
        CHECK(message.find("\xc2\x9b") == std::string::npos);
        CHECK(message.find("\xe2\x80\xae") == std::string::npos);
    };
    // Native: the layer's name in "layer 'NAME' (Conv1D)", here over weights of the wrong shape.
    json keras = keras_document();
    keras["config"]["layers"][1]["config"]["name"] = name;
    keras["weights"] = {{name, {{1.0}, {0.5}}}};
    const std::string keras_message = load_refusal(dir, "keras.json", keras.dump());
    CHECK_THAT(keras_message, Contains("(Conv1D): weights["));
    check(keras_message);
    // NAM: the architecture it does not run; RTNeural: the layer type it does not know.
    json nam = nam_document();
    nam["architecture"] = name;
    check(load_refusal(dir, "model.nam", nam.dump()));
    json rtneural = rtneural_document();
    rtneural["layers"][2]["type"] = name;
    const std::string rtneural_message = load_refusal(dir, "rtneural.json", rtneural.dump());
    CHECK_THAT(rtneural_message, Contains("layers[2].type: unsupported layer"));
    check(rtneural_message);
    // The streaming engine names layers too.
    rtconv::Sequential model("stream");
    rtconv::Conv1DOptions o;
    o.name = name;
    o.filters = 3;
    o.kernel_size = 1;
    o.activation = "glu"; // over channels, which must be even
    o.input_shape = rtconv::TensorShape{std::nullopt, 1};
    model.add(rtconv::Conv1D(o));
    const std::string stream_message = refusal([&] { rtconv::ModelStream stream(model); });
    CHECK_THAT(stream_message, Contains("cannot be streamed") && Contains("glu"));
    check(stream_message);
}

// --- sizes ----------------------------------------------------------------------------------------

TEST_CASE("bad input: zero and huge sizes in a native file are refused before anything is allocated", "[bad_input]")
{
    const std::vector<SizeCase> cases = {
        {"filters 0", [](json& c) { c["filters"] = 0; }, {"layer 'conv' (Conv1D)", "config", "filters=0"}},
        {"kernel_size 10^9", [](json& c) { c["kernel_size"] = {1000000000}; },
         {"layer 'conv' (Conv1D)", "config", "(kernel_size - 1) * dilation_rate must be at most 4194304",
          "999999999 * 1"}},
        {"dilation 2^31", [](json& c) { c["dilation_rate"] = {2147483648LL}; },
         {"layer 'conv' (Conv1D)", "config", "'dilation_rate' must be an integer", "2147483648"}},
        {"dilation 2^30", [](json& c) { c["dilation_rate"] = {1 << 30}; },
         {"layer 'conv' (Conv1D)", "config", "at most 4194304", "1 * 1073741824"}},
        {"filters 10^9", [](json& c) { c["filters"] = 1000000000; },
         {"layer 'conv' (Conv1D)", "weight 'kernel' of shape (2, 1, 1000000000)", "more than 67108864 weights"}},
        {"kernel 2^20 by 2^10 filters",
         [](json& c) {
             c["kernel_size"] = {1 << 20};
             c["filters"] = 1 << 10;
         },
         {"layer 'conv' (Conv1D)", "weight 'kernel' of shape (1048576, 1, 1024)", "more than 67108864 weights"}},
        // Kernel 1 keeps no history, so the weights are what is too large.
        {"10^12 input channels",
         [](json& c) {
             c["kernel_size"] = {1};
             c["batch_input_shape"] = {nullptr, nullptr, 1000000000000LL};
         },
         {"layer 'conv' (Conv1D)", "(1, 1000000000000, 1)", "more than 67108864 weights"}},
        {"a shape whose product overflows",
         [](json& c) {
             c["kernel_size"] = {1};
             c["filters"] = 2147483647;
             c["batch_input_shape"] = {nullptr, nullptr, 9223372036854775807LL};
         },
         {"layer 'conv' (Conv1D)", "(1, 9223372036854775807, 2147483647)", "more than 67108864 weights"}},
        {"history of 2^21 frames of 64 channels",
         [](json& c) {
             c["dilation_rate"] = {1 << 21};
             c["batch_input_shape"] = {nullptr, nullptr, 64};
         },
         {"layer 'conv' (Conv1D)", "history of (kernel_size - 1) * dilation_rate = 2097152 frames of 64 input channels",
          "more than 67108864 values"}},
    };
    check_size_refusals(cases, [](const SizeCase& c) { return keras_config(c.edit); });
    // The same limits hold for layers made in code.
    rtconv::Conv1DOptions o;
    o.filters = 1;
    o.kernel_size = 2;
    o.dilation_rate = 1 << 23;
    CHECK_THAT(refusal([&] { rtconv::Conv1D conv(o); }), Contains("at most 4194304"));
    rtconv::Conv1DTransposeOptions t;
    t.filters = 1 << 16;
    t.kernel_size = 1 << 12;
    t.input_shape = rtconv::TensorShape{std::nullopt, 1};
    CHECK_THAT(refusal([&] { rtconv::Conv1DTranspose conv(t); }), Contains("more than 67108864 weights"));
}

TEST_CASE("bad input: huge sizes in an RTNeural file are refused before anything is allocated", "[bad_input]")
{
    // Layer 1 is a conv1d with kernel_size [3], dilation [1], 8 -> 4 channels.
    const std::vector<SizeCase> cases = {
        {"kernel_size 10^9", [](json& d) { d["layers"][1]["kernel_size"] = {1000000000}; },
         {"RTNeural layer 1 (conv1d)", "(kernel_size - 1) * dilation_rate must be at most 4194304"}},
        {"dilation 2^31", [](json& d) { d["layers"][1]["dilation"] = {2147483648LL}; },
         {"RTNeural layer 1 (conv1d)", "dilation", "must be an integer"}},
        {"10^9 output channels", [](json& d) { d["layers"][1]["shape"] = {nullptr, nullptr, 1000000000}; },
         {"RTNeural layer 1 (conv1d)", "weight 'kernel' of shape (3, 8, 1000000000)", "more than 67108864 weights"}},
        {"10^12 input channels", [](json& d) { d["in_shape"] = {nullptr, nullptr, 1000000000000LL}; },
         {"RTNeural layer 0 (dense)", "more than 67108864 weights"}},
    };
    check_size_refusals(cases, [](const SizeCase& c) {
        json document = rtneural_document();
        c.edit(document);
        return document.dump();
    });
}

TEST_CASE("bad input: more than 4096 layers are refused before any is made in every format", "[bad_input]")
{
    const TempDir dir("bad-input");
    const auto activations = [](std::size_t count) {
        json layers = json::array({{{"class_name", "InputLayer"}, {"config", {{"batch_shape", {nullptr, nullptr, 1}}}}}});
        for (std::size_t i = 0; i < count; ++i)
            layers.push_back({{"class_name", "Activation"}, {"config", {{"name", "relu" + std::to_string(i)}, {"activation", "relu"}}}});
        return json{{"class_name", "Sequential"}, {"config", {{"name", "deep"}, {"layers", layers}}}};
    };
    // 4096 load (adding each walks those before it: 8 million steps in all).
    const auto start = std::chrono::steady_clock::now();
    CHECK(rtconv::load_model(dir.write("4096.json", activations(4096).dump())).layers().size() == 4096);
    CHECK(seconds_since(start) < rtconv_test::time_bound(5.0));
    CHECK_THAT(load_refusal(dir, "4097.json", activations(4097).dump()),
               Contains(": config.layers: 4097 layers, more than rtconv's limit of 4096"));

    json rtneural = rtneural_document();
    while (rtneural["layers"].size() <= 4096) rtneural["layers"].push_back({{"type", "activation"}, {"activation", "tanh"}, {"shape", {nullptr, nullptr, 1}}});
    CHECK_THAT(load_refusal(dir, "rtneural.json", rtneural.dump()),
               Contains(": layers: 4097 layers, more than rtconv's limit of 4096"));

    // The WaveNets: one dilation a layer. Refused before any layer's options are read, so the
    // weights need not fit.
    json nam = nam_document();
    nam["config"]["layers"][0]["dilations"] = std::vector<int>(4096, 1);
    CHECK_THAT(load_refusal(dir, "model.nam", nam.dump()),
               Contains(": config.layers: the layer arrays hold 4097 layers (dilations), more than rtconv's limit of 4096"));
    json wavenetva = wavenetva_document();
    wavenetva["dilations"] = std::vector<int>(4097, 1);
    CHECK_THAT(load_refusal(dir, "wavenetva.json", wavenetva.dump()),
               Contains(": dilations: 4097 layers, more than rtconv's limit of 4096"));
}

// --- RTNeural rows the RTNeural table leaves to the shared parser ------------------------------------

TEST_CASE("bad input: truncated and empty RTNeural files and NaN or infinite weights are refused", "[bad_input]")
{
    const TempDir dir("bad-input");
    const json valid = rtneural_document();
    const std::string text = valid.dump();
    const auto put = [](json& d, const json& v) { d["layers"][1]["weights"][1][2] = v; };
    CHECK_THAT(load_refusal(dir, "truncated.json", text.substr(0, text.size() / 2)), Contains("not valid JSON"));
    CHECK_THAT(load_refusal(dir, "empty.json", ""), Contains("not valid JSON: the file is empty"));
    CHECK_THAT(load_refusal(dir, "nan.json", with_literal(valid, put, "NaN")), Contains("not valid JSON"));
    CHECK_THAT(load_refusal(dir, "inf.json", with_literal(valid, put, "-1e999")),
               Contains("not valid JSON") && Contains("overflow") && Contains("1e999"));
    json nan_string = valid;
    put(nan_string, "NaN");
    CHECK_THAT(load_refusal(dir, "nan_string.json", nan_string.dump()),
               Contains("RTNeural layer 1 (conv1d)") && Contains("weights[1][2]") && Contains("expected a number"));
}

// --- unknown keys -----------------------------------------------------------------------------------

TEST_CASE("bad input: unknown keys are ignored by the native NAM WaveNetVA and RTNeural loaders", "[bad_input]")
{
    const TempDir dir("bad-input");
    const auto output_of = [&](const json& document) {
        rtconv::Sequential model = rtconv::load_model(dir.write("model.json", document.dump()));
        std::vector<float> x(64);
        for (std::size_t t = 0; t < x.size(); ++t) x[t] = float(std::sin(0.3 * double(t)));
        const rtconv::Tensor y = model(rtconv::Tensor({1, x.size(), 1}, std::vector<float>(x)));
        const auto values = y.values<float>();
        return std::vector<float>(values.begin(), values.end());
    };
    const json future = {{"added_in", "a later version"}, {"numbers", {1, 2, 3}}};
    struct Case {
        const char* what;
        json document;
        std::function<void(json&)> add_keys;
    };
    const std::vector<Case> cases = {
        {"native", keras_document(),
         [&](json& d) {
             d["keras_version"] = "9.9";
             d["future"] = future;
             d["config"]["layers"][1]["config"]["future"] = future;
             d["config"]["layers"][1]["future"] = future;
         }},
        {"NAM", nam_document(),
         [&](json& d) {
             d["future"] = future;
             d["config"]["future"] = future;
             d["config"]["layers"][0]["future"] = future;
             d["metadata"]["future"] = future;
         }},
        {"WaveNetVA", wavenetva_document(),
         [&](json& d) {
             d["future"] = future;
             d["variables"][0]["future"] = future;
         }},
        {"RTNeural", rtneural_document(),
         [&](json& d) {
             d["future"] = future;
             d["layers"][1]["future"] = future;
         }},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        json with_keys = c.document;
        c.add_keys(with_keys);
        REQUIRE(with_keys != c.document);
        CHECK(output_of(with_keys) == output_of(c.document));
    }
}

// --- sample rates -----------------------------------------------------------------------------------

TEST_CASE("bad input: sample rates outside 1000 to 768000 Hz in model files are refused naming the field", "[bad_input]")
{
    const TempDir dir("bad-input");
    for (const json& rate : {json(1e12), json(-48000), json(999), json(768001), json(true)}) {
        INFO(rate.dump());
        json nam = nam_document();
        nam["sample_rate"] = rate;
        CHECK_THAT(load_refusal(dir, "rate.nam", nam.dump()),
                   Contains(": sample_rate: expected a positive sample rate from 1000 to 768000 Hz, got " + rate.dump()));
        json keras = keras_document();
        keras["metadata"] = {{"sample_rate", rate}};
        CHECK_THAT(load_refusal(dir, "rate.json", keras.dump()),
                   Contains(": metadata.sample_rate: expected a positive sample rate from 1000 to 768000 Hz"));
    }
    for (const double rate : {1000.0, 768000.0}) {
        json nam = nam_document();
        nam["sample_rate"] = rate;
        CHECK(rtconv::load_model(dir.write("edge.nam", nam.dump())).metadata().sample_rate == rate);
    }
}

// --- the stream's sizes, which come from the host ------------------------------------------------------

namespace {

/// A built causal Conv1D model: `in` -> `filters` channels, kernel `k`, dilation `d`.
rtconv::Sequential conv_model(int in, int filters, int k, int d = 1)
{
    rtconv::Conv1DOptions o;
    o.name = "conv";
    o.filters = filters;
    o.kernel_size = k;
    o.dilation_rate = d;
    o.padding = "causal";
    o.kernel_initializer = "ones";
    o.input_shape = rtconv::TensorShape{std::nullopt, in};
    rtconv::Sequential model("m");
    model.add(rtconv::Conv1D(o));
    return model;
}

} // namespace

TEST_CASE("bad input: prepare refuses sizes that would allocate over 1 GiB and leaves the stream as it was", "[bad_input]")
{
    const rtconv::Sequential model = conv_model(1, 4, 3, 2);
    rtconv::ModelStream stream(model);
    stream.prepare({.sample_rate = 48000, .max_block_size = 16, .channels = 1});
    const float x[4] = {1, 2, 3, 4};
    float y_before[16], y_after[16];
    const float* in = x;
    float* out = y_before;
    REQUIRE(stream.process(&in, &out, 4) == 4);
    stream.reset();

    const std::vector<rtconv::StreamSpec> huge = {
        {.max_block_size = std::size_t(1) << 40, .channels = 1},
        {.max_block_size = 512, .channels = 1000000000},
        {.max_block_size = std::numeric_limits<std::size_t>::max(), .channels = std::numeric_limits<std::size_t>::max()},
    };
    for (const auto& spec : huge) {
        INFO(spec.max_block_size << " frames, " << spec.channels << " channels");
        CHECK(stream.prepare_bytes(spec) > double(rtconv::max_stream_bytes));
        const std::string message = refusal([&] { stream.prepare(spec); });
        CHECK_THAT(message, StartsWith("StreamSpec: max_block_size " + std::to_string(spec.max_block_size) +
                                       " and channels " + std::to_string(spec.channels)));
        CHECK_THAT(message, Contains("more than rtconv's limit of 1073741824 (1 GiB)"));
    }
    // Still prepared for 16 frames and 1 channel.
    out = y_after;
    REQUIRE(stream.process(&in, &out, 4) == 4);
    CHECK(std::vector<float>(y_after, y_after + 16) == std::vector<float>(y_before, y_before + 16));
}

TEST_CASE("bad input: prepare_bytes is what prepare allocates", "[bad_input]")
{
    // Output buffers of 256 channels x 2^16 frames dominate: 64 MiB, against a process of a few.
    const rtconv::Sequential model = conv_model(1, 256, 1);
    rtconv::ModelStream stream(model);
    const rtconv::StreamSpec spec{.max_block_size = 1 << 16, .channels = 1};
    const double expected = stream.prepare_bytes(spec);
    CHECK(expected > 64e6);
    const double before = resident_memory();
    stream.prepare(spec);
    const double grew = resident_memory() - before;
    INFO("prepare_bytes " << expected << ", resident memory grew by " << grew);
    CHECK(grew > 0.8 * expected);
    CHECK(grew < 1.25 * expected);
    // Twice the channels, twice the bytes; and a stream's history is part of them.
    CHECK(stream.prepare_bytes({.max_block_size = 1 << 16, .channels = 2}) == Approx(2 * expected));
    const rtconv::Sequential long_history = conv_model(8, 1, 2, 1 << 22);
    rtconv::ModelStream history_stream(long_history);
    CHECK(history_stream.prepare_bytes({.max_block_size = 64, .channels = 1}) > 8.0 * (1 << 22) * sizeof(float));
}

TEST_CASE("bad input: a convolution whose history would hold over 2^26 values is refused when built", "[bad_input]")
{
    // 64 channels of 2^21 frames: within the channel and span limits, 2^27 values together (a
    // stream's history, and the zeros the whole-sequence run pads with).
    const std::string message = refusal([] { conv_model(64, 1, 2, 1 << 21); });
    CHECK_THAT(message, StartsWith("Layer 'conv' (Conv1D): its history of (kernel_size - 1) * dilation_rate = 2097152 "
                                   "frames of 64 input channels would hold more than 67108864 values"));
    rtconv::Conv1DTransposeOptions t;
    t.name = "up";
    t.filters = 1;
    t.kernel_size = 2;
    t.dilation_rate = 1 << 21;
    t.input_shape = rtconv::TensorShape{std::nullopt, 64};
    CHECK_THAT(refusal([&] { rtconv::Conv1DTranspose conv(t); }),
               StartsWith("Layer 'up' (Conv1DTranspose): its history of") && Contains("more than 67108864 values"));
    CHECK_NOTHROW(conv_model(32, 1, 2, 1 << 21)); // 2^26 values exactly
}

TEST_CASE("bad input: a WaveNet whose history would take over 1 GiB is refused by the stream and the whole run", "[bad_input]")
{
    // One layer of 256 channels at dilation 2^22: 131 thousand weights, 4 GiB of history.
    rtconv::WaveNetOptions o;
    o.name = "wavenet";
    rtconv::WaveNetArrayOptions array;
    array.channels = 256;
    array.layers.push_back({.kernel_size = 2, .dilation = 1 << 22});
    array.head = rtconv::WaveNetHeadOptions{};
    o.arrays.push_back(array);
    rtconv::Sequential model("deep_history");
    model.add(rtconv::WaveNet(o));
    const auto start = std::chrono::steady_clock::now();
    CHECK_THAT(refusal([&] { model(rtconv::Tensor({1, 8, 1}, rtconv::DType::float32)); }),
               StartsWith("Layer 'wavenet' (WaveNet): its history and buffers would take 4.") &&
                   Contains("more than rtconv's limit of 1073741824 (1 GiB)"));
    rtconv::ModelStream stream(model);
    CHECK_THAT(refusal([&] { stream.prepare({.max_block_size = 64, .channels = 1}); }),
               Contains("more than rtconv's limit of 1073741824"));
    CHECK(seconds_since(start) < rtconv_test::time_bound(1.0));
}

TEST_CASE("bad input: a stream refuses strides that multiply to more than 65536", "[bad_input]")
{
    rtconv::Conv1DTransposeOptions t;
    t.name = "up";
    t.filters = 1;
    t.kernel_size = 1;
    t.strides = 1000000;
    t.input_shape = rtconv::TensorShape{std::nullopt, 1};
    rtconv::Sequential upsampler("up");
    upsampler.add(rtconv::Conv1DTranspose(t));
    const auto start = std::chrono::steady_clock::now();
    CHECK_THAT(refusal([&] { rtconv::ModelStream stream(upsampler); }),
               StartsWith("Layer 'up' (Conv1DTranspose) cannot be streamed: strides 1000000 is more than 65536"));
    CHECK(seconds_since(start) < rtconv_test::time_bound(1.0));

    rtconv::Sequential decimator("down");
    for (int i = 0; i < 3; ++i) {
        rtconv::Conv1DOptions o;
        o.name = "down" + std::to_string(i);
        o.filters = 1;
        o.kernel_size = 1;
        o.strides = 64;
        if (i == 0) o.input_shape = rtconv::TensorShape{std::nullopt, 1};
        decimator.add(rtconv::Conv1D(o));
    }
    CHECK_THAT(refusal([&] { rtconv::ModelStream stream(decimator); }),
               StartsWith("Layer 'down2' (Conv1D) cannot be streamed: the strides up to it multiply to 262144"));
}

// --- audio input (the CLI's render) -----------------------------------------------------------------------

#ifdef RTCONV_CLI_PATH

namespace {

/// A 16-bit PCM WAV header for `frames` frames of `channels` at `rate` Hz, written by hand: the
/// rates and sizes here are ones libsndfile would not write.
std::string wav_header(std::uint32_t rate, std::uint16_t channels, std::uint32_t data_bytes)
{
    std::string h;
    const auto u32 = [&](std::uint32_t v) {
        for (int i = 0; i < 4; ++i) h += static_cast<char>((v >> (8 * i)) & 0xff);
    };
    const auto u16 = [&](std::uint16_t v) {
        for (int i = 0; i < 2; ++i) h += static_cast<char>((v >> (8 * i)) & 0xff);
    };
    h += "RIFF";
    u32(36 + data_bytes);
    h += "WAVEfmt ";
    u32(16);
    u16(1);
    u16(channels);
    u32(rate);
    u32(rate * 2u * channels);
    u16(static_cast<std::uint16_t>(2 * channels));
    u16(16);
    h += "data";
    u32(data_bytes);
    return h;
}

std::string wav(std::uint32_t rate, std::size_t frames)
{
    return wav_header(rate, 1, std::uint32_t(frames * 2)) + std::string(frames * 2, '\0');
}

} // namespace

TEST_CASE("bad input: render refuses audio at absurd rates and a 2 GB file before reading its samples", "[bad_input][cli]")
{
    const TempDir dir("bad-input");
    const std::string model = dir.write("model.json", keras_document().dump()).string();
    const std::string out = (dir / "out.wav").string();
    struct Case {
        std::string in;
        std::vector<std::string> message;
        std::string model_file = "";
    };
    const std::uint32_t most = 0xffffffffu - 36;
    // Upsampling 4096-fold: at 768 kHz, 3.1 GHz, more than a sound file's rate (an int) holds.
    json upsampler = keras_document();
    upsampler["config"]["layers"][1] = {{"class_name", "Conv1DTranspose"},
                                        {"config", {{"name", "conv"}, {"filters", 1}, {"kernel_size", {1}}, {"strides", {4096}}}}};
    upsampler["weights"]["conv"] = {{{{1.0}}}, {0.0}};
    const std::string upsampling = dir.write("upsampler.json", upsampler.dump()).string();
    const std::vector<Case> cases = {
        {dir.write("one_hz.wav", wav(1, 100)).string(), {"one_hz.wav: sample rate 1 Hz: rtconv renders audio at 1000 to 768000 Hz"}},
        {dir.write("two_ghz.wav", wav(2000000000, 100)).string(), {"two_ghz.wav: sample rate 2000000000 Hz"}},
        {dir.write("zero_hz.wav", wav(0, 100)).string(), {"zero_hz.wav: cannot read audio"}},
        {sparse_file(dir, "huge.wav", std::uintmax_t(1) << 31, wav_header(48000, 2, most)).string(),
         {"huge.wav: the audio would be ", " samples, more than rtconv render holds in memory (268435456"}},
        // A header that promises 1000 frames over 5: libsndfile reads the 5 that are there.
        {dir.write("truncated.wav", wav_header(48000, 1, 2000) + std::string(10, '\0')).string(), {}},
        {dir.write("empty.wav", "").string(), {"empty.wav: cannot read audio"}},
        {dir.write("fast.wav", wav(768000, 100)).string(),
         {"fast.wav: the model changes the sample rate by 4096/1, which makes 768000 Hz into more than a sound file's rate can be"},
         upsampling},
    };
    for (const auto& c : cases) {
        INFO(c.in);
        const auto start = std::chrono::steady_clock::now();
        const rtconv_test::CliResult r =
            rtconv_test::rtconv_cli(dir, {"render", c.model_file.empty() ? model : c.model_file, c.in, out});
        CHECK(seconds_since(start) < rtconv_test::time_bound(5.0));
        if (c.message.empty()) {
            CHECK(r.status == 0);
            CHECK_THAT(r.out, StartsWith("rendered 5 frames"));
            std::filesystem::remove(out);
            continue;
        }
        CHECK(r.status == 1);
        rtconv_test::check_one_line_error(r);
        for (const auto& part : c.message) CHECK_THAT(r.err, Contains(part));
        CHECK_FALSE(std::filesystem::exists(out));
    }
}
#endif // RTCONV_CLI_PATH
