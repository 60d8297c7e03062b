// Dense, BatchNormalization, PReLU and Activation: hand-derived outputs, Keras 3 config keys,
// Keras' weight shapes and order, shape errors, the native model file, and streaming.
#include <rtconv/activation_layer.hpp>
#include <rtconv/batch_normalization.hpp>
#include <rtconv/dense.hpp>
#include <rtconv/error.hpp>
#include <rtconv/model_file.hpp>
#include <rtconv/prelu.hpp>
#include <rtconv/stream.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <set>
#include <string>
#include <vector>

using nlohmann::json;
using rtconv::Shape;
using rtconv::Tensor;
using rtconv::TensorShape;
using Catch::Matchers::Contains;

namespace {

std::set<std::string> keys_of(const json& config)
{
    std::set<std::string> keys;
    for (const auto& item : config.items()) keys.insert(item.key());
    return keys;
}

std::vector<double> values_of(const Tensor& t)
{
    std::vector<double> v(t.size());
    for (std::size_t i = 0; i < t.size(); ++i) v[i] = t.flat(i);
    return v;
}

const std::set<std::string> base_keys = {"name", "trainable", "dtype"};

std::set<std::string> with_base(std::set<std::string> keys)
{
    keys.insert(base_keys.begin(), base_keys.end());
    return keys;
}

} // namespace

TEST_CASE("Dense maps each frame's channels through kernel (in, units) plus bias", "[dense]")
{
    rtconv::Dense dense({.units = 2});
    dense.build({std::nullopt, std::nullopt, 3});
    CHECK(dense.get_weights()[0].shape() == Shape{3, 2});
    CHECK(dense.variables()[1].name == "bias");
    dense.set_weights({Tensor({3, 2}, std::vector<float>{1, 2, 3, 4, 5, 6}), Tensor({2}, std::vector<float>{0.5f, -0.5f})});
    // frame [1, 0, -1]: 1*1 - 5 + 0.5, 1*2 - 6 - 0.5; frame [2, 1, 0]: 2 + 3 + 0.5, 4 + 4 - 0.5.
    const Tensor y = dense(Tensor({1, 2, 3}, std::vector<float>{1, 0, -1, 2, 1, 0}));
    CHECK(y.shape() == Shape{1, 2, 2});
    CHECK(values_of(y) == std::vector<double>{-3.5, -4.5, 5.5, 7.5});
    // Any rank >= 2: the last axis is the one mapped, as Keras' tensordot.
    CHECK(values_of(dense(Tensor({1, 3}, std::vector<float>{1, 0, -1}))) == std::vector<double>{-3.5, -4.5});

    rtconv::Dense gated({.units = 4, .activation = "glu", .use_bias = false});
    CHECK(gated.compute_output_shape({2, 7, 3}) == TensorShape{2, 7, 2});
    gated.build({std::nullopt, std::nullopt, 1});
    gated.set_weights({Tensor({1, 4}, std::vector<float>{1, 2, 0, 0})});
    CHECK(values_of(gated(Tensor({1, 1, 1}, std::vector<float>{2}))) == std::vector<double>{1, 2}); // x * sigmoid(0)
}

TEST_CASE("Dense config has Keras 3's keys and round-trips", "[dense][config]")
{
    rtconv::Dense dense({.units = 3, .activation = "relu", .kernel_regularizer = rtconv::Regularizer("l2"),
                         .name = "d"});
    const json config = dense.get_config();
    CHECK(keys_of(config) == with_base({"units", "activation", "use_bias", "kernel_initializer", "bias_initializer",
                                        "kernel_regularizer", "bias_regularizer", "kernel_constraint",
                                        "bias_constraint"}));
    CHECK(config["units"] == 3);
    CHECK(config["activation"] == "relu");
    CHECK(rtconv::Dense::from_config(config).get_config() == config);
    // Keras 2: plain dtype string, activity_regularizer present.
    const json keras2 = {{"name", "d2"}, {"trainable", true}, {"dtype", "float64"}, {"units", 2},
                         {"activation", "linear"}, {"use_bias", false}, {"activity_regularizer", nullptr}};
    const rtconv::Dense old = rtconv::Dense::from_config(keras2);
    CHECK(old.dtype() == rtconv::DType::float64);
    CHECK_FALSE(old.options().use_bias);
}

