// Inputs the fuzzers (tests/fuzz/, scripts/run-fuzzers.sh) found to crash a reader or to get past
// its checks, each with what it must do instead. The suite's sanitizer build (RTCONV_SANITIZE)
// is where a regression of the undefined-behaviour ones shows.
#include <rtconv/conv1d.hpp>
#include <rtconv/error.hpp>
#include <rtconv/model_file.hpp>
#include <rtconv/npy.hpp>
#include <rtconv/stream.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

using Catch::Matchers::Contains;

namespace {

/// A version 1.0 .npy file of `data` with the header dict given by its three values.
std::string npy_file(const std::string& descr, bool fortran_order, const std::string& shape, const std::string& data)
{
    const std::string header = "{'descr': '" + descr + "', 'fortran_order': " + (fortran_order ? "True" : "False") +
                               ", 'shape': " + shape + ", }\n";
    std::string file = std::string("\x93NUMPY\x01\x00", 8);
    file += static_cast<char>(header.size() & 0xff);
    file += static_cast<char>(header.size() >> 8);
    return file + header + data;
}

} // namespace

TEST_CASE("Fuzz: .npy arrays with no elements read and write back", "[fuzz][npy]")
{
    // The reader and the writer handed memcpy the null data() of an empty vector (UBSan: "null
    // pointer passed as argument 1").
    for (const char* descr : {"<f4", "<f8", ">f8"})
        for (const char* shape : {"(0,)", "(0, 3)", "(2, 0, 5)"})
            for (const bool fortran_order : {false, true}) {
                INFO(descr << " " << shape << (fortran_order ? " Fortran" : " C"));
                const rtconv::Tensor tensor = rtconv::npy_from_bytes(npy_file(descr, fortran_order, shape, ""), "empty.npy");
                CHECK(tensor.size() == 0);
                const rtconv::Tensor again = rtconv::npy_from_bytes(rtconv::npy_to_bytes(tensor), "again.npy");
                CHECK(again.shape() == tensor.shape());
                CHECK(again.dtype() == tensor.dtype());
            }
}

TEST_CASE("Fuzz: a convolution over 0 input channels is refused naming the layer", "[fuzz][model]")
{
    // A grouped Conv1D over 0 channels packed its empty kernel at offsets from the kernel's null
    // data() (UBSan: "applying non-zero offset 4 to null pointer" in conv_plan.cpp).
    const std::string conv = R"("class_name": "Conv1D", "config": {"name": "c", "filters": 2, "kernel_size": 2, "groups": 2)";
    const std::string transpose = R"("class_name": "Conv1DTranspose", "config": {"name": "c", "filters": 2, "kernel_size": 2)";
    for (const std::string& layer : {conv, transpose}) {
        // The input shape in the layer's own config (built as it is made) and in an InputLayer.
        const std::string in_config = R"({"class_name": "Sequential", "config": {"layers": [{)" + layer +
                                      R"(, "batch_input_shape": [null, null, 0]}}]}})";
        const std::string in_input_layer =
            R"({"class_name": "Sequential", "config": {"layers": [{"class_name": "InputLayer", "config": {"batch_shape": [null, null, 0]}}, {)" +
            layer + "}}]}}";
        for (const std::string& text : {in_config, in_input_layer}) {
            INFO(text);
            CHECK_THROWS_WITH(rtconv::model_from_bytes(text, "zero.json"),
                              Contains("zero.json: layer 'c'") && Contains("the input has 0 channels"));
        }
    }
}

TEST_CASE("Fuzz: stated input lengths near 2^63 give output lengths or an error without overflowing", "[fuzz][model]")
{
    // Conv1D's ceil(length / strides) computed length + strides - 1, and a transpose's
    // (length - 1) * strides + ... overflowed an int64 (UBSan: "signed integer overflow").
    const auto model = [](const std::string& steps, const std::string& layer) {
        return R"({"class_name": "Sequential", "config": {"layers": [{"class_name": "InputLayer", "config": {"batch_shape": [null, )" +
               steps + R"(, 1]}}, {"class_name": ")" + layer + R"(", "config": {"name": "c", "filters": 1, "kernel_size": 1, "strides": 4, "padding": "same"}}]}, "weights": {"c": [[[[1.0]]], [0.0]]}})";
    };
    const rtconv::Sequential conv = rtconv::model_from_bytes(model("9223372036854775807", "Conv1D"), "long.json");
    CHECK(conv.layers()[0]->compute_output_shape({1, 9223372036854775807, 1})[1] == 2305843009213693952);
    CHECK_THROWS_WITH(rtconv::model_from_bytes(model("9000000000000000000", "Conv1DTranspose"), "long.json"),
                      Contains("long.json: layer 'c' (Conv1DTranspose)") && Contains("more than 2^63 - 1"));
}

