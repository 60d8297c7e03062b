// RTNeural's JSON models: the fixtures of python/make_rtneural_fixtures.py (each model in
// RTNeural's format and as a native Keras file, with PyTorch's output) run whole and streamed,
// and malformed files whose errors must name the file, the layer and the field.
#include <rtconv/error.hpp>
#include <rtconv/model_file.hpp>
#include <rtconv/stream.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

using nlohmann::json;
using Catch::Matchers::Contains;

namespace {

const std::string fixtures = RTCONV_FIXTURES_DIR "/rtneural/";

json read_json(const std::string& path)
{
    std::ifstream in(path);
    REQUIRE(in.good());
    return json::parse(in);
}

/// Largest |actual - expected| / max(1, |expected|).
double worst_error(const std::vector<double>& actual, const std::vector<double>& expected)
{
    REQUIRE(actual.size() == expected.size());
    double worst = 0.0;
    for (std::size_t i = 0; i < expected.size(); ++i)
        worst = std::max(worst, std::abs(actual[i] - expected[i]) / std::max(1.0, std::abs(expected[i])));
    return worst;
}

template <class T> std::vector<double> run_whole(rtconv::Sequential& model, const json& c)
{
    const auto steps = c["steps"].get<std::size_t>(), channels = c["input_channels"].get<std::size_t>();
    const rtconv::Tensor x({1, steps, channels}, c["input"].get<std::vector<T>>());
    const rtconv::Tensor y = model(x);
    REQUIRE(y.shape() == rtconv::Shape{1, steps, c["output_channels"].get<std::size_t>()});
    std::vector<double> out(y.size());
    for (std::size_t i = 0; i < y.size(); ++i) out[i] = y.flat(i);
    return out;
}

/// Streams the input in random block sizes (some longer than max_block_size).
template <class T> std::vector<double> run_stream(const rtconv::Sequential& model, const json& c, unsigned seed)
{
    rtconv::BasicModelStream<T> stream(model);
    stream.prepare({.sample_rate = 48000, .max_block_size = 32, .channels = 1});
    REQUIRE(stream.latency() == 0);
    const auto input = c["input"].get<std::vector<T>>();
    const auto cin = c["input_channels"].get<std::size_t>(), cout = c["output_channels"].get<std::size_t>();
    const std::size_t steps = input.size() / cin;
    std::vector<double> out;
    std::vector<T> block_out;
    std::mt19937 random(seed);
    for (std::size_t done = 0; done < steps;) {
        const std::size_t n = std::min<std::size_t>(steps - done, std::uniform_int_distribution<std::size_t>(1, 45)(random));
        block_out.assign(stream.max_output_frames(n) * cout, T(0));
        const T* in = input.data() + done * cin;
        T* block = block_out.data();
        const std::size_t m = stream.process(&in, &block, n);
        REQUIRE(m == n);
        out.insert(out.end(), block_out.begin(), block_out.begin() + static_cast<std::ptrdiff_t>(m * cout));
        done += n;
    }
    return out;
}

} // namespace

TEST_CASE("RTNeural fixtures load with their layers and the rtneural format", "[rtneural]")
{
    const json cases = read_json(fixtures + "cases.json")["cases"];
    REQUIRE(cases.size() == 3);
    const rtconv::Sequential model = rtconv::load_model(fixtures + "rtneural_conv_example.rtneural.json");
    CHECK(model.metadata().format == "rtneural");
    std::vector<std::string> classes;
    for (const auto& layer : model.layers()) classes.push_back(layer->class_name());
    CHECK(classes == std::vector<std::string>{"Dense", "Conv1D", "BatchNormalization", "PReLU", "Conv1D", "Conv1D",
                                              "BatchNormalization", "PReLU", "Dense"});
    CHECK(model.layers()[1]->name() == "conv1d_1");
    CHECK(model.layers()[1]->get_config()["padding"] == "causal");
    CHECK(model.layers()[6]->variables().size() == 2); // [moving_mean, moving_variance]: no center, no scale
    CHECK(model.layers()[7]->get_config()["shared_axes"] == json::array({1, 2}));
    CHECK(rtconv::load_model(fixtures + "rtneural_conv_example.keras.json").metadata().format == "keras");
}

