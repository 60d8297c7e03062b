// Sequential and the native model file (DESIGN §3): Keras 3 and Keras 2 forms written out by hand,
// outputs checked against values worked out on paper, save/load round trips, and the error
// messages of malformed files.
#include "temp_dir.hpp"

#include <rtconv/conv1d.hpp>
#include <rtconv/conv1d_transpose.hpp>
#include <rtconv/error.hpp>
#include <rtconv/model_file.hpp>
#include <rtconv/sequential.hpp>

#include <catch2/catch.hpp>

#include <fstream>
#include <functional>
#include <string>
#include <vector>

using nlohmann::json;
using rtconv::Sequential;
using rtconv::Shape;
using rtconv::Tensor;
using rtconv::TensorShape;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

// Keras 3 model.to_json() form. conv_a: causal Conv1D 1 -> 2, kernel 2, relu; conv_b: Conv1D
// 2 -> 1, kernel 1, no bias. Over x = [1, 2, 3] (x[-1] = 0 from the causal padding):
//   conv_a ch0 = 1*x[t-1] + 0.5*x[t] + 0    = 0.5, 2,   3.5
//   conv_a ch1 = -1*x[t-1] + 2*x[t] - 2.5   = -0.5, 0.5, 1.5 -> relu -> 0, 0.5, 1.5
//   conv_b     = ch0 + 2*ch1                = 0.5, 3,   6.5
const char* const keras3_model = R"({
  "module": "keras", "class_name": "Sequential",
  "config": {"name": "two_layers", "trainable": true,
    "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null},
    "layers": [
      {"module": "keras.layers", "class_name": "InputLayer",
       "config": {"batch_shape": [null, null, 1], "dtype": "float32", "sparse": false, "name": "input_layer"},
       "registered_name": null},
      {"module": "keras.layers", "class_name": "Conv1D",
       "config": {"name": "conv_a", "trainable": true,
         "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null},
         "filters": 2, "kernel_size": [2], "strides": [1], "padding": "causal", "data_format": "channels_last",
         "dilation_rate": [1], "groups": 1, "activation": "relu", "use_bias": true,
         "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null},
         "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
         "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null,
         "kernel_constraint": null, "bias_constraint": null},
       "registered_name": null, "build_config": {"input_shape": [null, null, 1]}},
      {"module": "keras.layers", "class_name": "Conv1D",
       "config": {"name": "conv_b", "trainable": true,
         "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null},
         "filters": 1, "kernel_size": [1], "strides": [1], "padding": "valid", "data_format": "channels_last",
         "dilation_rate": [1], "groups": 1, "activation": "linear", "use_bias": false,
         "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null},
         "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
         "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null,
         "kernel_constraint": null, "bias_constraint": null},
       "registered_name": null, "build_config": {"input_shape": [null, null, 2]}}],
    "build_input_shape": [null, null, 1]},
  "registered_name": null, "build_config": {"input_shape": [null, null, 1]},
  "weights": {
    "conv_a": [[[[1.0, -1.0]], [[0.5, 2.0]]], [0.0, -2.5]],
    "conv_b": [[[[1.0], [2.0]]]]
  }
})";

