// Conv1D / Conv1DTranspose: hand-derived outputs, Keras' errors and messages, build,
// weights, config and losses.
#include "rtconv/conv1d.hpp"
#include "rtconv/conv1d_transpose.hpp"
#include "rtconv/error.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <set>

using rtconv::Conv1D;
using rtconv::Conv1DTranspose;
using rtconv::Tensor;
using Catch::Matchers::Contains;

namespace {

Tensor sequence(std::vector<float> values, std::size_t channels = 1)
{
    const std::size_t steps = values.size() / channels;
    return Tensor({1, steps, channels}, std::move(values));
}

std::vector<double> flat(const Tensor& t)
{
    std::vector<double> v(t.size());
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = t.flat(i);
    return v;
}

/// Kernel [1, 10] (or [1, 10, 100]) and bias 0.5 on one channel: outputs are easy to derive on paper.
template <class L> L with_weights(L layer, std::vector<float> kernel, float bias)
{
    const std::size_t k = kernel.size();
    layer.build({1, std::nullopt, 1});
    layer.set_weights({Tensor({k, 1, 1}, std::move(kernel)), Tensor({1}, std::vector<float>{bias})});
    return layer;
}

} // namespace

TEST_CASE("Conv1D paddings on a hand-derived example", "[conv]")
{
    const Tensor x = sequence({1, 2, 3});
    // y[t] = x[t] * 1 + x[t + 1] * 10 + 0.5 over the padded input.
    auto valid = with_weights(Conv1D({.filters = 1, .kernel_size = 2}), {1, 10}, 0.5f);
    CHECK(flat(valid(x)) == std::vector<double>{21.5, 32.5});
    auto causal = with_weights(Conv1D({.filters = 1, .kernel_size = 2, .padding = "causal"}), {1, 10}, 0.5f);
    CHECK(flat(causal(x)) == std::vector<double>{10.5, 21.5, 32.5}); // one zero on the left
    auto same = with_weights(Conv1D({.filters = 1, .kernel_size = 2, .padding = "same"}), {1, 10}, 0.5f);
    CHECK(flat(same(x)) == std::vector<double>{21.5, 32.5, 3.5}); // even kernel: the zero goes right
    auto dilated = with_weights(Conv1D({.filters = 1, .kernel_size = 2, .padding = "causal", .dilation_rate = 2}),
                                {1, 10}, 0.f);
    CHECK(flat(dilated(x)) == std::vector<double>{10, 20, 31});
    auto strided = with_weights(Conv1D({.filters = 1, .kernel_size = 1, .strides = 2}), {3}, 0.f);
    CHECK(flat(strided(sequence({1, 2, 3, 4, 5}))) == std::vector<double>{3, 9, 15});
    auto strided_same = with_weights(Conv1D({.filters = 1, .kernel_size = 2, .strides = 2, .padding = "same"}),
                                     {1, 10}, 0.f);
    CHECK(flat(strided_same(sequence({1, 2, 3, 4, 5}))) == std::vector<double>{21, 43, 5});
}

TEST_CASE("Conv1D groups and channels_first on a hand-derived example", "[conv]")
{
    Conv1D grouped({.filters = 2, .kernel_size = 1, .groups = 2, .use_bias = false});
    grouped.build({1, std::nullopt, 2});
    grouped.set_weights({Tensor({1, 1, 2}, std::vector<float>{2, 3})});
    // Each filter sees only its own channel: y = (2a, 3b).
    CHECK(flat(grouped(sequence({1, 5, 2, 7}, 2))) == std::vector<double>{2, 15, 4, 21});

    Conv1D first({.filters = 1, .kernel_size = 2, .data_format = "channels_first", .use_bias = false});
    first.build({1, 2, std::nullopt});
    first.set_weights({Tensor({2, 2, 1}, std::vector<float>{1, 100, 10, 1000})});
    // x as (batch, channels, steps): channel 0 = [1, 2, 3], channel 1 = [4, 5, 6].
    const Tensor x({1, 2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6});
    const Tensor y = first(x);
    CHECK(y.shape() == rtconv::Shape{1, 1, 2});
    CHECK(flat(y) == std::vector<double>{1 + 400 + 20 + 5000, 2 + 500 + 30 + 6000});
}

