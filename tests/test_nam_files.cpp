// NAM files with the keys newer NAM versions write (per-layer kernel sizes, activations and gating
// modes, bottleneck, layer1x1 / head1x1, head convs, three arrays), against an independent
// PyTorch forward pass (python/make_nam_fixtures.py -> tests/fixtures/nam), whole-sequence and
// streamed. Then what the NAM and WaveNetVA loaders do with malformed files: every refusal is an
// rtconv::Error naming the file and the field.
#include "rtconv/error.hpp"
#include "rtconv/model_file.hpp"
#include "rtconv/npy.hpp"
#include "rtconv/stream.hpp"
#include "mono_stream.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace {

using nlohmann::json;

const std::string kNamFixtures = std::string(RTCONV_FIXTURES_DIR) + "/nam/";

/// Row `row` of a 2-D tensor.
std::vector<float> tensor_row(const rtconv::Tensor& t, std::size_t row)
{
    const auto values = t.values<float>();
    const std::size_t width = t.shape()[1];
    return {values.begin() + std::ptrdiff_t(row * width), values.begin() + std::ptrdiff_t((row + 1) * width)};
}

/// Every sample within 1e-5, relative to the reference where it exceeds 1.
void require_close(const std::vector<float>& y, const std::vector<float>& reference)
{
    REQUIRE(y.size() == reference.size());
    double worst = 0.0;
    std::size_t worst_at = 0;
    for (std::size_t i = 0; i < y.size(); ++i) {
        const double error = std::abs(double(y[i]) - double(reference[i])) / std::max(1.0, std::abs(double(reference[i])));
        if (!(error <= worst)) {
            worst = error;
            worst_at = i;
        }
    }
    INFO("worst error " << worst << " at sample " << worst_at << ": " << y[worst_at] << " vs " << reference[worst_at]);
    CHECK(worst <= 1e-5);
}

std::vector<float> whole_sequence(rtconv::Sequential& model, const std::vector<float>& x)
{
    const rtconv::Tensor y = model(rtconv::Tensor({1, x.size(), 1}, std::vector<float>(x)));
    REQUIRE(y.shape() == rtconv::Shape{1, x.size(), 1});
    const auto values = y.values<float>();
    return {values.begin(), values.end()};
}


struct Fixture {
    const char* name;
    const char* version;
    double sample_rate;
    std::optional<double> loudness, input_level_dbu, output_level_dbu;
};

// As python/make_nam_fixtures.py writes them. mixed_layers has no sample_rate: NAM trained only
// at 48 kHz before files recorded it, so rtconv reads 48000.
const Fixture kFixtures[] = {
    {"gated_classic", "0.5.4", 48000.0, -18.25, 12.5, 9.0},
    {"mixed_layers", "0.6.0", 48000.0, std::nullopt, std::nullopt, std::nullopt},
    {"three_arrays", "0.7.0", 44100.0, -21.5, 18.0, 6.25},
    {"defaults", "0.6.0", 48000.0, std::nullopt, std::nullopt, std::nullopt},
};

json read_json(const std::string& path)
{
    std::ifstream in(path);
    REQUIRE(in);
    return json::parse(in);
}

/// Loading `path` throws rtconv::Error; its message.
std::string refusal(const std::filesystem::path& path)
{
    bool refused = false;
    std::string message;
    try {
        rtconv::load_model(path);
    } catch (const rtconv::Error& e) {
        refused = true;
        message = e.what();
    }
    REQUIRE(refused);
    return message;
}

/// A malformed file: its text, made from a valid document, and what the error must name
/// besides the file's path.
struct Malformed {
    std::string what;
    std::function<std::string(json)> text;
    std::vector<std::string> message;
};

Malformed edited(std::string what, std::function<void(json&)> edit, std::vector<std::string> message)
{
    return {std::move(what), [edit](json document) { edit(document); return document.dump(); }, std::move(message)};
}

Malformed raw(std::string what, std::function<std::string(const std::string&)> text, std::vector<std::string> message)
{
    return {std::move(what), [text](const json& document) { return text(document.dump()); }, std::move(message)};
}