// Keras 2 form: no InputLayer, batch_input_shape in the first layer, plain dtype strings.
// c1: valid Conv1D, kernel [2, -1], bias 0.5: over [1, 2, 3] -> 2*1-2+0.5, 2*2-3+0.5 = 0.5, 1.5.
// t1: Conv1DTranspose, kernel [1, 3], strides 2, bias 0.25: out[2j + m] += in[j] * w[m]
//     -> 0.5*1, 0.5*3, 1.5*1, 1.5*3 = 0.5, 1.5, 1.5, 4.5, plus 0.25 = 0.75, 1.75, 1.75, 4.75.
const char* const keras2_model = R"({
  "class_name": "Sequential",
  "config": {"name": "k2", "layers": [
    {"class_name": "Conv1D", "config": {"name": "c1", "trainable": true, "batch_input_shape": [null, 3, 1],
      "dtype": "float32", "filters": 1, "kernel_size": [2], "strides": [1], "padding": "valid",
      "data_format": "channels_last", "dilation_rate": [1], "groups": 1, "activation": "linear", "use_bias": true,
      "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}},
      "bias_initializer": {"class_name": "Zeros", "config": {}},
      "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null,
      "kernel_constraint": null, "bias_constraint": null}},
    {"class_name": "Conv1DTranspose", "config": {"name": "t1", "trainable": true, "dtype": "float32",
      "filters": 1, "kernel_size": [2], "strides": [2], "padding": "valid", "output_padding": null,
      "data_format": "channels_last", "dilation_rate": [1], "activation": "linear", "use_bias": true,
      "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}},
      "bias_initializer": {"class_name": "Zeros", "config": {}},
      "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null,
      "kernel_constraint": null, "bias_constraint": null}}]},
  "keras_version": "2.13.1", "backend": "tensorflow",
  "weights": {"c1": [[[[2.0]], [[-1.0]]], [0.5]], "t1": [[[[1.0]], [[3.0]]], [0.25]]}
})";

Tensor column(std::vector<float> values)
{
    const std::size_t n = values.size();
    return Tensor(Shape{1, n, 1}, std::move(values));
}

std::vector<double> values_of(const Tensor& t)
{
    std::vector<double> out;
    for (std::size_t i = 0; i < t.size(); ++i) out.push_back(t.flat(i));
    return out;
}

Sequential load_text(const rtconv_test::TempDir& dir, const std::string& name, const std::string& text)
{
    return rtconv::load_model(dir.write(name, text));
}

std::string load_error(const rtconv_test::TempDir& dir, const std::string& text)
{
    try {
        load_text(dir, "bad_model.json", text);
    } catch (const rtconv::Error& e) {
        return e.what();
    }
    FAIL("the model file was accepted");
    return {};
}

rtconv::Conv1DOptions conv(const std::string& name, int filters, int kernel_size)
{
    rtconv::Conv1DOptions o;
    o.name = name;
    o.filters = filters;
    o.kernel_size = kernel_size;
    return o;
}

} // namespace

TEST_CASE("Sequential runs its layers in order", "[sequential]")
{
    // a: moving sum of two samples, [1, 2, 3, 4] -> [3, 5, 7]; b: times 2 -> [6, 10, 14].
    Sequential model("pair");
    model.add(rtconv::Conv1D(conv("a", 1, 2)));
    model.add(rtconv::Conv1D(conv("b", 1, 1)));
    model.set_input_shape({std::nullopt, std::nullopt, 1});
    model.get_layer("a").set_weights({Tensor(Shape{2, 1, 1}, std::vector<float>{1, 1}), Tensor(Shape{1}, std::vector<float>{0})});
    model.get_layer("b").set_weights({Tensor(Shape{1, 1, 1}, std::vector<float>{2}), Tensor(Shape{1}, std::vector<float>{0})});
    const Tensor y = model(column({1, 2, 3, 4}));
    CHECK(y.shape() == Shape{1, 3, 1});
    CHECK(values_of(y) == std::vector<double>{6, 10, 14});
}

TEST_CASE("Sequential builds from its input shape, eagerly as Keras does", "[sequential]")
{
    Sequential model;
    model.add(rtconv::Conv1D(conv("a", 4, 3)));
    model.add(rtconv::Conv1D(conv("b", 2, 1)));
    CHECK_FALSE(model.layers()[0]->built());
    CHECK_THROWS_WITH(model.count_params(), Contains("isn't built"));

    model.set_input_shape({std::nullopt, std::nullopt, 3});
    CHECK(model.layers()[0]->get_weights()[0].shape() == Shape{3, 3, 4});
    CHECK(model.layers()[1]->get_weights()[0].shape() == Shape{1, 4, 2});
    CHECK(model.count_params() == (3 * 3 * 4 + 4) + (1 * 4 * 2 + 2));

    // With the input known, a new layer is built as it is added.
    auto& c = model.add(rtconv::Conv1D(conv("c", 5, 2)));
    CHECK(c.built());
    CHECK(c.get_weights()[0].shape() == Shape{2, 2, 5});
}