TEST_CASE("RTNeural and native Keras files give PyTorch's output, whole and streamed", "[rtneural][stream]")
{
    const json cases = read_json(fixtures + "cases.json")["cases"];
    REQUIRE(cases.size() == 3);
    for (const auto& c : cases) {
        const auto expected = c["output"].get<std::vector<double>>();
        for (const std::string file : {c["rtneural"].get<std::string>(), c["keras"].get<std::string>()}) {
            INFO("model " << file);
            rtconv::Sequential model = rtconv::load_model(fixtures + file);
            CHECK(worst_error(run_whole<float>(model, c), expected) <= 1e-5);
            for (unsigned seed : {1u, 2u, 3u}) {
                INFO("block seed " << seed);
                CHECK(worst_error(run_stream<float>(model, c, seed), expected) <= 1e-5);
                CHECK(worst_error(run_stream<double>(model, c, seed), expected) <= 1e-12);
            }
        }
    }
}

namespace {

json filled(std::vector<std::size_t> shape, double value)
{
    if (shape.empty()) return value;
    const std::size_t n = shape.front();
    shape.erase(shape.begin());
    json list = json::array();
    for (std::size_t i = 0; i < n; ++i) list.push_back(filled(shape, value));
    return list;
}

/// A valid model: conv1d 1 -> 4 (k 3, d 2), prelu, batchnorm, dense 4 -> 1, activation.
json valid_model()
{
    return {{"in_shape", {nullptr, nullptr, 1}},
            {"layers",
             {{{"type", "conv1d"}, {"activation", "tanh"}, {"shape", {nullptr, nullptr, 4}}, {"kernel_size", {3}},
               {"dilation", {2}}, {"weights", {filled({3, 1, 4}, 0.1), filled({4}, 0.0)}}},
              {{"type", "prelu"}, {"activation", ""}, {"shape", {nullptr, nullptr, 4}},
               {"weights", {filled({1, 4}, 0.2)}}},
              {{"type", "batchnorm"}, {"activation", ""}, {"shape", {nullptr, nullptr, 4}}, {"epsilon", 0.001},
               {"weights", {filled({4}, 1.0), filled({4}, 0.0), filled({4}, 0.0), filled({4}, 1.0)}}},
              {{"type", "dense"}, {"activation", ""}, {"shape", {nullptr, nullptr, 1}},
               {"weights", {filled({4, 1}, 0.5), filled({1}, 0.0)}}},
              {{"type", "activation"}, {"activation", "sigmoid"}, {"shape", {nullptr, nullptr, 1}},
               {"weights", json::array()}}}}};
}

} // namespace

TEST_CASE("a hand-made RTNeural model computes its hand-derived output", "[rtneural]")
{
    // x = 1 at every step: conv taps at t, t-2, t-4 are 0.1 each (zeros before the start), tanh;
    // prelu leaves positives; batchnorm is x / sqrt(1.001); dense sums 4 channels * 0.5; sigmoid.
    rtconv::Sequential model = rtconv::model_from_json(valid_model(), "hand.json");
    const rtconv::Tensor y = model(rtconv::Tensor({1, 5, 1}, std::vector<float>(5, 1.0f)));
    for (std::size_t t = 0; t < 5; ++t) {
        const double taps = t >= 4 ? 3 : t >= 2 ? 2 : 1;
        const double dense = 4 * 0.5 * std::tanh(0.1 * taps) / std::sqrt(1.001);
        CHECK(y.flat(t) == Approx(1.0 / (1.0 + std::exp(-dense))).epsilon(1e-6));
    }
}

TEST_CASE("RTNeural dense and conv1d entries exported without a bias load with one array", "[rtneural]")
{
    json document = valid_model();
    document["layers"][0]["weights"] = json::array({filled({3, 1, 4}, 0.1)});
    document["layers"][3]["weights"] = json::array({filled({4, 1}, 0.5)});
    const rtconv::Sequential model = rtconv::model_from_json(document, "no_bias.json");
    CHECK(model.layers()[0]->variables().size() == 1);
    CHECK(model.layers()[3]->get_config()["use_bias"] == false);
}