/// Writes each case next to `valid` (which must load) and checks its refusal.
void check_refusals(const json& valid, const std::vector<Malformed>& cases, const std::string& extension)
{
    const rtconv_test::TempDir dir("nam-malformed");
    REQUIRE_NOTHROW(rtconv::load_model(dir.write("valid" + extension, valid.dump())));
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const Malformed& c = cases[i];
        INFO("case: " << c.what);
        const auto path = dir.write("case" + std::to_string(i) + extension, c.text(valid));
        const std::string message = refusal(path);
        INFO("message: " << message);
        CHECK_THAT(message, Catch::Contains(path.string()));
        for (const auto& part : c.message) CHECK_THAT(message, Catch::Contains(part));
    }
}

/// A small valid WaveNetVA model: 2 residual channels, gated, filter width 2, dilations 1 and 2.
json wavenetva_document()
{
    json variables = json::array();
    int next = 0;
    const auto add = [&](int layer, const char* name, int size) {
        json data = json::array();
        for (int i = 0; i < size; ++i) data.push_back(0.05 * ((next++ % 13) - 6));
        variables.push_back({{"layer_idx", layer}, {"name", name}, {"data", data}});
    };
    add(-1, "W", 2);
    add(-1, "b", 2);
    for (int l = 0; l < 2; ++l) {
        add(l, "W_conv", 2 * 2 * 4);
        add(l, "b_conv", 4);
        add(l, "W_out", 2 * 2);
        add(l, "b_out", 2);
    }
    add(2, "W", 2 * 2);
    add(2, "b", 1);
    return {{"residual_channels", 2}, {"input_channels", 1}, {"output_channels", 1}, {"filter_width", 2},
            {"activation", "gated"},  {"dilations", {1, 2}},  {"variables", variables}};
}

/// The variable (layer_idx, name) of a WaveNetVA document.
json& variable(json& document, int layer, const std::string& name)
{
    json& variables = document["variables"];
    const auto it = std::find_if(variables.begin(), variables.end(),
                                 [&](const json& v) { return v["layer_idx"] == layer && v["name"] == name; });
    REQUIRE(it != variables.end());
    return *it;
}

/// `text` with `literal` where `edit` puts the marker it is given: for what nlohmann cannot write,
/// such as Python json.dump's NaN or an overflowing 1e999.
std::string with_literal(const std::string& text, const std::function<void(json&, const json&)>& edit,
                         const std::string& literal)
{
    const json marker = "literal goes here";
    json document = json::parse(text);
    edit(document, marker);
    std::string edited = document.dump();
    const std::string token = marker.dump();
    const std::size_t at = edited.find(token);
    REQUIRE(at != std::string::npos);
    return edited.replace(at, token.size(), literal);
}

} // namespace

TEST_CASE("NAM files with the newer keys match the PyTorch reference", "[nam]")
{
    const rtconv::Tensor input = rtconv::read_npy(kNamFixtures + "input.npy");
    const auto x = input.values<float>();
    const std::vector<float> signal(x.begin(), x.end());
    for (const Fixture& f : kFixtures) {
        DYNAMIC_SECTION(f.name)
        {
            rtconv::Sequential model = rtconv::load_model(kNamFixtures + f.name + ".nam");
            const rtconv::Tensor expected = rtconv::read_npy(kNamFixtures + f.name + ".npy");
            REQUIRE(expected.shape() == rtconv::Shape{2, signal.size()});
            const std::vector<float> fresh = tensor_row(expected, 0), prewarmed = tensor_row(expected, 1);

            const rtconv::ModelMetadata& meta = model.metadata();
            CHECK(meta.format == "nam");
            CHECK(meta.version == f.version);
            CHECK(meta.sample_rate == f.sample_rate);
            CHECK(meta.loudness == f.loudness);
            CHECK(meta.input_level_dbu == f.input_level_dbu);
            CHECK(meta.output_level_dbu == f.output_level_dbu);
            CHECK(meta.prewarm);

            SECTION("whole sequence") { require_close(whole_sequence(model, signal), fresh); }
            for (const std::size_t block : {1, 7}) {
                DYNAMIC_SECTION("blocks of " << block)
                {
                    require_close(rtconv_test::stream_mono(model, signal, false, 64, [block] { return block; }), fresh);
                    require_close(rtconv_test::stream_mono(model, signal, true, 64, [block] { return block; }), prewarmed);
                }
            }
            SECTION("random blocks")
            {
                std::mt19937 rng(7);
                std::uniform_int_distribution<std::size_t> size(1, 150);
                require_close(rtconv_test::stream_mono(model, signal, false, 64, [&] { return size(rng); }), fresh);
                require_close(rtconv_test::stream_mono(model, signal, true, 64, [&] { return size(rng); }), prewarmed);
            }
        }
    }
}

