// `rtconv run MODEL --input X.npy --output Y.npy [--dtype float32|float64]`: the whole-sequence
// run of a model over a NumPy array, with its speed.
#include "arguments.hpp"
#include "commands.hpp"
#include "model_stats.hpp"

#include <rtconv/error.hpp>
#include <rtconv/model_file.hpp>
#include <rtconv/npy.hpp>
#include <rtconv/stream.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <random>
#include <cstdio>
#include <iostream>

namespace rtconv::cli {

const char* const run_help =
    "usage: rtconv run MODEL --input X.npy --output Y.npy [--stream [--block N | --blocks random:SEED]]\n"
    "                  [--dtype float32|float64]\n"
    "\n"
    "Runs MODEL (a .json model file) over the NumPy array X.npy, shaped as the model's input:\n"
    "(batch, steps, channels), or (batch, channels, steps) when the first layer is channels_first.\n"
    "Writes the output to Y.npy and prints its shape and the speed of the run.\n"
    "\n"
    "options:\n"
    "  --input X.npy    the input array (float32 or float64)\n"
    "  --output Y.npy   where to write the output\n"
    "  --dtype D        compute in float32 or float64 (default: the model's dtype)\n"
    "  --stream         run each batch item through the streaming engine, block by block, then\n"
    "                   trim the output to the whole-sequence length and alignment\n"
    "  --block N        stream in blocks of N frames (default 512)\n"
    "  --blocks random:SEED  stream in blocks of random sizes 1..1024 drawn from SEED\n"
    "  --help           show this help\n"
    "\n"
    "A streamed run equals the whole-sequence run except, with a `same` or transposed layer after\n"
    "the first, in the last frames, where the whole-sequence run pads that layer's input with zeros\n"
    "and a stream cannot know the input has ended.\n";

namespace {

constexpr double reference_sample_rate = 48000.0;

/// The model with every layer computing in `dtype`, rebuilt through its own JSON form.
Sequential with_dtype(const Sequential& model, DType dtype, const std::string& source)
{
    nlohmann::json document = model_to_json(model);
    for (auto& layer : document["config"]["layers"]) layer["config"]["dtype"] = dtype_name(dtype);
    return model_from_json(document, source);
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

/// The whole-sequence output steps for `steps` input steps (Keras' shape rules layer by layer).
std::size_t whole_sequence_steps(const Sequential& model, std::size_t steps)
{
    const std::size_t time_axis = channels_first(model) ? 2 : 1;
    TensorShape shape = model.input_shape().value_or(TensorShape{});
    if (shape.size() != 3) throw Error("model '" + model.name() + "' states no (batch, steps, channels) input shape");
    shape[0] = 1;
    shape[time_axis] = static_cast<std::int64_t>(steps);
    for (const auto& layer : model.layers()) shape = layer->compute_output_shape(shape);
    return static_cast<std::size_t>(*shape[time_axis]);
}

/// (batch, a, b) -> (batch, b, a): between channels_first arrays and the stream's frames.
Tensor transpose_last_two(const Tensor& x)
{
    const std::size_t batch = x.shape()[0], a = x.shape()[1], b = x.shape()[2];
    Tensor y({batch, b, a}, x.dtype());
    for (std::size_t n = 0; n < batch; ++n)
        for (std::size_t i = 0; i < a; ++i)
            for (std::size_t j = 0; j < b; ++j) y.set_flat((n * b + j) * a + i, x.flat((n * a + i) * b + j));
    return y;
}

/// How --block / --blocks cut the input into process() calls.
struct BlockSizes {
    std::size_t fixed = 512;
    std::optional<std::uint32_t> random_seed;
    std::size_t max_block() const { return random_seed ? 1024 : fixed; }
};

BlockSizes block_sizes(const Arguments& arguments)
{
    BlockSizes blocks;
    if (const auto n = arguments.whole_number("--block", "frames", 1, 1 << 24)) blocks.fixed = static_cast<std::size_t>(*n);
    if (const auto spec = arguments.value("--blocks")) {
        char* end = nullptr;
        const std::string prefix = "random:";
        const unsigned long seed = spec->starts_with(prefix) ? std::strtoul(spec->c_str() + prefix.size(), &end, 10) : 0;
        if (!spec->starts_with(prefix) || spec->size() == prefix.size() || *end != '\0')
            throw UsageError("--blocks takes random:SEED (a whole number), not '" + *spec + "'");
        blocks.random_seed = static_cast<std::uint32_t>(seed);
    }
    return blocks;
}

/// One batch item streamed: frames in (steps, channels) order, then zeros until the stream has
/// given latency + out_steps frames; returns those out_steps frames in the same order.
template <class T>
std::vector<T> stream_item(BasicModelStream<T>& stream, const T* frames, std::size_t steps, std::size_t out_steps,
                           const BlockSizes& blocks, std::mt19937& rng)
{
    const std::size_t cin = stream.input_channels(), cout = stream.output_channels();
    const std::size_t wanted = stream.latency() + out_steps;
    std::vector<T> out(wanted * cout + stream.max_output_frames(blocks.max_block()) * cout);
    std::vector<T> zeros(blocks.max_block() * cin, T(0));
    std::uniform_int_distribution<std::size_t> random_size(1, blocks.max_block());
    std::size_t fed = 0, written = 0;
    while (written < wanted) {
        const std::size_t n = blocks.random_seed ? random_size(rng) : blocks.fixed;
        const T* in = fed < steps ? frames + fed * cin : zeros.data();
        const std::size_t take = fed < steps ? std::min(n, steps - fed) : n;
        T* o = out.data() + written * cout;
        written += stream.process(&in, &o, take);
        fed += take;
    }
    out.erase(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(stream.latency() * cout));
    out.resize(out_steps * cout);
    return out;
}

template <class T> Tensor run_streamed_as(const Sequential& model, const Tensor& x, const BlockSizes& blocks)
{
    const bool cf = channels_first(model);
    // The stream takes frames; a channels_first array is (batch, channels, steps).
    const Tensor frames_in = cf ? transpose_last_two(x) : x;
    const std::size_t batch = x.shape()[0], steps = frames_in.shape()[1], cin = frames_in.shape()[2];
    BasicModelStream<T> stream(model);
    const std::size_t cout = stream.output_channels(), out_steps = whole_sequence_steps(model, steps);
    stream.prepare({.sample_rate = reference_sample_rate, .max_block_size = blocks.max_block(), .channels = 1});
    std::mt19937 rng(blocks.random_seed.value_or(0));
    Tensor y({batch, out_steps, cout}, x.dtype());
    for (std::size_t b = 0; b < batch; ++b) {
        stream.reset();
        const auto item = stream_item<T>(stream, frames_in.data<T>() + b * steps * cin, steps, out_steps, blocks, rng);
        std::copy(item.begin(), item.end(), y.data<T>() + b * out_steps * cout);
    }
    return cf ? transpose_last_two(y) : y;
}

Tensor run_streamed(const Sequential& model, const Tensor& x, const BlockSizes& blocks)
{
    return x.dtype() == DType::float32 ? run_streamed_as<float>(model, x, blocks)
                                       : run_streamed_as<double>(model, x, blocks);
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
    if ((arguments.has("--block") || arguments.has("--blocks")) && !arguments.has("--stream"))
        throw UsageError("--block and --blocks go with --stream");
    if (arguments.has("--block") && arguments.has("--blocks")) throw UsageError("give --block or --blocks, not both");
    const BlockSizes blocks = block_sizes(arguments);
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
    const Tensor y = arguments.has("--stream") ? run_streamed(model, x, blocks) : model(x);
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
