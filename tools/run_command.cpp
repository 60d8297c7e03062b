// `rtconv run MODEL --input X.npy --output Y.npy [--dtype float32|float64]`: the whole-sequence
// run of a model over a NumPy array, with its speed.
#include "arguments.hpp"
#include "commands.hpp"

#include <rtconv/error.hpp>
#include <rtconv/model_file.hpp>
#include <rtconv/npy.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>

namespace rtconv::cli {

const char* const run_help =
    "usage: rtconv run MODEL --input X.npy --output Y.npy [--dtype float32|float64]\n"
    "\n"
    "Runs MODEL (a .json model file) over the NumPy array X.npy, shaped as the model's input:\n"
    "(batch, steps, channels), or (batch, channels, steps) when the first layer is channels_first.\n"
    "Writes the output to Y.npy and prints its shape and the speed of the run.\n"
    "\n"
    "options:\n"
    "  --input X.npy    the input array (float32 or float64)\n"
    "  --output Y.npy   where to write the output\n"
    "  --dtype D        compute in float32 or float64 (default: the model's dtype)\n"
    "  --help           show this help\n"
    "\n"
    "--stream, --block and --blocks arrive with the streaming engine.\n";

namespace {

constexpr double reference_sample_rate = 48000.0;

/// The model with every layer computing in `dtype`, rebuilt through its own JSON form.
Sequential with_dtype(const Sequential& model, DType dtype, const std::string& source)
{
    nlohmann::json document = model_to_json(model);
    for (auto& layer : document["config"]["layers"]) layer["config"]["dtype"] = dtype_name(dtype);
    return model_from_json(document, source);
}

bool channels_first(const Sequential& model)
{
    return !model.layers().empty() &&
           model.layers().front()->get_config().value("data_format", "channels_last") == "channels_first";
}

/// Checks the array against the model's input shape (None matches any size).
void check_input(const Tensor& x, const Sequential& model, const std::string& input_name)
{
    const auto& expected = model.input_shape();
    bool fits = x.rank() == 3;
    if (fits && expected && expected->size() == 3)
        for (std::size_t i = 0; i < 3; ++i)
            fits = fits && (!(*expected)[i] || static_cast<std::size_t>(*(*expected)[i]) == x.shape()[i]);
    if (!fits)
        throw Error(input_name + " has shape " + shape_to_string(x.shape()) + ", the model takes " +
                    (expected ? shape_to_string(*expected) : std::string("(batch, steps, channels)")) +
                    (channels_first(model) ? " (batch, channels, steps)" : " (batch, steps, channels)"));
}

std::string format(const char* pattern, double value)
{
    char text[64];
    std::snprintf(text, sizeof text, pattern, value);
    return text;
}

} // namespace

int run_command(const std::vector<std::string>& args)
{
    const Arguments arguments(args, {"--input", "--output", "--dtype", "--block", "--blocks"}, {"--stream", "--help"});
    if (arguments.has("--help")) {
        std::cout << run_help;
        return 0;
    }
    if (arguments.has("--stream") || arguments.has("--block") || arguments.has("--blocks"))
        throw UsageError("--stream is not available yet (streaming arrives with the streaming engine)");
    if (arguments.positional().size() != 1) throw UsageError("run takes one MODEL file (see 'rtconv run --help')");
    const std::string model_path = arguments.positional().front();
    const std::string input_path = arguments.required("--input");
    const std::string output_path = arguments.required("--output");
    std::optional<DType> dtype;
    if (const auto name = arguments.value("--dtype")) {
        if (*name != "float32" && *name != "float64")
            throw UsageError("--dtype must be float32 or float64, not '" + *name + "'");
        dtype = dtype_from_name(*name);
    }

    Sequential model = load_model(model_path);
    if (model.layers().empty()) throw Error(model_path + ": the model has no layers to run");
    if (dtype) model = with_dtype(model, *dtype, model_path);
    const DType compute_dtype = model.layers().front()->dtype();
    const Tensor x = read_npy(input_path).astype(compute_dtype);
    check_input(x, model, input_path);

    const auto start = std::chrono::steady_clock::now();
    const Tensor y = model(x);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    write_npy(output_path, y);

    const double samples = static_cast<double>(x.shape()[0] * x.shape()[channels_first(model) ? 2 : 1]);
    const double samples_per_second = samples / seconds;
    std::cout << "output " << shape_to_string(y.shape()) << " " << dtype_name(y.dtype()) << " -> " << output_path
              << " | " << format("%.3f", seconds * 1e3) << " ms wall, "
              << format("%.4g", samples_per_second) << " samples/s (batch x steps), "
              << format("%.1f", samples_per_second / reference_sample_rate) << "x real time at 48 kHz\n";
    double sum_of_squares = 0.0, peak = 0.0;
    for (std::size_t i = 0; i < y.size(); ++i) {
        sum_of_squares += y.flat(i) * y.flat(i);
        peak = std::max(peak, std::abs(y.flat(i)));
    }
    std::cout << "output rms " << format("%.6g", y.size() ? std::sqrt(sum_of_squares / double(y.size())) : 0.0)
              << ", peak " << format("%.6g", peak) << "\n";
    return 0;
}

} // namespace rtconv::cli
