// keras.activations against PyTorch references (python/make_activation_fixtures.py), through
// the SIMD kernels' fused epilogue on every instruction set and through the scalar path.
#include "rtconv/activations.hpp"
#include "rtconv/conv1d.hpp"
#include "rtconv/cpu.hpp"
#include "rtconv/error.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>

using rtconv::Activation;
using rtconv::Tensor;
using Catch::Matchers::Contains;

namespace {

nlohmann::json load_fixture()
{
    std::ifstream in(RTCONV_FIXTURES_DIR "/activations.json");
    REQUIRE(in.good());
    return nlohmann::json::parse(in);
}

/// Worst error relative to max(1, |expected|): relative for large values, absolute near zero.
double worst_error(const Tensor& y, const std::vector<double>& expected)
{
    REQUIRE(y.size() == expected.size());
    double worst = 0.0;
    for (std::size_t i = 0; i < expected.size(); ++i)
        worst = std::max(worst, std::abs(y.flat(i) - expected[i]) / std::max(1.0, std::abs(expected[i])));
    return worst;
}

/// A kernel-size-1 Conv1D with an identity kernel: its output is the activation of its input.
Tensor through_conv(const std::string& name, const Tensor& x)
{
    const std::size_t channels = x.shape()[2];
    rtconv::Conv1D conv({.filters = static_cast<int>(channels), .kernel_size = 1, .activation = name,
                         .dtype = rtconv::dtype_name(x.dtype())});
    conv.build(rtconv::to_tensor_shape(x.shape()));
    Tensor kernel({1, channels, channels}, x.dtype());
    for (std::size_t c = 0; c < channels; ++c) kernel.set_flat(c * channels + c, 1.0);
    conv.set_weights({kernel, Tensor({channels}, x.dtype())});
    return conv(x);
}

} // namespace

TEST_CASE("every activation matches PyTorch through the fused kernels", "[activations]")
{
    const nlohmann::json fixture = load_fixture();
    const std::size_t channels = fixture["channels"];
    const auto input = fixture["input"].get<std::vector<double>>();
    const rtconv::Shape shape{1, input.size() / channels, channels};
    REQUIRE(fixture["outputs"].size() == 31);

    for (const std::string& arch : rtconv::available_kernel_archs()) {
        rtconv::select_kernel_arch(arch);
        for (const auto& [name, output] : fixture["outputs"].items()) {
            INFO("arch " << arch << ", activation " << name);
            const auto expected = output.get<std::vector<double>>();
            CHECK(worst_error(through_conv(name, Tensor(shape, input).astype(rtconv::DType::float32)), expected) <=
                  1e-5);
            CHECK(worst_error(through_conv(name, Tensor(shape, input)), expected) <= 1e-12);
        }
    }
    rtconv::select_kernel_arch(rtconv::available_kernel_archs().back());
}