TEST_CASE("Dense errors name the argument, the layer and the shape", "[dense][errors]")
{
    CHECK_THROWS_WITH(rtconv::Dense({.units = 0}),
                      "Received an invalid value for `units`, expected a positive integer. Received: units=0");
    CHECK_THROWS_WITH(rtconv::Dense::from_config({{"name", "x"}}), "Layer config is missing 'units'");
    rtconv::Dense dense({.units = 2, .name = "dd"});
    CHECK_THROWS_WITH(dense(Tensor({3}, rtconv::DType::float32)),
                      Contains("Input 0 of layer \"dd\" is incompatible with the layer: expected min_ndim=2, found ndim=1"));
    dense.build({std::nullopt, std::nullopt, 4});
    CHECK_THROWS_WITH(dense(Tensor({1, 5, 3}, rtconv::DType::float32)),
                      Contains("expected axis -1 of input shape to have value 4, but received input with shape (1, 5, 3)"));
    CHECK_THROWS_WITH(dense.set_weights({Tensor({3, 2}), Tensor({2})}),
                      Contains("weight shape (4, 2) is not compatible with provided weight shape (3, 2)"));
}

TEST_CASE("BatchNormalization computes (x - mean) / sqrt(var + eps) * gamma + beta per channel", "[batchnorm]")
{
    rtconv::BatchNormalization norm({.epsilon = 1.0});
    norm.build({std::nullopt, std::nullopt, 2});
    std::vector<std::string> names;
    for (const auto& v : norm.variables()) names.push_back(v.name);
    CHECK(names == std::vector<std::string>{"gamma", "beta", "moving_mean", "moving_variance"});
    // channel 0: (x - 3) / sqrt(3 + 1) * 2 + 1 = x - 2; channel 1: (x - 0) / sqrt(0 + 1) * -1 + 0 = -x.
    norm.set_weights({Tensor({2}, std::vector<float>{2, -1}), Tensor({2}, std::vector<float>{1, 0}),
                      Tensor({2}, std::vector<float>{3, 0}), Tensor({2}, std::vector<float>{3, 0})});
    CHECK(values_of(norm(Tensor({1, 2, 2}, std::vector<float>{5, 4, -1, 0.5f}))) ==
          std::vector<double>{3, -4, -3, -0.5});

    rtconv::BatchNormalization plain({.epsilon = 0.0, .center = false, .scale = false});
    plain.build({std::nullopt, std::nullopt, 1});
    CHECK(plain.variables().size() == 2);
    plain.set_weights({Tensor({1}, std::vector<float>{1}), Tensor({1}, std::vector<float>{4})});
    CHECK(values_of(plain(Tensor({1, 1, 1}, std::vector<float>{5}))) == std::vector<double>{2});

    rtconv::BatchNormalization beta_only({.scale = false});
    beta_only.build({std::nullopt, 3});
    CHECK(beta_only.variables().front().name == "beta");
}