TEST_CASE("NAM files load with inactive FiLM keys, ungrouped convolutions and a null sample rate", "[nam]")
{
    json document = read_json(kNamFixtures + "mixed_layers.nam");
    json& array = document["config"]["layers"][0];
    array["conv_pre_film"] = {{"active", false}, {"shift", true}};
    array["conv_post_film"] = false;
    array["groups_input"] = 1;
    array["groups_input_mixin"] = 1;
    document["sample_rate"] = nullptr;
    const rtconv_test::TempDir dir("nam-accepted");
    const rtconv::Sequential model = rtconv::load_model(dir.write("accepted.nam", document.dump()));
    CHECK(model.metadata().sample_rate == 48000.0);
}

TEST_CASE("Malformed NAM files are refused naming the file and the field", "[nam]")
{
    const json valid = read_json(kNamFixtures + "mixed_layers.nam");
    const std::string needed = std::to_string(valid["weights"].size());
    const auto architecture = [](const char* name) {
        return edited(std::string("architecture ") + name, [name](json& d) { d["architecture"] = name; },
                      {"architecture", std::string("'") + name + "'"});
    };
    const auto weight_written_as = [](const char* literal, std::vector<std::string> message) {
        const auto text = [literal](const std::string& valid_text) {
            return with_literal(valid_text, [](json& d, const json& marker) { d["weights"][9] = marker; }, literal);
        };
        return raw(std::string("weight ") + literal, text, std::move(message));
    };
    const auto version = [](const char* v) {
        return edited(std::string("version ") + v, [v](json& d) { d["version"] = v; }, {"version", v});
    };
    // The classic keys (head_size, head_bias) come from the gated_classic fixture's first array.
    const json classic_arrays = json::array({read_json(kNamFixtures + "gated_classic.nam")["config"]["layers"][0]});
    const std::vector<Malformed> cases = {
        raw("truncated", [](const std::string& text) { return text.substr(0, text.size() / 2); }, {"not valid JSON"}),
        raw("empty", [](const std::string&) { return std::string(); }, {"not valid JSON", "empty"}),
        raw("not JSON", [](const std::string&) { return std::string("WaveNet 0.6.0\n"); }, {"not valid JSON"}),
        weight_written_as("1e999", {"not valid JSON", "overflow", "1e999"}),
        weight_written_as("NaN", {"not valid JSON"}), // as Python's json.dump writes it
        weight_written_as("-Infinity", {"not valid JSON"}),
        edited("channels a string", [](json& d) { d["config"]["layers"][0]["channels"] = "5"; },
               {"layer array 0", "config.layers[0].channels", "expected a 32-bit integer"}),
        edited("dilation a string", [](json& d) { d["config"]["layers"][1]["dilations"][1] = "3"; },
               {"layer array 1", "config.layers[1].dilations[1]"}),
        edited("kernel size a float", [](json& d) { d["config"]["layers"][0]["kernel_sizes"][2] = 4.5; },
               {"layer array 0", "config.layers[0].kernel_sizes[2]"}),
        edited("head_bias a number",
               [classic_arrays](json& d) {
                   d["config"]["layers"] = classic_arrays;
                   d["config"]["layers"][0]["head_bias"] = 1;
               },
               {"layer array 0", "config.layers[0].head_bias", "true or false"}),
        edited("config a list", [](json& d) { d["config"] = json::array(); }, {"config", "not an object"}),
        edited("layer array a list", [](json& d) { d["config"]["layers"][1] = json::array(); },
               {"layer array 1", "config.layers[1]", "layer-array object"}),
        edited("no layer arrays", [](json& d) { d["config"]["layers"] = json::array(); }, {"config.layers"}),
        edited("missing channels", [](json& d) { d["config"]["layers"][0].erase("channels"); },
               {"layer array 0", "config.layers[0].channels", "missing"}),
        edited("missing dilations", [](json& d) { d["config"]["layers"][1].erase("dilations"); },
               {"layer array 1", "config.layers[1].dilations"}),
        edited("missing kernel size", [](json& d) { d["config"]["layers"][1].erase("kernel_size"); },
               {"layer array 1", "config.layers[1].kernel_size", "missing"}),
        edited("missing activation", [](json& d) { d["config"]["layers"][1].erase("activation"); },
               {"layer array 1", "config.layers[1].activation", "missing"}),
        edited("missing head_size",
               [classic_arrays](json& d) {
                   d["config"]["layers"] = classic_arrays;
                   d["config"]["layers"][0].erase("head_size");
               },
               {"layer array 0", "config.layers[0].head_size", "missing"}),
        edited("missing weights", [](json& d) { d.erase("weights"); }, {"weights", "missing"}),
        edited("weights an object", [](json& d) { d["weights"] = json::object(); }, {"weights", "not a list"}),
        edited("one weight too few", [](json& d) { d["weights"].erase(d["weights"].size() - 1); },
               {"weights", "needs " + needed, "has " + std::to_string(valid["weights"].size() - 1)}),
        edited("one weight too many", [](json& d) { d["weights"].push_back(0.5); },
               {"weights", "needs " + needed, "has " + std::to_string(valid["weights"].size() + 1)}),
        edited("NaN weight string", [](json& d) { d["weights"][5] = "NaN"; }, {"weights[5]", "finite number"}),
        edited("null weight", [](json& d) { d["weights"][7] = nullptr; }, {"weights[7]", "finite number"}),
        architecture("LSTM"),
        architecture("ConvNet"),
        architecture("Linear"),
        architecture("SlimmableContainer"),
        edited("architecture a number", [](json& d) { d["architecture"] = 3; }, {"architecture", "'3'"}),
        version("0.4.0"),
        version("1.0.0"),
        edited("version a number", [](json& d) { d["version"] = 5; }, {"version", "major.minor.patch"}),
        edited("FiLM active", [](json& d) { d["config"]["layers"][0]["conv_pre_film"] = {{"active", true}, {"shift", true}}; },
               {"layer array 0", "config.layers[0].conv_pre_film", "FiLM"}),
        edited("groups_input 2", [](json& d) { d["config"]["layers"][0]["groups_input"] = 2; },
               {"layer array 0", "config.layers[0].groups_input", "grouped"}),
        edited("head1x1 groups 3", [](json& d) { d["config"]["layers"][0]["head1x1"]["groups"] = 3; },
               {"layer array 0", "config.layers[0].head1x1.groups", "grouped"}),
        edited("slimmable", [](json& d) { d["config"]["layers"][1]["slimmable"] = {{"method", "slice"}}; },
               {"layer array 1", "config.layers[1].slimmable"}),
        edited("gating_mode weird", [](json& d) { d["config"]["layers"][1]["gating_mode"] = "weird"; },
               {"layer array 1", "config.layers[1].gating_mode", "weird"}),
        edited("gating_mode list too short", [](json& d) { d["config"]["layers"][0]["gating_mode"].erase(3); },
               {"layer array 0", "config.layers[0].gating_mode", "one entry per layer (4)"}),
        edited("secondary_activation unknown", [](json& d) { d["config"]["layers"][0]["secondary_activation"][1] = "Gate"; },
               {"layer array 0", "config.layers[0].secondary_activation", "'Gate'"}),
        edited("unknown activation", [](json& d) { d["config"]["layers"][0]["activation"][2] = "Swishy"; },
               {"layer array 0", "config.layers[0].activation[2]", "unknown activation 'Swishy'"}),
        edited("activation without type", [](json& d) { d["config"]["layers"][1]["activation"] = {{"negative_slope", 0.1}}; },
               {"layer array 1", "config.layers[1].activation", "type"}),
        edited("LeakyReLU slope a string", [](json& d) { d["config"]["layers"][0]["activation"][0]["negative_slope"] = "0.2"; },
               {"layer array 0", "config.layers[0].activation[0]", "negative_slope"}),
        edited("PReLU slopes for 2 of 3 channels", [](json& d) { d["config"]["layers"][0]["activation"][1]["negative_slopes"].erase(2); },
               {"config", "layers[1].activation", "negative_slopes has 2 entries for 3 channels"}),
        edited("condition_size 2", [](json& d) { d["config"]["layers"][0]["condition_size"] = 2; },
               {"config", "arrays[0].condition_size"}),
        edited("array channel mismatch", [](json& d) { d["config"]["layers"][1]["input_size"] = 4; },
               {"config", "arrays[1].input_size", "previous array's channels (5)"}),
        edited("head channel mismatch", [](json& d) { d["config"]["layers"][1]["head1x1"]["out_channels"] = 3; },
               {"config", "arrays[1]", "head accumulator has 3 channels", "previous array's head gives 2"}),
        edited("layer1x1 off with a bottleneck", [](json& d) { d["config"]["layers"][0]["layer1x1"]["active"] = false; },
               {"config", "arrays[0].layer1x1", "bottleneck (3) must equal the channels (5)"}),
        edited("bottleneck 0", [](json& d) { d["config"]["layers"][0]["bottleneck"] = 0; },
               {"layer array 0", "config.layers[0].bottleneck", "positive"}),
        edited("negative dilation", [](json& d) { d["config"]["layers"][1]["dilations"][0] = -1; },
               {"config", "arrays[1].layers[0].dilation", "positive"}),
        edited("in_channels mismatch", [](json& d) { d["config"]["in_channels"] = 2; }, {"config.in_channels"}),
        edited("post-stack head", [](json& d) { d["config"]["head"] = {{"out_channels", 1}}; }, {"config.head"}),
        edited("condition_dsp", [](json& d) { d["config"]["condition_dsp"] = {{"architecture", "Linear"}}; },
               {"config.condition_dsp"}),
        edited("sample_rate a string", [](json& d) { d["sample_rate"] = "48000"; }, {"sample_rate"}),
        edited("sample_rate 0", [](json& d) { d["sample_rate"] = 0; }, {"sample_rate", "positive"}),
        edited("loudness a string", [](json& d) { d["metadata"] = {{"loudness", "-18"}}; }, {"metadata.loudness"}),
        // Absurd sizes: an error naming the field, not an allocation of gigabytes.
        edited("channels 1e6", [](json& d) { d["config"]["layers"][0]["channels"] = 1000000; },
               {"config", "arrays[0].channels", "at most 4096"}),
        edited("bottleneck 1e6", [](json& d) { d["config"]["layers"][0]["bottleneck"] = 1000000; },
               {"config", "arrays[0].bottleneck", "at most 4096"}),
        edited("kernel size 1e9", [](json& d) { d["config"]["layers"][0]["kernel_sizes"][0] = 1000000000; },
               {"config", "arrays[0].layers[0].kernel_size", "at most 1024"}),
        edited("head kernel size 1e9", [](json& d) { d["config"]["layers"][1]["head"]["kernel_size"] = 1000000000; },
               {"config", "arrays[1].head.kernel_size", "at most 1024"}),
        edited("dilation 2^31", [](json& d) { d["config"]["layers"][0]["dilations"][3] = 2147483648LL; },
               {"layer array 0", "config.layers[0].dilations[3]", "32-bit integer", "2147483648"}),
        edited("dilation 2^22 at kernel 3", [](json& d) { d["config"]["layers"][0]["dilations"][3] = 1 << 22; },
               {"config", "arrays[0].layers[3].dilation", "at most 4194304", "2 * 4194304"}),
        edited("4096 channels and bottleneck, kernel 1024",
               [](json& d) {
                   json& first = d["config"]["layers"][0];
                   first["channels"] = first["bottleneck"] = 4096;
                   first["kernel_sizes"][0] = 1024;
                   first["activation"][1] = "Tanh"; // not PReLU's 3 slopes
                   d["config"]["layers"][1]["input_size"] = 4096;
               },
               {"config", "weights, more than rtconv's limit of 67108864"}),
    };
    check_refusals(valid, cases, ".nam");
}