TEST_CASE("Sequential takes its input shape from a first layer that fixes one", "[sequential]")
{
    rtconv::Conv1DOptions o = conv("first", 2, 2);
    o.batch_input_shape = TensorShape{std::nullopt, 10, 3};
    Sequential model;
    model.add(rtconv::Conv1D(o));
    REQUIRE(model.input_shape());
    CHECK(*model.input_shape() == TensorShape{std::nullopt, 10, 3});
    CHECK(model.count_params() == 2 * 3 * 2 + 2);
}

TEST_CASE("Sequential errors: duplicate names, unknown layers, nothing to run", "[sequential]")
{
    Sequential model("m");
    model.add(rtconv::Conv1D(conv("same_name", 1, 1)));
    CHECK_THROWS_WITH(model.add(rtconv::Conv1D(conv("same_name", 1, 1))), Contains("unique names") && Contains("same_name"));
    CHECK(model.layers().size() == 1);
    CHECK(model.get_layer("same_name").class_name() == "Conv1D");
    CHECK_THROWS_WITH(model.get_layer("nope"), Contains("No such layer: nope") && Contains("same_name"));
    CHECK_THROWS_WITH(Sequential("empty")(column({1})), Contains("empty") && Contains("no layers"));
}

TEST_CASE("model file: the Keras 3 form loads and computes the hand-derived output", "[model_file]")
{
    const rtconv_test::TempDir dir("model-file");
    Sequential model = load_text(dir, "keras3.json", keras3_model);
    CHECK(model.name() == "two_layers");
    REQUIRE(model.input_shape());
    CHECK(*model.input_shape() == TensorShape{std::nullopt, std::nullopt, 1});
    REQUIRE(model.layers().size() == 2);
    CHECK(model.layers()[0]->name() == "conv_a");
    CHECK(model.layers()[1]->get_weights().size() == 1); // use_bias false: the kernel only
    CHECK(model.count_params() == (2 * 1 * 2 + 2) + (1 * 2 * 1));

    const Tensor y = model(column({1, 2, 3}));
    CHECK(y.shape() == Shape{1, 3, 1});
    CHECK(values_of(y) == std::vector<double>{0.5, 3.0, 6.5});
}

TEST_CASE("model file: the Keras 2 forms load and compute the hand-derived output", "[model_file]")
{
    const rtconv_test::TempDir dir("model-file");
    Sequential model = load_text(dir, "keras2.json", keras2_model);
    CHECK(model.name() == "k2");
    REQUIRE(model.input_shape());
    CHECK(*model.input_shape() == TensorShape{std::nullopt, 3, 1});
    CHECK(model.layers()[1]->class_name() == "Conv1DTranspose");
    const Tensor y = model(column({1, 2, 3}));
    CHECK(y.shape() == Shape{1, 4, 1});
    CHECK(values_of(y) == std::vector<double>{0.75, 1.75, 1.75, 4.75});

    // Keras 2 before 2.2: "config" is the bare layer list; Convolution1D is Conv1D's old name;
    // an InputLayer with batch_input_shape gives the input.
    json old = json::parse(keras2_model);
    json layers = old["config"]["layers"];
    layers.erase(1);
    layers[0]["class_name"] = "Convolution1D";
    layers[0]["config"].erase("batch_input_shape");
    layers.insert(layers.begin(),
                  json::parse(R"({"class_name": "InputLayer", "config": {"batch_input_shape": [null, null, 1]}})"));
    old["config"] = layers;
    old["weights"].erase("t1");
    Sequential old_model = load_text(dir, "keras2-old.json", old.dump());
    CHECK(old_model.name() == "sequential");
    CHECK(*old_model.input_shape() == TensorShape{std::nullopt, std::nullopt, 1});
    CHECK(values_of(old_model(column({1, 2, 3}))) == std::vector<double>{0.5, 1.5});
}