TEST_CASE("Conv1DTranspose on hand-derived examples", "[conv][transpose]")
{
    // Full result: y[i*s + k] += x[i] * w[k], then Keras' length and cropping.
    const Tensor x = sequence({1, 2});
    auto valid = with_weights(Conv1DTranspose({.filters = 1, .kernel_size = 3, .strides = 2}), {1, 10, 100}, 0.f);
    CHECK(flat(valid(x)) == std::vector<double>{1, 10, 102, 20, 200});
    auto same = with_weights(Conv1DTranspose({.filters = 1, .kernel_size = 3, .strides = 2, .padding = "same"}),
                             {1, 10, 100}, 0.f);
    CHECK(flat(same(x)) == std::vector<double>{1, 10, 102, 20}); // length L*s, crop (2+3-4)//2 = 0 on the left
    auto padded = with_weights(Conv1DTranspose({.filters = 1, .kernel_size = 3, .strides = 2, .output_padding = 1}),
                               {1, 10, 100}, 0.5f);
    CHECK(flat(padded(x)) == std::vector<double>{1.5, 10.5, 102.5, 20.5, 200.5, 0.5});
    auto wide = with_weights(Conv1DTranspose({.filters = 1, .kernel_size = 1, .strides = 3}), {2}, 0.f);
    CHECK(flat(wide(x)) == std::vector<double>{2, 0, 0, 4, 0, 0}); // valid: (L-1)s + max(k, s)
    auto same_crop = with_weights(Conv1DTranspose({.filters = 1, .kernel_size = 3, .padding = "same"}),
                                  {1, 10, 100}, 0.f);
    CHECK(flat(same_crop(x)) == std::vector<double>{10 + 2, 100 + 20}); // full [1, 12, 120, 200], crop 1
}

TEST_CASE("Keras' argument errors, with the argument and value in the message", "[conv][errors]")
{
    CHECK_THROWS_WITH(Conv1D({.filters = 4, .kernel_size = 3, .strides = 2, .dilation_rate = 2}),
                      Contains("`strides > 1` not supported in conjunction with `dilation_rate > 1`") &&
                          Contains("strides=(2,)") && Contains("dilation_rate=(2,)"));
    CHECK_THROWS_WITH(Conv1DTranspose({.filters = 4, .kernel_size = 3, .strides = 2, .dilation_rate = 2}),
                      Contains("`strides > 1` not supported in conjunction with `dilation_rate > 1`"));
    CHECK_THROWS_WITH(Conv1D({.filters = 3, .kernel_size = 3, .groups = 2}),
                      Contains("number of filters must be evenly divisible by the number of groups") &&
                          Contains("groups=2, filters=3"));
    CHECK_THROWS_WITH(Conv1D({.filters = 4, .kernel_size = 3, .groups = 0}),
                      Contains("groups must be a positive integer") && Contains("groups=0"));
    CHECK_THROWS_WITH(Conv1D({.filters = 0, .kernel_size = 3}),
                      Contains("Invalid value for argument `filters`") && Contains("filters=0"));
    CHECK_THROWS_WITH(Conv1D({.filters = 2, .kernel_size = 0}),
                      Contains("`kernel_size` argument") && Contains("kernel_size=0") && Contains("value > 0"));
    CHECK_THROWS_WITH(Conv1D({.filters = 2, .kernel_size = 3, .strides = -1}),
                      Contains("`strides` argument") && Contains("strides=-1"));
    CHECK_THROWS_WITH(Conv1D({.filters = 2, .kernel_size = 3, .dilation_rate = 0}),
                      Contains("`dilation_rate` argument") && Contains("dilation_rate=0"));
    CHECK_THROWS_WITH(Conv1D({.filters = 2, .kernel_size = 3, .padding = "full"}),
                      Contains("`padding` argument") && Contains("Received: full"));
    CHECK_THROWS_WITH(Conv1DTranspose({.filters = 2, .kernel_size = 3, .padding = "causal"}),
                      Contains("`padding` argument") && Contains("Received: causal"));
    CHECK_THROWS_WITH(Conv1D({.filters = 2, .kernel_size = 3, .data_format = "channels_middle"}),
                      Contains("`data_format`") && Contains("channels_middle"));
    CHECK_THROWS_WITH(Conv1DTranspose({.filters = 2, .kernel_size = 3, .strides = 2, .output_padding = 2}),
                      Contains("`output_padding` must be < `strides`") && Contains("output_padding=(2,)"));
    CHECK_THROWS_WITH(Conv1D({.filters = 2, .kernel_size = 3, .activation = "swoosh"}), Contains("swoosh"));
    CHECK_THROWS_WITH(Conv1D({.filters = 2, .kernel_size = 3, .kernel_initializer = "glorious"}),
                      Contains("glorious"));
    CHECK_THROWS_WITH(Conv1D({.filters = 2, .kernel_size = 3, .dtype = "float16"}), Contains("float16"));
}