TEST_CASE("Fuzz: a layer loaded from a file takes no more weights than the file has values", "[fuzz][model]")
{
    // Each layer was built (allocated, initialized, packed) before its weights were looked for:
    // a depthwise Conv1D over 2^24 channels packed 2.4 GB, a BatchNormalization of 16 million
    // channels took 20 s under ASan, all from files of 300 bytes.
    const auto keras = [](const std::string& channels, const std::string& layer) {
        return R"({"class_name": "Sequential", "config": {"layers": [{"class_name": "InputLayer", "config": {"batch_shape": [null, null, )" +
               channels + R"(]}}, {"class_name": )" + layer + "}]}}";
    };
    const std::string depthwise = keras("16777216", R"("Conv1D", "config": {"name": "c", "filters": 16777216, "groups": 16777216, "kernel_size": 1})");
    const std::string norm = keras("16000000", R"("BatchNormalization", "config": {"name": "c"})");
    const std::string conv = keras("4096", R"("Conv1D", "config": {"name": "c", "filters": 4096, "kernel_size": 4})");
    for (const std::string& text : {depthwise, norm, conv}) {
        INFO(text);
        CHECK_THROWS_WITH(rtconv::model_from_bytes(text, "big.json"),
                          Contains("big.json: layer 'c'") && Contains("more weights than the file has values"));
    }
    const std::string rtneural = R"({"in_shape": [null, null, 4096], "layers": [{"type": "dense", "shape": [null, null, 4096], "weights": []}]})";
    CHECK_THROWS_WITH(rtconv::model_from_bytes(rtneural, "big.json"),
                      Contains("big.json: RTNeural layer 0 (dense)") && Contains("more weights than the file has values"));
}

TEST_CASE("Fuzz: a stream refuses a per-channel layer over 2^20 channels before allocating them", "[fuzz][stream]")
{
    // An Activation takes its channels from the stated input shape: 10^12 of them made the stream
    // allocate terabytes (ASan: "requested allocation size exceeds maximum supported size").
    const auto model = [](const std::string& layer, const std::string& weights) {
        return R"({"class_name": "Sequential", "config": {"layers": [{"class_name": "InputLayer", "config": {"batch_shape": [null, null, 1000000000000]}}, )" +
               layer + R"(]}, "weights": )" + weights + "}";
    };
    const std::string activation = model(R"({"class_name": "Activation", "config": {"name": "a", "activation": "tanh"}})", "{}");
    const std::string prelu = model(R"({"class_name": "PReLU", "config": {"name": "a", "shared_axes": [1, 2]}})", R"({"a": [[[0.25]]]})");
    for (const std::string& text : {activation, prelu}) {
        INFO(text);
        const rtconv::Sequential loaded = rtconv::model_from_bytes(text, "wide.json");
        CHECK_THROWS_WITH(rtconv::ModelStream(loaded),
                          Contains("Layer 'a'") && Contains("1000000000000 channels") && Contains("more than 1048576"));
    }
}

TEST_CASE("Fuzz: float64 activations of inputs near 1e21 and of NaN keep their values", "[fuzz][activations]")
{
    // A NAM file with a weight of -1.5e21 fed xsimd's float64 tanh an input whose exp converts
    // x * log2(e) to an int64 that does not fit (UBSan: "6.69352e+20 is outside the range of
    // representable values of type 'long'"), and NaN made in the sums did the same ("nan is
    // outside the range"). The same held for exp, expm1 and erf.
    struct Case {
        const char* activation;
        double at_plus, at_minus; // for an input of +1e21 and -1e21
        bool keeps_nan = true;    // celu's SIMD max and min pick 0 over NaN, as they always did
    };
    const double big = 1e21;
    for (const Case& c : {Case{"tanh", 1.0, -1.0}, Case{"sigmoid", 1.0, 0.0}, Case{"elu", big, -1.0},
                          Case{"selu", 1.0507009873554804934193349852946 * big, -1.7580993408473768599402175208123},
                          Case{"celu", big, -1.0, false}, Case{"softplus", big, 0.0}, Case{"gelu", big, 0.0},
                          Case{"silu", big, 0.0}, Case{"mish", big, 0.0}, Case{"exponential", INFINITY, 0.0}}) {
        INFO(c.activation);
        rtconv::Conv1D conv({.filters = 1, .kernel_size = 1, .activation = rtconv::Activation(c.activation), .dtype = "float64"});
        const std::size_t steps = 48; // whole SIMD batches, the path that overflowed
        std::vector<double> x(steps);
        for (std::size_t t = 0; t < steps; ++t) x[t] = t % 3 == 0 ? 1.0 : t % 3 == 1 ? -1.0 : NAN;
        const rtconv::Tensor input(rtconv::Shape{1, steps, 1}, x);
        conv(input); // builds
        conv.set_weights({rtconv::Tensor(rtconv::Shape{1, 1, 1}, std::vector<double>{big}),
                          rtconv::Tensor(rtconv::Shape{1}, std::vector<double>{0.0})});
        const rtconv::Tensor y = conv(input);
        for (std::size_t t = 0; t < steps; ++t) {
            INFO("step " << t << ": " << y.flat(t));
            if (t % 3 == 2) {
                if (c.keeps_nan) CHECK(std::isnan(y.flat(t)));
                continue;
            }
            const double expected = t % 3 == 0 ? c.at_plus : c.at_minus;
            CHECK((y.flat(t) == expected || std::abs(y.flat(t) - expected) <= 1e-15 * std::abs(expected)));
        }
    }
}