TEST_CASE("model file: without any input shape, the input channels come from the first kernel", "[model_file]")
{
    const rtconv_test::TempDir dir("model-file");
    json doc = json::parse(keras3_model);
    auto& layers = doc["config"]["layers"];
    layers.erase(0); // the InputLayer
    doc["config"].erase("build_input_shape");
    doc.erase("build_config");
    for (auto& layer : layers) layer.erase("build_config");

    SECTION("Conv1D with groups: in = kernel.shape[1] * groups")
    {
        layers[0]["config"]["groups"] = 2;
        layers[0]["config"]["kernel_size"] = json::parse("[1]");
        doc["weights"]["conv_a"] = json::parse("[[[[1.0, -1.0], [0.5, 2.0]]], [0.0, -2.5]]"); // kernel (1, 2, 2)
        const Sequential model = load_text(dir, "groups.json", doc.dump());
        CHECK(*model.input_shape() == TensorShape{std::nullopt, std::nullopt, 4});
    }
    SECTION("Conv1DTranspose: in = kernel.shape[2]; channels_first puts channels at axis 1")
    {
        doc["config"]["layers"] = json::array({layers[1]});
        auto& t = doc["config"]["layers"][0];
        t["class_name"] = "Conv1DTranspose";
        t["config"]["name"] = "t";
        t["config"]["data_format"] = "channels_first";
        t["config"].erase("groups");
        doc["weights"] = json::parse(R"({"t": [[[[1.0, 2.0, 3.0]]]]})"); // kernel (1, 1, 3)
        const Sequential model = load_text(dir, "transpose.json", doc.dump());
        CHECK(*model.input_shape() == TensorShape{std::nullopt, 3, std::nullopt});
    }
}

TEST_CASE("model file: save then load gives identical configs, weights and outputs", "[model_file]")
{
    const rtconv_test::TempDir dir("model-file");
    Sequential original = load_text(dir, "keras3.json", keras3_model);
    rtconv::save_model(original, dir / "saved.json");
    Sequential loaded = rtconv::load_model(dir / "saved.json");

    CHECK(loaded.name() == original.name());
    CHECK(loaded.input_shape() == original.input_shape());
    REQUIRE(loaded.layers().size() == original.layers().size());
    for (std::size_t i = 0; i < loaded.layers().size(); ++i) {
        CHECK(loaded.layers()[i]->get_config() == original.layers()[i]->get_config());
        const auto a = original.layers()[i]->get_weights(), b = loaded.layers()[i]->get_weights();
        REQUIRE(a.size() == b.size());
        for (std::size_t w = 0; w < a.size(); ++w) {
            CHECK(a[w].shape() == b[w].shape());
            CHECK(values_of(a[w]) == values_of(b[w]));
        }
    }
    CHECK(values_of(loaded(column({1, 2, 3}))) == std::vector<double>{0.5, 3.0, 6.5});

    // The saved file is the Keras 3 form: InputLayer first, build_config, registered_name.
    const json saved = json::parse(std::ifstream(dir / "saved.json"));
    CHECK(saved["class_name"] == "Sequential");
    CHECK(saved["config"]["layers"][0]["class_name"] == "InputLayer");
    CHECK(saved["config"]["layers"][0]["config"]["batch_shape"] == json::array({nullptr, nullptr, 1}));
    CHECK(saved["config"]["layers"][2]["build_config"]["input_shape"] == json::array({nullptr, nullptr, 2}));
    CHECK(saved["config"]["layers"][1].contains("registered_name"));
}