TEST_CASE("input errors name the layer and the shape", "[conv][errors]")
{
    Conv1D conv({.filters = 4, .kernel_size = 3, .groups = 2, .name = "grouped"});
    CHECK_THROWS_WITH(conv(Tensor({1, 10, 3})), Contains("input channels must be evenly divisible by the number of "
                                                         "groups") && Contains("groups=2") && Contains("3 channels"));
    CHECK_FALSE(conv.built());
    conv(Tensor({1, 10, 4}));
    CHECK_THROWS_WITH(conv(Tensor({10, 4})), Contains("layer \"grouped\"") && Contains("expected ndim=3") &&
                                                 Contains("found ndim=2"));
    CHECK_THROWS_WITH(conv(Tensor({1, 10, 6})), Contains("layer \"grouped\"") &&
                                                    Contains("expected axis -1 of input shape to have value 4") &&
                                                    Contains("(1, 10, 6)"));
    Conv1D valid({.filters = 1, .kernel_size = 3, .dilation_rate = 2});
    CHECK_THROWS_WITH(valid(Tensor({1, 4, 1})), Contains("Computed output size would be negative") &&
                                                    Contains("(1, 4, 1)") && Contains("(3, 1, 1)"));
    CHECK(valid(Tensor({1, 5, 1})).shape() == rtconv::Shape{1, 1, 1}); // exactly the receptive field
}

TEST_CASE("set_weights checks count and shapes in Keras' words", "[conv][errors]")
{
    Conv1D conv({.filters = 4, .kernel_size = 3, .name = "c"});
    conv.build({std::nullopt, std::nullopt, 2});
    CHECK_THROWS_WITH(conv.set_weights({Tensor({3, 2, 4})}),
                      Contains("layer 'c'") && Contains("length 1") && Contains("expecting 2 weights"));
    CHECK_THROWS_WITH(conv.set_weights({Tensor({3, 4, 2}), Tensor({4})}),
                      Contains("(3, 2, 4)") && Contains("(3, 4, 2)") && Contains("kernel"));
    CHECK_THROWS_WITH(conv.set_weights({Tensor({3, 2, 4}), Tensor({3})}), Contains("(4,)") && Contains("bias"));
}

TEST_CASE("building: lazily, from input_shape, and with initial weights", "[conv]")
{
    Conv1D lazy({.filters = 4, .kernel_size = 3});
    CHECK_FALSE(lazy.built());
    CHECK_THROWS_WITH(lazy.count_params(), Contains("isn't built"));
    lazy(Tensor({2, 9, 5}));
    CHECK(lazy.count_params() == 3 * 5 * 4 + 4);
    CHECK(lazy.get_weights()[0].shape() == rtconv::Shape{3, 5, 4});

    Conv1D fixed({.filters = 4, .kernel_size = 3, .groups = 2, .input_shape = rtconv::TensorShape{std::nullopt, 6}});
    CHECK(fixed.built());
    CHECK(fixed.count_params() == 3 * 3 * 4 + 4);
    CHECK(fixed.build_input_shape() == rtconv::TensorShape{std::nullopt, std::nullopt, 6});

    Conv1DTranspose batch_fixed({.filters = 2, .kernel_size = 2, .batch_input_shape = rtconv::TensorShape{3, 7, 5}});
    CHECK(batch_fixed.get_weights()[0].shape() == rtconv::Shape{2, 2, 5});

    Conv1D with_batch_size({.filters = 1, .kernel_size = 1, .input_shape = rtconv::TensorShape{4, 1},
                            .batch_size = 8});
    CHECK(with_batch_size.build_input_shape() == rtconv::TensorShape{8, 4, 1});

    Conv1D preset({.filters = 1, .kernel_size = 1, .input_shape = rtconv::TensorShape{std::nullopt, 1},
                   .weights = {Tensor({1, 1, 1}, std::vector<float>{2}), Tensor({1}, std::vector<float>{1})}});
    CHECK(flat(preset(sequence({1, 2}))) == std::vector<double>{3, 5});

    // Variable-length input through one built layer.
    CHECK(lazy(Tensor({1, 20, 5})).shape() == rtconv::Shape{1, 18, 4});
}