TEST_CASE("BatchNormalization config has Keras 3's keys, reads Keras 2's axis list, refuses other axes", "[batchnorm][config]")
{
    const json config = rtconv::BatchNormalization({.momentum = 0.9, .epsilon = 1e-5, .name = "bn"}).get_config();
    CHECK(keys_of(config) == with_base({"axis", "momentum", "epsilon", "center", "scale", "beta_initializer",
                                        "gamma_initializer", "moving_mean_initializer",
                                        "moving_variance_initializer", "beta_regularizer", "gamma_regularizer",
                                        "beta_constraint", "gamma_constraint", "synchronized"}));
    CHECK(config["axis"] == -1);
    CHECK(config["epsilon"] == 1e-5);
    CHECK(rtconv::BatchNormalization::from_config(config).get_config() == config);

    rtconv::BatchNormalization keras2 = rtconv::BatchNormalization::from_config({{"name", "k2"}, {"axis", {2}}});
    keras2.build({std::nullopt, std::nullopt, 4}); // axis 2 is the last axis of a rank-3 input
    rtconv::BatchNormalization middle({.axis = 1});
    CHECK_THROWS_WITH(middle.build({std::nullopt, 5, 4}),
                      "rtconv's BatchNormalization normalizes the last axis only (axis=-1 or 2 for inputs of rank 3). "
                      "Received: axis=1");
    CHECK_THROWS_WITH(rtconv::BatchNormalization({.axis = -2}), Contains("normalizes the last axis only"));
    CHECK_THROWS_WITH(rtconv::BatchNormalization::from_config({{"epsilon", "tiny"}}),
                      Contains("Layer config field 'epsilon' must be a number"));
    rtconv::BatchNormalization built({.name = "b4"});
    built.build({std::nullopt, std::nullopt, 4});
    CHECK_THROWS_WITH(built(Tensor({1, 2, 3}, rtconv::DType::float32)),
                      Contains("Input 0 of layer \"b4\" is incompatible with the layer: expected axis -1 of input shape "
                               "to have value 4"));
}

TEST_CASE("PReLU alpha takes the input's shape, 1 along the shared axes", "[prelu]")
{
    rtconv::PReLU per_channel({.shared_axes = std::vector<int>{1}});
    per_channel.build({std::nullopt, std::nullopt, 2});
    CHECK(per_channel.get_weights()[0].shape() == Shape{1, 2});
    per_channel.set_weights({Tensor({1, 2}, std::vector<float>{0.5f, -2})});
    CHECK(values_of(per_channel(Tensor({1, 2, 2}, std::vector<float>{-2, -1, 3, 4}))) ==
          std::vector<double>{-1, 2, 3, 4});

    rtconv::PReLU per_value({});
    per_value.build({std::nullopt, 2, 1});
    CHECK(per_value.get_weights()[0].shape() == Shape{2, 1});
    per_value.set_weights({Tensor({2, 1}, std::vector<float>{0.1f, 0.2f})});
    const Tensor y = per_value(Tensor({2, 2, 1}, std::vector<float>{-1, -1, -10, 1})); // one alpha per step
    CHECK(y.flat(0) == Approx(-0.1));
    CHECK(y.flat(1) == Approx(-0.2));
    CHECK(y.flat(2) == Approx(-1.0));
    CHECK(y.flat(3) == 1.0);

    // Keras writes param_shape[i - 1] = 1, so shared axis 0 is the channel axis (RTNeural's conv.py uses [0, 1]).
    rtconv::PReLU quirk({.shared_axes = std::vector<int>{0, 1}});
    quirk.build({std::nullopt, std::nullopt, 4});
    CHECK(quirk.get_weights()[0].shape() == Shape{1, 1});
}

TEST_CASE("PReLU config and errors", "[prelu][config][errors]")
{
    const json config = rtconv::PReLU({.shared_axes = std::vector<int>{1}, .name = "p"}).get_config();
    CHECK(keys_of(config) ==
          with_base({"alpha_initializer", "alpha_regularizer", "alpha_constraint", "shared_axes"}));
    CHECK(config["shared_axes"] == json::array({1}));
    CHECK(rtconv::PReLU::from_config(config).get_config() == config);
    CHECK(rtconv::PReLU({}).get_config()["shared_axes"].is_null());
    CHECK(rtconv::PReLU::from_config({{"shared_axes", 1}}).options().shared_axes == std::vector<int>{1});
    CHECK(rtconv::PReLU({}).name().rfind("p_re_lu", 0) == 0);

    rtconv::PReLU unshared({.name = "pu"});
    CHECK_THROWS_WITH(unshared.build({std::nullopt, std::nullopt, 4}),
                      Contains("Layer \"pu\" needs a known size for every axis it does not share"));
    CHECK_THROWS_WITH(rtconv::PReLU({.shared_axes = std::vector<int>{3}}).build({std::nullopt, std::nullopt, 4}),
                      Contains("PReLU shared_axes value 3 is out of range"));
    rtconv::PReLU fixed({.name = "pf"});
    fixed.build({std::nullopt, 5, 4});
    CHECK_THROWS_WITH(fixed(Tensor({1, 6, 4}, rtconv::DType::float32)),
                      Contains("Input 0 of layer \"pf\" is incompatible with the layer: expected axis 1 of input shape "
                               "to have value 5, but received input with shape (1, 6, 4)"));
    rtconv::PReLU shared({.shared_axes = std::vector<int>{1}, .name = "ps"});
    shared.build({std::nullopt, std::nullopt, 4});
    CHECK(shared(Tensor({1, 9, 4}, rtconv::DType::float32)).shape() == Shape{1, 9, 4}); // any length
    CHECK_THROWS_WITH(shared(Tensor({1, 9, 3}, rtconv::DType::float32)),
                      Contains("expected axis 2 of input shape to have value 4"));
}