TEST_CASE("model file: float64 weights survive save and load bit for bit", "[model_file]")
{
    const rtconv_test::TempDir dir("model-file");
    rtconv::Conv1DOptions o = conv("precise", 1, 2);
    o.dtype = "float64";
    Sequential model("precise_model");
    model.add(rtconv::Conv1D(o));
    model.set_input_shape({std::nullopt, std::nullopt, 1});
    model.get_layer("precise").set_weights(
        {Tensor(Shape{2, 1, 1}, std::vector<double>{1.0 / 3.0, 0.1}), Tensor(Shape{1}, std::vector<double>{-2.0 / 7.0})});
    rtconv::save_model(model, dir / "precise.json");
    const Sequential loaded = rtconv::load_model(dir / "precise.json");
    const auto w = loaded.layers()[0]->get_weights();
    CHECK(loaded.layers()[0]->dtype() == rtconv::DType::float64);
    CHECK(w[0].flat(0) == 1.0 / 3.0);
    CHECK(w[0].flat(1) == 0.1);
    CHECK(w[1].flat(0) == -2.0 / 7.0);
}

TEST_CASE("model file: a model that is not built cannot be saved", "[model_file]")
{
    const rtconv_test::TempDir dir("model-file");
    Sequential model("unbuilt");
    model.add(rtconv::Conv1D(conv("lazy", 1, 2)));
    CHECK_THROWS_WITH(rtconv::save_model(model, dir / "x.json"), Contains("lazy") && Contains("not built"));
}

TEST_CASE("model file: malformed files name the file, the layer and the field", "[model_file]")
{
    const rtconv_test::TempDir dir("model-file");
    struct Case {
        const char* what;
        std::function<void(json&)> change;
        std::vector<std::string> expected; // besides the file name
    };
    const std::vector<Case> cases = {
        {"missing weights", [](json& d) { d.erase("weights"); }, {"layer 'conv_a' (Conv1D)", "weights", "no top-level"}},
        {"weights not an object", [](json& d) { d["weights"] = json::array(); }, {"weights", "expected an object"}},
        {"layer missing in weights", [](json& d) { d["weights"].erase("conv_b"); },
         {"layer 'conv_b' (Conv1D)", "weights[\"conv_b\"]", "missing"}},
        {"extra weights entry", [](json& d) { d["weights"]["ghost"] = json::array(); },
         {"weights[\"ghost\"]", "no layer of this name"}},
        {"wrong weight count", [](json& d) { d["weights"]["conv_a"].erase(1); },
         {"layer 'conv_a'", "weights[\"conv_a\"]", "expected a list of 2 arrays", "got 1 arrays"}},
        {"wrong shape", [](json& d) { d["weights"]["conv_a"][0] = json::parse("[[[1.0, -1.0]]]"); },
         {"layer 'conv_a'", "weights[\"conv_a\"][0]", "(2, 1, 2)", "(1, 1, 2)"}},
        {"ragged list", [](json& d) { d["weights"]["conv_a"][0][1] = json::parse("[[0.5]]"); },
         {"layer 'conv_a'", "weights[\"conv_a\"][0][1][0]", "ragged"}},
        {"string weight", [](json& d) { d["weights"]["conv_a"][0][1][0][1] = "x"; },
         {"layer 'conv_a'", "weights[\"conv_a\"][0][1][0][1]", "expected a number"}},
        {"NaN written as a string", [](json& d) { d["weights"]["conv_a"][1][0] = "NaN"; },
         {"layer 'conv_a'", "weights[\"conv_a\"][1][0]", "expected a number", "\"NaN\""}},
        {"null weight", [](json& d) { d["weights"]["conv_b"][0][0][1][0] = nullptr; },
         {"layer 'conv_b'", "weights[\"conv_b\"][0][0][1][0]", "expected a number"}},
        {"boolean weight", [](json& d) { d["weights"]["conv_b"][0][0][0][0] = true; },
         {"layer 'conv_b'", "weights[\"conv_b\"][0][0][0][0]", "expected a number"}},
        {"unknown layer class", [](json& d) { d["config"]["layers"][1]["class_name"] = "LSTM"; },
         {"layer 'conv_a' (LSTM)", "class_name", "unsupported layer class 'LSTM'"}},
        {"kernel_size of the wrong type", [](json& d) { d["config"]["layers"][1]["config"]["kernel_size"] = "three"; },
         {"layer 'conv_a' (Conv1D)", "config", "kernel_size"}},
        {"negative kernel_size", [](json& d) { d["config"]["layers"][2]["config"]["kernel_size"] = {-3}; },
         {"layer 'conv_b' (Conv1D)", "config", "kernel_size"}},
        {"missing filters", [](json& d) { d["config"]["layers"][1]["config"].erase("filters"); },
         {"layer 'conv_a' (Conv1D)", "config", "filters"}},
        {"unknown padding", [](json& d) { d["config"]["layers"][1]["config"]["padding"] = "full"; },
         {"layer 'conv_a' (Conv1D)", "config", "padding"}},
        {"duplicate layer names", [](json& d) { d["config"]["layers"][2]["config"]["name"] = "conv_a"; },
         {"layer 'conv_a' (Conv1D)", "unique names"}},
        {"InputLayer not first", [](json& d) { d["config"]["layers"].push_back(d["config"]["layers"][0]); },
         {"config.layers[3]", "InputLayer may only come first"}},
        {"bad batch_shape", [](json& d) { d["config"]["layers"][0]["config"]["batch_shape"] = "abc"; },
         {"config.layers[0].config.batch_shape", "expected a shape"}},
        {"layer without class_name", [](json& d) { d["config"]["layers"][2].erase("class_name"); },
         {"config.layers[2].class_name", "missing"}},
        {"not a Sequential", [](json& d) { d["class_name"] = "Functional"; }, {"class_name", "Sequential", "Functional"}},
        {"no layer list", [](json& d) { d["config"].erase("layers"); }, {"config.layers", "missing"}},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        json doc = json::parse(keras3_model);
        c.change(doc);
        const std::string message = load_error(dir, doc.dump());
        CHECK_THAT(message, StartsWith((dir / "bad_model.json").string() + ": "));
        CHECK(message.find('\n') == std::string::npos);
        for (const auto& part : c.expected) CHECK_THAT(message, Contains(part));
    }
}