TEST_CASE("WaveNetVA files with numbers as strings load", "[wavenetva]")
{
    json document = wavenetva_document();
    json& bias = variable(document, 0, "b_conv");
    bias["data"][1] = "0.25";
    bias["data"][2] = "-1e-3";
    const rtconv_test::TempDir dir("wavenetva-strings");
    const rtconv::Sequential model = rtconv::load_model(dir.write("strings.json", document.dump()));
    CHECK(model.metadata().format == "wavenetva");
}

TEST_CASE("Malformed WaveNetVA files are refused naming the file and the field", "[wavenetva]")
{
    const json valid = wavenetva_document();
    const auto data = [](int layer, const char* name, std::size_t index, json value) {
        return [=](json& d) { variable(d, layer, name)["data"][index] = value; };
    };
    const std::vector<Malformed> cases = {
        raw("truncated", [](const std::string& text) { return text.substr(0, text.size() - 10); }, {"not valid JSON"}),
        raw("empty", [](const std::string&) { return std::string(); }, {"not valid JSON", "empty"}),
        raw("not JSON", [](const std::string&) { return std::string("{residual_channels: 2}"); }, {"not valid JSON"}),
        edited("residual_channels a string", [](json& d) { d["residual_channels"] = "2"; },
               {"residual_channels", "positive 32-bit integer"}),
        edited("filter_width 0", [](json& d) { d["filter_width"] = 0; }, {"filter_width", "positive"}),
        edited("missing input_channels", [](json& d) { d.erase("input_channels"); }, {"input_channels", "missing"}),
        edited("missing dilations", [](json& d) { d.erase("dilations"); }, {"dilations", "missing"}),
        edited("dilation a string", [](json& d) { d["dilations"][1] = "2"; }, {"dilations[1]", "positive"}),
        edited("dilation 2^31", [](json& d) { d["dilations"][1] = 2147483648LL; }, {"dilations[1]", "32-bit"}),
        edited("dilation 2^23", [](json& d) { d["dilations"][1] = 1 << 23; },
               {"arrays[0].layers[1].dilation", "at most 4194304"}),
        edited("residual_channels 1e6", [](json& d) { d["residual_channels"] = 1000000; },
               {"arrays[0].channels", "at most 4096"}),
        edited("unknown activation", [](json& d) { d["activation"] = "weird"; }, {"activation", "\"weird\""}),
        edited("missing variables", [](json& d) { d.erase("variables"); }, {"not a model file", "\"variables\""}),
        edited("variables an object", [](json& d) { d["variables"] = json::object(); }, {"variables", "not a list"}),
        edited("missing W_conv", [](json& d) { d["variables"].erase(6); }, {"layer 1", "W_conv", "missing (layer_idx 1)"}),
        edited("missing output bias", [](json& d) { d["variables"].erase(11); }, {"output layer", "b", "missing"}),
        edited("extra variable", [](json& d) { d["variables"].push_back({{"layer_idx", 0}, {"name", "W_skip"}, {"data", {1.0}}}); },
               {"variables", "unexpected variable 'W_skip' with layer_idx 0"}),
        edited("variable past the output layer", [](json& d) { d["variables"].push_back({{"layer_idx", 3}, {"name", "W"}, {"data", {1.0}}}); },
               {"variables", "unexpected variable 'W' with layer_idx 3"}),
        edited("one number too few", [](json& d) { variable(d, 0, "W_conv")["data"].erase(15); },
               {"layer 0", "W_conv", "expected 16 numbers, got 15"}),
        edited("one number too many", [](json& d) { variable(d, -1, "b")["data"].push_back(0.5); },
               {"input layer", "b", "expected 2 numbers, got 3"}),
        edited("NaN string", data(1, "b_out", 1, "NaN"), {"variables[9].data[1]", "finite number"}),
        edited("Inf string", data(0, "W_out", 0, "Inf"), {"variables[4].data[0]", "finite number"}),
        edited("-inf string", data(2, "W", 3, "-inf"), {"variables[10].data[3]", "finite number"}),
        edited("not a number string", data(0, "b_conv", 0, "0.5x"), {"variables[3].data[0]", "expected a number"}),
        edited("null number", data(0, "b_conv", 0, nullptr), {"variables[3].data[0]", "expected a number"}),
        raw("overflowing number",
            [](const std::string& text) {
                return with_literal(text, [](json& d, const json& marker) { variable(d, -1, "W")["data"][0] = marker; },
                                    "-1e999");
            },
            {"not valid JSON", "overflow", "1e999"}),
        edited("layer_idx a string", [](json& d) { d["variables"][2]["layer_idx"] = "0"; }, {"variables[2].layer_idx"}),
        edited("variable without name", [](json& d) { d["variables"][2].erase("name"); }, {"variables[2].name"}),
        edited("data not a list", [](json& d) { d["variables"][2]["data"] = 1.0; }, {"variables[2].data"}),
    };
    check_refusals(valid, cases, ".json");
}