TEST_CASE("float32 tanh is within 4 ulp of double tanh over a dense sweep", "[activations]")
{
    // Every 109th float in [0, 10] with both signs (2e7 values), and the edge cases.
    const float inf = std::numeric_limits<float>::infinity();
    std::vector<float> x{0.0f, -0.0f, inf, -inf, std::numeric_limits<float>::denorm_min(),
                         std::numeric_limits<float>::min(), 1e-30f, 9.010913f, 9.0109139f, 9.5f, 1e30f,
                         std::numeric_limits<float>::max()};
    for (std::uint32_t bits = 0; bits <= std::bit_cast<std::uint32_t>(10.0f); bits += 109)
        x.push_back(std::bit_cast<float>(bits));
    for (std::size_t i = 0, n = x.size(); i < n; ++i) x.push_back(-x[i]);
    x.push_back(std::numeric_limits<float>::quiet_NaN());
    x.resize(x.size() / 16 * 16 + 16, 0.5f);

    /// Worst error in ulp of the correctly rounded result; NaN must stay NaN.
    const auto worst_ulp = [&](const float* y) {
        double worst = 0.0;
        for (std::size_t i = 0; i < x.size(); ++i) {
            if (std::isnan(x[i])) {
                CHECK(std::isnan(y[i]));
                continue;
            }
            const double expected = std::tanh(static_cast<double>(x[i]));
            const int exponent = std::max(std::ilogb(static_cast<float>(expected)), -126);
            worst = std::max(worst, std::abs(y[i] - expected) / std::ldexp(1.0, exponent - 23));
        }
        return worst;
    };
    const Tensor input(rtconv::Shape{1, x.size() / 16, 16}, x);
    for (const std::string& arch : rtconv::available_kernel_archs()) {
        rtconv::select_kernel_arch(arch);
        INFO("arch " << arch);
        CHECK(worst_ulp(through_conv("tanh", input).values<float>().data()) <= 4.0);
    }
    rtconv::select_kernel_arch(rtconv::available_kernel_archs().back());
    std::vector<float> y(x.size());
    Activation("tanh").apply_last_axis(x.data(), y.data(), x.size() / 16, 16);
    CHECK(worst_ulp(y.data()) <= 4.0);
}

TEST_CASE("apply_last_axis matches PyTorch on the scalar path", "[activations]")
{
    const nlohmann::json fixture = load_fixture();
    const std::size_t channels = fixture["channels"];
    const auto input = fixture["input"].get<std::vector<double>>();
    const std::size_t rows = input.size() / channels;
    for (const auto& [name, output] : fixture["outputs"].items()) {
        INFO("activation " << name);
        const Activation activation(name);
        const auto expected = output.get<std::vector<double>>();
        std::vector<double> y(rows * activation.output_channels(channels));
        activation.apply_last_axis(input.data(), y.data(), rows, channels);
        REQUIRE(y.size() == expected.size());
        for (std::size_t i = 0; i < y.size(); ++i)
            CHECK(std::abs(y[i] - expected[i]) <= 1e-12 * std::max(1.0, std::abs(expected[i])));
    }
}

TEST_CASE("activation names, aliases and config forms", "[activations]")
{
    CHECK(Activation().name() == "linear");
    CHECK(Activation::from_config(nullptr).kind() == Activation::Kind::linear);
    CHECK(Activation("swish").kind() == Activation::Kind::silu);
    CHECK(Activation("swish").serialize() == "silu"); // Keras serializes the function, whose name is silu
    CHECK(Activation("hard_swish").serialize() == "hard_silu");
    CHECK(Activation("relu").serialize() == "relu");
    CHECK(Activation::from_config("tanh").kind() == Activation::Kind::tanh);
    // Keras 3's serialized function form.
    const auto keras3 = nlohmann::json::parse(
        R"({"module": "keras.activations", "class_name": "function", "config": "gelu", "registered_name": "function"})");
    CHECK(Activation::from_config(keras3).kind() == Activation::Kind::gelu);
    CHECK(Activation("glu").output_channels(8) == 4);
    CHECK(Activation("softmax").output_channels(8) == 8);
    CHECK_FALSE(Activation("softmax").is_elementwise());
    CHECK(Activation("exponential").is_elementwise());
}

TEST_CASE("activation errors say what is wrong", "[activations][errors]")
{
    CHECK_THROWS_WITH(Activation("rellu"), "Could not interpret activation function identifier: rellu");
    CHECK_THROWS_WITH(Activation::from_config(42), Contains("Could not interpret activation function identifier: 42"));
    CHECK_THROWS_WITH(Activation("threshold"), Contains("threshold and default_value"));
    const std::vector<float> row{1.f, 2.f, 3.f};
    std::vector<float> out(1);
    CHECK_THROWS_WITH(Activation("glu").apply_last_axis(row.data(), out.data(), 1, 3),
                      Contains("must be divisible by 2"));
}