TEST_CASE("float64 layers compute in double end to end", "[conv]")
{
    Conv1D conv({.filters = 1, .kernel_size = 2, .use_bias = false, .dtype = "float64"});
    conv.build({1, std::nullopt, 1});
    conv.set_weights({Tensor({2, 1, 1}, std::vector<double>{1.0, 1e-9})});
    const Tensor y = conv(Tensor({1, 2, 1}, std::vector<float>{1, 1}));
    CHECK(y.dtype() == rtconv::DType::float64);
    CHECK(y.flat(0) == 1.0 + 1e-9); // would round away in float32
}

TEST_CASE("automatic names count up per class, as Keras' do", "[conv]")
{
    rtconv::clear_session();
    CHECK(Conv1D({.filters = 1, .kernel_size = 1}).name() == "conv1d");
    CHECK(Conv1D({.filters = 1, .kernel_size = 1}).name() == "conv1d_1");
    CHECK(Conv1DTranspose({.filters = 1, .kernel_size = 1}).name() == "conv1d_transpose");
    CHECK(Conv1D({.filters = 1, .kernel_size = 1, .name = "mine"}).name() == "mine");
    CHECK(Conv1D({.filters = 1, .kernel_size = 1}).name() == "conv1d_2");
}

TEST_CASE("get_config has Keras 3's keys and round-trips through from_config", "[conv][config]")
{
    Conv1D conv({.filters = 8, .kernel_size = 5, .strides = 1, .padding = "causal", .dilation_rate = 4,
                 .groups = 2, .activation = "tanh", .use_bias = false, .kernel_initializer = "he_normal",
                 .kernel_regularizer = rtconv::Regularizer::l2(0.5), .name = "wave"});
    const nlohmann::json config = conv.get_config();
    std::set<std::string> keys;
    for (const auto& [key, value] : config.items()) keys.insert(key);
    CHECK(keys == std::set<std::string>{"name", "trainable", "dtype", "filters", "kernel_size", "strides", "padding",
                                        "data_format", "dilation_rate", "groups", "activation", "use_bias",
                                        "kernel_initializer", "bias_initializer", "kernel_regularizer",
                                        "bias_regularizer", "activity_regularizer", "kernel_constraint",
                                        "bias_constraint"});
    CHECK(config["kernel_size"] == nlohmann::json::array({5}));
    CHECK(config["dilation_rate"] == nlohmann::json::array({4}));
    CHECK(config["padding"] == "causal");
    CHECK(config["activation"] == "tanh");
    CHECK(config["dtype"]["class_name"] == "DTypePolicy");
    CHECK(config["dtype"]["config"]["name"] == "float32");
    CHECK(config["kernel_initializer"]["class_name"] == "HeNormal");
    CHECK(config["kernel_regularizer"]["class_name"] == "L2");
    CHECK(config["bias_regularizer"].is_null());
    CHECK(Conv1D::from_config(config).get_config() == config);

    Conv1DTranspose transpose({.filters = 3, .kernel_size = 4, .strides = 2, .padding = "same", .output_padding = 1});
    const nlohmann::json tconfig = transpose.get_config();
    CHECK_FALSE(tconfig.contains("groups"));
    CHECK(tconfig["output_padding"] == nlohmann::json::array({1}));
    CHECK(Conv1DTranspose::from_config(tconfig).get_config() == tconfig);
}