TEST_CASE("malformed RTNeural files name the file, the layer and the field", "[rtneural][errors]")
{
    struct Case {
        const char* what;
        std::function<void(json&)> change;
        std::vector<std::string> message_parts;
    };
    const std::vector<Case> cases = {
        {"gru", [](json& d) { d["layers"][1]["type"] = "gru"; },
         {"layers[1].type", "unsupported layer 'gru' (RTNeural layer 1): rtconv runs", "recurrent"}},
        {"lstm", [](json& d) { d["layers"][3]["type"] = "lstm"; },
         {"layers[3].type", "unsupported layer 'lstm' (RTNeural layer 3)", "recurrent"}},
        {"conv2d", [](json& d) { d["layers"][0]["type"] = "conv2d"; },
         {"layers[0].type", "unsupported layer 'conv2d' (RTNeural layer 0)", "2-D"}},
        {"unknown type", [](json& d) { d["layers"][2]["type"] = "flux"; },
         {"layers[2].type", "unsupported layer 'flux' (RTNeural layer 2)"}},
        {"type missing", [](json& d) { d["layers"][2].erase("type"); }, {"layers[2].type", "missing"}},
        {"weights missing", [](json& d) { d["layers"][0].erase("weights"); },
         {"RTNeural layer 0 (conv1d)", "weights: missing"}},
        {"kernel of the wrong shape", [](json& d) { d["layers"][0]["weights"][0] = filled({3, 2, 4}, 0.1); },
         {"RTNeural layer 0 (conv1d)", "weights[0]", "expected 'kernel' of shape (3, 1, 4)", "(3, 2, 4)"}},
        {"too many arrays", [](json& d) { d["layers"][0]["weights"].push_back(filled({4}, 0.0)); },
         {"RTNeural layer 0 (conv1d)", "weights: expected a list of 2 arrays"}},
        {"a weight that is no number", [](json& d) { d["layers"][3]["weights"][0][2][0] = "x"; },
         {"RTNeural layer 3 (dense)", "weights[0][2][0]", "expected a number"}},
        {"dense kernel of the wrong shape", [](json& d) { d["layers"][3]["weights"][0] = filled({3, 1}, 0.5); },
         {"RTNeural layer 3 (dense)", "weights[0]", "expected 'kernel' of shape (4, 1)"}},
        {"alpha of the wrong shape", [](json& d) { d["layers"][1]["weights"][0] = filled({1, 3}, 0.2); },
         {"RTNeural layer 1 (prelu)", "weights[0]", "expected 'alpha' of shape (1, 4)"}},
        {"batchnorm with 3 arrays", [](json& d) { d["layers"][2]["weights"].erase(0); },
         {"RTNeural layer 2 (batchnorm)", "weights: expected a list of 4 arrays"}},
        {"batchnorm without epsilon", [](json& d) { d["layers"][2].erase("epsilon"); },
         {"RTNeural layer 2 (batchnorm)", "epsilon: missing"}},
        {"epsilon of the wrong type", [](json& d) { d["layers"][2]["epsilon"] = "small"; },
         {"RTNeural layer 2 (batchnorm)", "epsilon: expected a number"}},
        {"kernel_size missing", [](json& d) { d["layers"][0].erase("kernel_size"); },
         {"RTNeural layer 0 (conv1d)", "kernel_size: missing"}},
        {"kernel_size of the wrong type", [](json& d) { d["layers"][0]["kernel_size"] = "three"; },
         {"RTNeural layer 0 (conv1d)", "kernel_size", "must be an integer"}},
        {"dilation zero", [](json& d) { d["layers"][0]["dilation"] = {0}; },
         {"RTNeural layer 0 (conv1d)", "dilation: expected a positive integer"}},
        {"groups", [](json& d) { d["layers"][0]["groups"] = 2; }, {"RTNeural layer 0 (conv1d)", "groups"}},
        {"unknown activation", [](json& d) { d["layers"][0]["activation"] = "gelu"; },
         {"RTNeural layer 0 (conv1d)", "activation: unknown activation 'gelu'"}},
        {"unknown activation of an activation layer", [](json& d) { d["layers"][4]["activation"] = "swish"; },
         {"RTNeural layer 4 (activation)", "activation: unknown activation 'swish'"}},
        {"activation of the wrong type", [](json& d) { d["layers"][3]["activation"] = 3; },
         {"RTNeural layer 3 (dense)", "activation: expected an activation name"}},
        {"shape missing", [](json& d) { d["layers"][3].erase("shape"); },
         {"RTNeural layer 3 (dense)", "shape: missing"}},
        {"shape contradicting the layer", [](json& d) { d["layers"][1]["shape"] = {nullptr, nullptr, 3}; },
         {"RTNeural layer 1 (prelu)", "shape: says 3 output channels; the layer gives 4"}},
        {"in_shape missing", [](json& d) { d.erase("in_shape"); },
         {"in_shape: missing"}},
        {"in_shape of the wrong type", [](json& d) { d["in_shape"] = "mono"; }, {"in_shape: expected"}},
        {"a conv2d model's in_shape", [](json& d) { d["in_shape"] = {nullptr, nullptr, 4, 1}; },
         {"in_shape", "1-D"}},
        {"layers not a list", [](json& d) { d["layers"] = json::object(); }, {"layers: missing or not a list"}},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        json document = valid_model();
        c.change(document);
        try {
            rtconv::model_from_json(document, "bad.json");
            FAIL("no error");
        } catch (const rtconv::Error& e) {
            const std::string message = e.what();
            INFO(message);
            CHECK(message.rfind("bad.json: ", 0) == 0);
            for (const auto& part : c.message_parts) CHECK_THAT(message, Contains(part));
        }
    }
}