TEST_CASE("Activation layer applies its activation, over the last axis where it acts there", "[activation_layer]")
{
    rtconv::ActivationLayer relu({.activation = "relu"});
    CHECK(values_of(relu(Tensor({1, 3, 1}, std::vector<float>{-1, 0, 2}))) == std::vector<double>{0, 0, 2});
    rtconv::ActivationLayer softmax({.activation = "softmax"});
    const Tensor y = softmax(Tensor({1, 1, 2}, std::vector<float>{0, std::log(3.0f)}));
    CHECK(y.flat(0) == Approx(0.25));
    CHECK(y.flat(1) == Approx(0.75));
    rtconv::ActivationLayer glu({.activation = "glu", .name = "g"});
    CHECK(glu.compute_output_shape({1, 5, 4}) == TensorShape{1, 5, 2});
    CHECK_THROWS_WITH(glu(Tensor({1, 1, 3}, rtconv::DType::float32)), Contains("glu needs an even size"));

    const json config = rtconv::ActivationLayer({.activation = "tanh", .name = "a"}).get_config();
    CHECK(keys_of(config) == with_base({"activation"}));
    CHECK(config["activation"] == "tanh");
    CHECK(rtconv::ActivationLayer::from_config(config).get_config() == config);
    CHECK_THROWS_WITH(rtconv::ActivationLayer::from_config({{"name", "a"}}), "Layer config is missing 'activation'");
    CHECK_THROWS_WITH(rtconv::ActivationLayer::from_config({{"activation", "nope"}}),
                      Contains("Could not interpret activation function identifier: nope"));
}

namespace {

json keras_layer(const std::string& class_name, json config)
{
    return {{"module", "keras.layers"}, {"class_name", class_name}, {"config", std::move(config)},
            {"registered_name", nullptr}};
}

json sequential(json layers, json weights)
{
    return {{"class_name", "Sequential"}, {"config", {{"name", "s"}, {"layers", std::move(layers)}}},
            {"weights", std::move(weights)}};
}

} // namespace