TEST_CASE("model file: text that is not JSON is named as such", "[model_file]")
{
    const rtconv_test::TempDir dir("model-file");
    const std::string file = (dir / "bad_model.json").string();
    const std::string whole = keras3_model;
    CHECK(load_error(dir, "") == file + ": not valid JSON: the file is empty");
    CHECK(load_error(dir, " \n\t") == file + ": not valid JSON: the file is empty");
    CHECK_THAT(load_error(dir, "hello"), StartsWith(file + ": not valid JSON: ") && Contains("line 1"));
    CHECK_THAT(load_error(dir, whole.substr(0, whole.size() / 2)), StartsWith(file + ": not valid JSON: "));
    // Python's json.dumps writes NaN, which is not JSON.
    CHECK_THAT(load_error(dir, R"({"class_name": "Sequential", "weights": {"a": [NaN]}})"),
               StartsWith(file + ": not valid JSON: "));
    CHECK_THAT(load_error(dir, "[1, 2]"), StartsWith(file + ": not a model file rtconv reads: ") && Contains("NAM"));
    CHECK_THROWS_WITH(rtconv::load_model(dir / "absent.json"), Contains("absent.json") && Contains("cannot open"));
}

TEST_CASE("model file: a failed load leaves an earlier model as it was", "[model_file]")
{
    const rtconv_test::TempDir dir("model-file");
    Sequential model = load_text(dir, "good.json", keras3_model);
    json bad = json::parse(keras3_model);
    bad["weights"]["conv_b"][0][0][1][0] = "oops";
    CHECK_THROWS_AS(model = load_text(dir, "bad.json", bad.dump()), rtconv::Error);
    CHECK(model.name() == "two_layers");
    CHECK(values_of(model(column({1, 2, 3}))) == std::vector<double>{0.5, 3.0, 6.5});
}