TEST_CASE("from_config reads Keras 2 spellings", "[conv][config]")
{
    const nlohmann::json keras2 = {{"name", "conv1d_7"}, {"trainable", true}, {"batch_input_shape", {nullptr, 16, 2}},
                                   {"dtype", "float32"}, {"filters", 3}, {"kernel_size", {2}}, {"strides", {1}},
                                   {"padding", "causal"}, {"data_format", "channels_last"}, {"dilation_rate", {1}},
                                   {"groups", 1}, {"activation", "relu"}, {"use_bias", true},
                                   {"kernel_initializer", {{"class_name", "GlorotUniform"}, {"config", {{"seed", nullptr}}}}},
                                   {"bias_initializer", {{"class_name", "Zeros"}, {"config", nlohmann::json::object()}}},
                                   {"kernel_regularizer", nullptr}, {"bias_regularizer", nullptr},
                                   {"activity_regularizer", nullptr}, {"kernel_constraint", nullptr},
                                   {"bias_constraint", nullptr}};
    Conv1D conv = Conv1D::from_config(keras2);
    CHECK(conv.name() == "conv1d_7");
    CHECK(conv.built()); // batch_input_shape fixes the build shape
    CHECK(conv.get_weights()[0].shape() == rtconv::Shape{2, 2, 3});
    CHECK(conv.options().activation.kind() == rtconv::Activation::Kind::relu);
    CHECK_THROWS_WITH(Conv1D::from_config({{"filters", 3}}), Contains("kernel_size"));
    CHECK_THROWS_WITH(Conv1D::from_config({{"filters", 3}, {"kernel_size", "three"}}),
                      Contains("kernel_size") && Contains("three"));
}

TEST_CASE("losses: weight regularizers and the activity regularizer of the last call", "[conv][losses]")
{
    Conv1D conv({.filters = 1, .kernel_size = 2, .kernel_regularizer = rtconv::Regularizer::l2(0.5),
                 .bias_regularizer = rtconv::Regularizer::l1(2.0),
                 .activity_regularizer = rtconv::Regularizer::l1(0.1)});
    conv.build({std::nullopt, std::nullopt, 1});
    conv.set_weights({Tensor({2, 1, 1}, std::vector<float>{1, -3}), Tensor({1}, std::vector<float>{-0.25f})});
    // Before any call: 0.5 * (1 + 9) for the kernel, 2 * 0.25 for the bias.
    CHECK(conv.losses() == std::vector<double>{5.0, 0.5});
    // Outputs for x = [[1, 1, 1], [2, 0, 0]]: [-2.25, -2.25] and [1.75, -0.25]; L1 sum 6.5, over batch 2.
    conv(Tensor({2, 3, 1}, std::vector<float>{1, 1, 1, 2, 0, 0}));
    const auto losses = conv.losses();
    REQUIRE(losses.size() == 3);
    CHECK(losses[0] == Approx(0.1 * 6.5 / 2));
    conv.set_trainable(false); // Keras counts weight regularizers of trainable weights only
    CHECK(conv.losses().size() == 1);
}

TEST_CASE("constraints project the weights on request", "[conv][constraints]")
{
    Conv1D conv({.filters = 2, .kernel_size = 1, .kernel_constraint = rtconv::Constraint::non_neg(),
                 .bias_constraint = rtconv::Constraint::max_norm(1.0)});
    conv.build({std::nullopt, std::nullopt, 1});
    conv.set_weights({Tensor({1, 1, 2}, std::vector<float>{-1, 2}), Tensor({2}, std::vector<float>{3, 4})});
    conv.apply_constraints();
    const auto w = conv.get_weights();
    CHECK(flat(w[0]) == std::vector<double>{0, 2});
    // MaxNorm over axis 0 of the bias: the whole vector scaled to norm 1 (Keras' epsilon 1e-7).
    CHECK(w[1].flat(0) == Approx(0.6).epsilon(1e-6));
    CHECK(w[1].flat(1) == Approx(0.8).epsilon(1e-6));
    // The packed weights follow: outputs use the projected values.
    const auto y = flat(conv(sequence({1})));
    CHECK(y[0] == w[1].flat(0));
    CHECK(y[1] == Approx(2 + w[1].flat(1)).epsilon(1e-7)); // summed in float32
}