TEST_CASE("model file: the new layers load, and the first one's weights give the input channels", "[model_file]")
{
    // Dense 2 -> 1 (kernel [[1], [2]], bias 1); batchnorm gamma 2, beta 1, mean 0, variance 3, epsilon 1
    // (x * 2 / sqrt(4) + 1); PReLU alpha 0.5; tanh. No input shape: Dense's kernel gives 2 channels.
    const json document = sequential(
        {keras_layer("Dense", {{"name", "d"}, {"units", 1}, {"activation", "linear"}}),
         keras_layer("BatchNormalization", {{"name", "bn"}, {"epsilon", 1.0}}),
         keras_layer("PReLU", {{"name", "p"}, {"shared_axes", {1}}}),
         keras_layer("Activation", {{"name", "a"}, {"activation", "tanh"}})},
        {{"d", {{{1.0}, {2.0}}, {1.0}}}, {"bn", {{2.0}, {1.0}, {0.0}, {3.0}}}, {"p", {{{0.5}}}}, {"a", json::array()}});
    rtconv::Sequential model = rtconv::model_from_json(document, "layers.json");
    CHECK(model.input_shape() == TensorShape{std::nullopt, std::nullopt, 2});
    // x = [-1, -1]: -1 - 2 + 1 = -2 -> -2 + 1 = -1 -> -0.5 -> tanh(-0.5).
    const Tensor y = model(Tensor({1, 1, 2}, std::vector<float>{-1, -1}));
    CHECK(y.flat(0) == Approx(std::tanh(-0.5)));
    const rtconv::Sequential again = rtconv::model_from_json(rtconv::model_to_json(model), "again.json");
    CHECK(again.layers()[2]->get_config() == model.layers()[2]->get_config());

    const json batchnorm_first = sequential(json::array({keras_layer("BatchNormalization", {{"name", "bn"}})}),
                                            {{"bn", {{1.0, 1.0, 1.0}, {0.0, 0.0, 0.0}, {0.0, 0.0, 0.0}, {1.0, 1.0, 1.0}}}});
    CHECK(rtconv::model_from_json(batchnorm_first, "bn.json").input_shape() == TensorShape{std::nullopt, std::nullopt, 3});
    const json prelu_first = sequential(json::array({keras_layer("PReLU", {{"name", "p"}})}), {{"p", {{{0.5}}}}});
    CHECK_THROWS_WITH(rtconv::model_from_json(prelu_first, "p.json"),
                      Contains("p.json: layer 'p' (PReLU): the file states no input shape") &&
                          Contains("weights do not give the input channels"));
    const json dense_wrong_rank = sequential(json::array({keras_layer("Dense", {{"name", "d"}, {"units", 1}})}), {{"d", {{1.0}, {1.0}}}});
    CHECK_THROWS_WITH(rtconv::model_from_json(dense_wrong_rank, "d.json"),
                      "d.json: layer 'd' (Dense): weights[\"d\"][0]: expected a rank-2 kernel, got a nested list of "
                      "shape (1,)");
}

TEST_CASE("the new layers stream frame by frame, and a PReLU whose alpha varies in time is refused", "[stream]")
{
    rtconv::Sequential model;
    model.set_input_shape({std::nullopt, std::nullopt, 2});
    model.add(rtconv::Dense({.units = 4, .activation = "glu", .kernel_initializer = "random_normal",
                             .bias_initializer = "random_uniform"}));
    model.add(rtconv::BatchNormalization({.beta_initializer = "random_normal", .gamma_initializer = "random_uniform",
                                          .moving_mean_initializer = "random_normal"}));
    model.add(rtconv::PReLU({.alpha_initializer = "random_normal", .shared_axes = std::vector<int>{1}}));
    model.add(rtconv::ActivationLayer({.activation = "softmax"}));
    std::vector<float> input(2 * 50);
    for (std::size_t i = 0; i < input.size(); ++i) input[i] = std::sin(0.37f * float(i)) * 2.0f;
    const Tensor whole = model(Tensor({1, 50, 2}, input));

    rtconv::ModelStream stream(model);
    stream.prepare({.max_block_size = 8});
    CHECK(stream.latency() == 0);
    CHECK(stream.state_values() == 0);
    std::vector<float> out(2 * 50);
    for (std::size_t done = 0, n = 1; done < 50; done += n, n = n % 13 + 1) {
        n = std::min<std::size_t>(n, 50 - done);
        const float* in = input.data() + 2 * done;
        float* o = out.data() + 2 * done;
        REQUIRE(stream.process(&in, &o, n) == n);
    }
    for (std::size_t i = 0; i < out.size(); ++i) CHECK(out[i] == Approx(whole.flat(i)).epsilon(1e-5).margin(1e-6));

    rtconv::Sequential timed;
    timed.set_input_shape({std::nullopt, 50, 2});
    timed.add(rtconv::PReLU({.name = "timed"}));
    CHECK_THROWS_WITH(rtconv::ModelStream(timed),
                      Contains("Layer 'timed' (PReLU) cannot be streamed") && Contains("alpha varies over time"));
}
