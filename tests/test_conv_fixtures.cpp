// Conv1D / Conv1DTranspose against PyTorch references (python/make_conv_fixtures.py maps
// Keras semantics onto torch.nn.functional explicitly), on every SIMD instruction set.
#include "rtconv/conv1d.hpp"
#include "rtconv/conv1d_transpose.hpp"
#include "rtconv/cpu.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <memory>

namespace {

nlohmann::json load_cases()
{
    std::ifstream in(RTCONV_FIXTURES_DIR "/conv_cases.json");
    REQUIRE(in.good());
    return nlohmann::json::parse(in)["cases"];
}

rtconv::Shape shape_of(const nlohmann::json& j)
{
    return j.get<rtconv::Shape>();
}

rtconv::Tensor tensor_of(const nlohmann::json& shape, const nlohmann::json& values, rtconv::DType dtype)
{
    if (dtype == rtconv::DType::float32) return {shape_of(shape), values.get<std::vector<float>>()};
    return {shape_of(shape), values.get<std::vector<double>>()};
}

std::unique_ptr<rtconv::Layer> layer_of(const nlohmann::json& c)
{
    if (c["class_name"] == "Conv1D") return std::make_unique<rtconv::Conv1D>(rtconv::Conv1D::from_config(c["config"]));
    return std::make_unique<rtconv::Conv1DTranspose>(rtconv::Conv1DTranspose::from_config(c["config"]));
}

} // namespace

TEST_CASE("conv layers match the PyTorch references on every kernel architecture", "[conv][fixtures]")
{
    const nlohmann::json cases = load_cases();
    REQUIRE(cases.size() > 500);
    for (const std::string& arch : rtconv::available_kernel_archs()) {
        rtconv::select_kernel_arch(arch);
        std::size_t checked = 0;
        for (const auto& c : cases) {
            INFO("arch " << arch << ", case " << c["id"].get<std::string>());
            const auto dtype = rtconv::dtype_from_name(c["config"]["dtype"].get<std::string>());
            auto layer = layer_of(c);
            const rtconv::Tensor x = tensor_of(c["input_shape"], c["input"], dtype);
            layer->build(rtconv::to_tensor_shape(x.shape()));
            std::vector<rtconv::Tensor> weights;
            for (std::size_t i = 0; i < c["weights"].size(); ++i)
                weights.push_back(tensor_of(c["weight_shapes"][i], c["weights"][i], dtype));
            layer->set_weights(weights);

            const rtconv::Tensor y = (*layer)(x);
            REQUIRE(y.shape() == shape_of(c["output_shape"]));
            REQUIRE(y.dtype() == dtype);
            const auto expected = c["output"].get<std::vector<double>>();
            const double tolerance = dtype == rtconv::DType::float32 ? 1e-5 : 1e-12;
            double worst = 0.0;
            for (std::size_t i = 0; i < expected.size(); ++i)
                worst = std::max(worst, std::abs(y.flat(i) - expected[i]) / std::max(1.0, std::abs(expected[i])));
            CHECK(worst <= tolerance);
            ++checked;
        }
        CHECK(checked == cases.size());
    }
}

TEST_CASE("compute_output_shape agrees with the reference shapes, with and without a known batch", "[conv][fixtures]")
{
    for (const auto& c : load_cases()) {
        INFO("case " << c["id"].get<std::string>());
        auto layer = layer_of(c);
        rtconv::TensorShape in = rtconv::to_tensor_shape(shape_of(c["input_shape"]));
        in[0] = std::nullopt;
        const rtconv::TensorShape out = layer->compute_output_shape(in);
        const rtconv::Shape expected = shape_of(c["output_shape"]);
        CHECK_FALSE(out[0].has_value());
        // glu halves the last axis after the convolution; Keras' compute_output_shape ignores the activation.
        if (c["config"]["activation"] == "glu") continue;
        CHECK(out[1] == static_cast<std::int64_t>(expected[1]));
        CHECK(out[2] == static_cast<std::int64_t>(expected[2]));
    }
}
