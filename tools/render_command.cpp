// `rtconv render MODEL IN OUT [--block N] [--whole] [--prewarm|--no-prewarm] [--float]`: a model run
// over an audio file the way a plug-in runs it live, written aligned with the input.
#include "arguments.hpp"
#include "commands.hpp"
#include "model_stats.hpp"

#include <rtconv/error.hpp>
#include <rtconv/model_file.hpp>
#include <rtconv/stream.hpp>

#include <sndfile.h>
#include <soxr.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstddef>
#include <filesystem>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <system_error>
#include <type_traits>

namespace rtconv::cli {

const char* const render_help =
    "usage: rtconv render MODEL IN OUT [--block N | --whole] [--prewarm | --no-prewarm] [--float]\n"
    "\n"
    "Runs MODEL over the audio file IN (any WAV, AIFF, FLAC, ... libsndfile reads) and writes OUT,\n"
    "aligned with IN: the stream's latency is compensated, so OUT has IN's length (times the model's\n"
    "rate change, if it decimates or upsamples). A model with one input channel runs every channel\n"
    "of IN on its own, with its own state; a model with C input channels takes a C-channel IN as\n"
    "one frame of features. OUT has (audio channels run) x (model output channels) channels.\n"
    "\n"
    "OUT keeps IN's container and sample format unless its extension names another container\n"
    "(out.flac, out.aiff, ...). When the model file states a sample rate and IN has another, IN is\n"
    "resampled to the model's rate and the output back to IN's (libsoxr, high quality).\n"
    "Prints the frames rendered and the speed of the model run (file input/output and resampling\n"
    "left out): real-time factor and ns per sample of each audio channel run.\n"
    "\n"
    "options:\n"
    "  --block N       stream in blocks of N frames (default 64)\n"
    "  --whole         run the whole file as one sequence instead of streaming it\n"
    "  --prewarm       start from the steady state of silence, as NAM does (the default for models\n"
    "                  whose file asks for it, such as NAM models)\n"
    "  --no-prewarm    start from zero history\n"
    "  --float         write 32-bit float samples, which keep values beyond full scale\n"
    "  --help          show this help\n";

namespace {

constexpr std::size_t default_block = 64;
/// Samples a render holds at each stage (the input, the input at the model's rate, the output):
/// 2^28, 1 GiB as float32, 46 minutes of 48 kHz stereo. Every stage is held whole, in float and
/// in the model's type, so a 2 GB file would otherwise take several times its size in memory.
constexpr double max_samples = double(1 << 28);
/// Renders shorter than this show no progress bar.
constexpr double progress_delay_seconds = 1.0;

/// Audio as libsndfile hands it over: frames of interleaved channels, full scale at +-1.
struct Audio {
    std::vector<float> samples;
    std::size_t channels = 1;
    double sample_rate = 0.0;
    std::size_t frames() const { return samples.size() / channels; }
};

using SoundFile = std::unique_ptr<SNDFILE, decltype(&sf_close)>;

struct InputFile {
    Audio audio;
    int format = 0; ///< libsndfile's container | sample format | endianness
};

/// Refuses a stage of `samples` beyond max_samples, before it is allocated.
void check_samples(double samples, const std::string& path, const std::string& stage)
{
    if (samples > max_samples)
        throw Error(path + ": " + stage + " would be " + std::to_string(std::llround(samples)) +
                    " samples, more than rtconv render holds in memory (" + std::to_string(std::llround(max_samples)) +
                    ", 1 GiB as float32): render a shorter file");
}

InputFile read_audio(const std::string& path)
{
    SF_INFO info{};
    const SoundFile file(sf_open(path.c_str(), SFM_READ, &info), &sf_close);
    if (!file) throw Error(path + ": cannot read audio: " + sf_strerror(nullptr));
    if (info.frames <= 0) throw Error(path + ": no audio frames to render");
    // libsndfile refuses a rate of 0 or below; a header may still say 1 Hz or 2 GHz, which the
    // resampler and the output's rate (a rate times the model's strides) cannot take.
    if (info.samplerate < min_sample_rate || info.samplerate > max_sample_rate)
        throw Error(path + ": sample rate " + std::to_string(info.samplerate) + " Hz: rtconv renders audio at " +
                    std::to_string(std::lround(min_sample_rate)) + " to " + std::to_string(std::lround(max_sample_rate)) +
                    " Hz");
    check_samples(double(info.frames) * double(info.channels), path, "the audio");
    InputFile input{{std::vector<float>(static_cast<std::size_t>(info.frames) * static_cast<std::size_t>(info.channels)),
                     static_cast<std::size_t>(info.channels), static_cast<double>(info.samplerate)},
                    info.format};
    const sf_count_t read = sf_readf_float(file.get(), input.audio.samples.data(), info.frames);
    if (read != info.frames)
        throw Error(path + ": cannot read audio: the file ends after " + std::to_string(read) + " of " +
                    std::to_string(info.frames) + " frames");
    return input;
}

/// libsndfile's name for a container or sample format.
std::string format_name(int format)
{
    SF_FORMAT_INFO info{};
    info.format = format;
    if (sf_command(nullptr, SFC_GET_FORMAT_INFO, &info, sizeof info) != 0) return "format " + std::to_string(format);
    return info.name;
}

/// The container a file name's extension names, when libsndfile writes one by that extension.
std::optional<int> container_named_by(const std::filesystem::path& path, int input_container)
{
    std::string extension = path.extension().string();
    if (extension.empty()) return std::nullopt;
    extension.erase(0, 1);
    std::transform(extension.begin(), extension.end(), extension.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    // Several containers share an extension (.wav: WAV, WAVEX, NIST): the input's wins, then the first.
    SF_FORMAT_INFO input_info{};
    input_info.format = input_container;
    if (sf_command(nullptr, SFC_GET_FORMAT_INFO, &input_info, sizeof input_info) == 0 && input_info.extension &&
        extension == input_info.extension)
        return input_container;
    int count = 0;
    sf_command(nullptr, SFC_GET_FORMAT_MAJOR_COUNT, &count, sizeof count);
    for (int i = 0; i < count; ++i) {
        SF_FORMAT_INFO info{};
        info.format = i;
        sf_command(nullptr, SFC_GET_FORMAT_MAJOR, &info, sizeof info);
        if (info.extension && extension == info.extension) return info.format;
    }
    return std::nullopt;
}

/// OUT's format: IN's, in the container OUT's extension names, with float samples on request.
int output_format(int input_format, const std::string& out_path, bool float_samples)
{
    const int input_container = input_format & SF_FORMAT_TYPEMASK;
    const int container = container_named_by(out_path, input_container).value_or(input_container);
    // The input's endianness belongs to its container.
    int format = container == input_container ? input_format : container | (input_format & SF_FORMAT_SUBMASK);
    if (float_samples) format = (format & ~SF_FORMAT_SUBMASK) | SF_FORMAT_FLOAT;
    return format;
}

bool holds_beyond_full_scale(int format)
{
    const int samples = format & SF_FORMAT_SUBMASK;
    return samples == SF_FORMAT_FLOAT || samples == SF_FORMAT_DOUBLE;
}

/// OUT, opened before the render so that an unwritable path fails at once; removed again unless
/// the render completes.
class OutputFile {
public:
    OutputFile(const std::string& path, int format, std::size_t channels, int sample_rate) : path_(path)
    {
        SF_INFO info{};
        info.format = format;
        info.channels = static_cast<int>(channels);
        info.samplerate = sample_rate;
        if (!sf_format_check(&info))
            throw Error(path + ": libsndfile cannot write " + format_name(format & SF_FORMAT_TYPEMASK) + " with " +
                        format_name(format & SF_FORMAT_SUBMASK) + " samples, " + std::to_string(channels) +
                        " channels at " + std::to_string(sample_rate) + " Hz" +
                        (holds_beyond_full_scale(format) ? " (--float needs a container that holds floats, like .wav)"
                                                         : ""));
        file_.reset(sf_open(path.c_str(), SFM_WRITE, &info));
        if (!file_) throw Error(path + ": cannot write audio: " + sf_strerror(nullptr));
        // Integer samples saturate at full scale instead of wrapping around.
        sf_command(file_.get(), SFC_SET_CLIPPING, nullptr, SF_TRUE);
    }
    ~OutputFile()
    {
        if (!file_) return;
        file_.reset();
        std::error_code ignored;
        std::filesystem::remove(path_, ignored);
    }
    OutputFile(const OutputFile&) = delete;
    OutputFile& operator=(const OutputFile&) = delete;

    void write(const Audio& audio)
    {
        const auto frames = static_cast<sf_count_t>(audio.frames());
        if (sf_writef_float(file_.get(), audio.samples.data(), frames) != frames)
            throw Error(path_ + ": cannot write audio: " + sf_strerror(file_.get()));
        if (sf_close(file_.release()) != 0) throw Error(path_ + ": cannot write audio: closing the file failed");
    }

private:
    std::string path_;
    SoundFile file_{nullptr, &sf_close};
};

/// `audio` at `to` Hz (soxr, high quality), made exactly `frames` long: soxr rounds the length its
/// own way, and the render's length is fixed by the input's.
Audio resample(const Audio& audio, double to, std::size_t frames)
{
    const std::size_t channels = audio.channels;
    const auto room = static_cast<std::size_t>(std::ceil(double(audio.frames()) * to / audio.sample_rate)) + 1;
    Audio out{std::vector<float>(std::max(room, frames) * channels), channels, to};
    const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
    const soxr_quality_spec_t quality = soxr_quality_spec(SOXR_HQ, 0);
    std::size_t consumed = 0, written = 0;
    if (const soxr_error_t error =
            soxr_oneshot(audio.sample_rate, to, static_cast<unsigned>(channels), audio.samples.data(), audio.frames(),
                         &consumed, out.samples.data(), room, &written, &io, &quality, nullptr))
        throw Error(std::string("resampling failed: ") + error);
    out.samples.resize(frames * channels); // soxr left the frames past `written` zero
    return out;
}

/// How the file's channels meet the model: `count` independent streams of `features` channels.
struct Lanes {
    std::size_t count = 1;
    std::size_t features = 1;
};

Lanes lanes_for(std::size_t file_channels, std::size_t model_inputs, const std::string& in_path)
{
    if (model_inputs == 1) return {file_channels, 1};
    if (model_inputs == file_channels) return {1, file_channels};
    throw Error(in_path + " has " + std::to_string(file_channels) + " channel" + (file_channels == 1 ? "" : "s") +
                "; the model takes " + std::to_string(model_inputs) + " input channels: give it a " +
                std::to_string(model_inputs) + "-channel file (a model with 1 input channel runs each channel on its "
                "own)");
}

/// Lane l's frames: channels l * features ... of every frame of `audio`.
template <class T> std::vector<std::vector<T>> split_lanes(const Audio& audio, Lanes lanes)
{
    std::vector<std::vector<T>> split(lanes.count, std::vector<T>(audio.frames() * lanes.features));
    for (std::size_t t = 0; t < audio.frames(); ++t)
        for (std::size_t l = 0; l < lanes.count; ++l)
            for (std::size_t c = 0; c < lanes.features; ++c)
                split[l][t * lanes.features + c] = static_cast<T>(audio.samples[t * audio.channels + l * lanes.features + c]);
    return split;
}

/// The lanes' outputs side by side: lane l's channel c is channel l * channels + c.
template <class T>
Audio join_lanes(const std::vector<std::vector<T>>& lanes, std::size_t channels, double sample_rate)
{
    const std::size_t frames = lanes.front().size() / channels, total = lanes.size() * channels;
    Audio audio{std::vector<float>(frames * total), total, sample_rate};
    for (std::size_t t = 0; t < frames; ++t)
        for (std::size_t l = 0; l < lanes.size(); ++l)
            for (std::size_t c = 0; c < channels; ++c)
                audio.samples[t * total + l * channels + c] = static_cast<float>(lanes[l][t * channels + c]);
    return audio;
}

/// A bar on stderr while streaming, only when stderr is a terminal and the render has taken more
/// than a second.
class ProgressBar {
public:
    ProgressBar() : shown_(isatty(STDERR_FILENO) == 1), start_(std::chrono::steady_clock::now()) {}
    ~ProgressBar()
    {
        if (drawn_) std::fprintf(stderr, "\r%*s\r", static_cast<int>(width + 16), "");
    }
    ProgressBar(const ProgressBar&) = delete;
    ProgressBar& operator=(const ProgressBar&) = delete;

    void update(std::size_t done, std::size_t total)
    {
        // Reading the clock on every block of a small block size would show in the timing.
        if (!shown_ || done - checked_ < frames_between_checks) return;
        checked_ = done;
        const auto now = std::chrono::steady_clock::now();
        if (now - start_ < std::chrono::duration<double>(progress_delay_seconds) || now - drawn_at_ < redraw_interval)
            return;
        drawn_at_ = now;
        drawn_ = true;
        const std::size_t filled = width * done / total;
        std::fprintf(stderr, "\rrendering [%s%s] %3zu%%", std::string(filled, '#').c_str(),
                     std::string(width - filled, ' ').c_str(), 100 * done / total);
        std::fflush(stderr);
    }

private:
    static constexpr std::size_t width = 40;
    static constexpr std::size_t frames_between_checks = 16384;
    static constexpr std::chrono::milliseconds redraw_interval{100};
    bool shown_;
    bool drawn_ = false;
    std::size_t checked_ = 0;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point drawn_at_{};
};

std::size_t round_up(std::size_t n, std::size_t multiple)
{
    return (n + multiple - 1) / multiple * multiple;
}

/// Streams every lane block by block, then silence until the stream has given latency() + out_frames
/// frames, and drops the first latency() of them: the output aligned with the input.
template <class T>
std::vector<std::vector<T>> render_streamed(BasicModelStream<T>& stream, const std::vector<std::vector<T>>& inputs,
                                            std::size_t out_frames, std::size_t block, ProgressBar& progress)
{
    const std::size_t cin = stream.input_channels(), cout = stream.output_channels();
    const std::size_t frames = inputs.front().size() / cin, wanted = stream.latency() + out_frames;
    std::vector<std::vector<T>> outputs(inputs.size(),
                                        std::vector<T>((wanted + stream.max_output_frames(block)) * cout));
    const std::vector<T> silence(block * cin, T(0));
    std::vector<const T*> in(inputs.size());
    std::vector<T*> out(inputs.size());
    for (std::size_t fed = 0, written = 0; written < wanted;) {
        const std::size_t n = fed < frames ? std::min(block, frames - fed) : block;
        for (std::size_t l = 0; l < inputs.size(); ++l) {
            in[l] = fed < frames ? inputs[l].data() + fed * cin : silence.data();
            out[l] = outputs[l].data() + written * cout;
        }
        written += stream.process(in.data(), out.data(), n);
        fed += n;
        progress.update(written, wanted);
    }
    for (auto& output : outputs) {
        output.erase(output.begin(), output.begin() + static_cast<std::ptrdiff_t>(stream.latency() * cout));
        output.resize(out_frames * cout);
    }
    return outputs;
}

/// Sequential::operator() on each lane as one sequence, fed what the stream sees so that both give the
/// same output: prewarm's silence first, then the input, then the silence the stream is fed to flush its
/// latency (with `same` layers after the first, the whole-sequence run would otherwise pad their
/// inputs with zeros where the stream sees its predecessors' continuing output).
template <class T>
std::vector<std::vector<T>> render_whole(Sequential& model, const BasicModelStream<T>& stream,
                                         const std::vector<std::vector<T>>& inputs, std::size_t out_frames, bool prewarm)
{
    const std::size_t cin = stream.input_channels(), cout = stream.output_channels();
    const std::size_t up = stream.rate_up(), down = stream.rate_down(), frames = inputs.front().size() / cin;
    // Silence longer than the receptive field settles every layer into the state prewarm() leaves;
    // lengths in whole decimation periods keep the strided layers' phase (and Keras' padding split
    // of a strided `same` layer) where the stream has them.
    const std::size_t lead = prewarm ? round_up(stream.receptive_field(), down) : 0;
    const std::size_t steps = round_up(lead + frames + (stream.latency() * down + up - 1) / up, down);
    const std::size_t skip = lead * up / down;
    const bool cf = channels_first(model);
    const DType dtype = std::is_same_v<T, float> ? DType::float32 : DType::float64;
    std::vector<std::vector<T>> outputs;
    for (const auto& input : inputs) {
        Tensor x(cf ? Shape{1, cin, steps} : Shape{1, steps, cin}, dtype);
        T* xs = x.data<T>();
        for (std::size_t t = 0; t < frames; ++t)
            for (std::size_t c = 0; c < cin; ++c) xs[cf ? c * steps + lead + t : (lead + t) * cin + c] = input[t * cin + c];
        const Tensor y = model(x);
        const std::size_t y_steps = y.shape()[cf ? 2 : 1];
        if (y_steps < skip + out_frames)
            throw Error("the whole-sequence output has " + std::to_string(y_steps) + " frames, fewer than the " +
                        std::to_string(skip + out_frames) + " the render needs");
        const T* ys = y.data<T>();
        std::vector<T> output(out_frames * cout);
        for (std::size_t t = 0; t < out_frames; ++t)
            for (std::size_t c = 0; c < cout; ++c) output[t * cout + c] = ys[cf ? c * y_steps + skip + t : (skip + t) * cout + c];
        outputs.push_back(std::move(output));
    }
    return outputs;
}

struct RenderRequest {
    std::string in_path;
    std::string out_path;
    std::size_t block = default_block;
    bool whole = false;
    bool prewarm = false;
    bool float_samples = false;
};

template <class T> int render_as(Sequential& model, const RenderRequest& request)
{
    BasicModelStream<T> stream(model);
    const InputFile input = read_audio(request.in_path);
    const Audio& audio = input.audio;
    const Lanes lanes = lanes_for(audio.channels, stream.input_channels(), request.in_path);
    const std::size_t up = stream.rate_up(), down = stream.rate_down();
    const double out_rate = audio.sample_rate * double(up) / double(down);
    if (out_rate != std::floor(out_rate))
        throw Error(request.in_path + ": the model changes the sample rate by " + std::to_string(up) + "/" +
                    std::to_string(down) + ", which makes " + std::to_string(std::llround(audio.sample_rate)) +
                    " Hz into a rate that is not a whole number of Hz");
    if (out_rate > double(std::numeric_limits<int>::max()))
        throw Error(request.in_path + ": the model changes the sample rate by " + std::to_string(up) + "/" +
                    std::to_string(down) + ", which makes " + std::to_string(std::llround(audio.sample_rate)) +
                    " Hz into more than a sound file's rate can be");
    const int out_format = output_format(input.format, request.out_path, request.float_samples);
    OutputFile output(request.out_path, out_format, lanes.count * stream.output_channels(), static_cast<int>(out_rate));

    const double model_rate = model.metadata().sample_rate.value_or(audio.sample_rate);
    const bool resampling = model_rate != audio.sample_rate;
    // Both rates lie within [min_sample_rate, max_sample_rate], so each stage is at most 768 times
    // the input; the model's own strides multiply the output by up to rtconv's limit of 65536.
    const double frames_at_model_rate = std::round(double(audio.frames()) * model_rate / audio.sample_rate);
    check_samples(frames_at_model_rate * double(audio.channels), request.in_path, "the audio at the model's rate");
    check_samples(std::ceil(frames_at_model_rate * double(up) / double(down)) * double(lanes.count) *
                      double(stream.output_channels()),
                  request.in_path, "the output");
    if (resampling)
        std::fprintf(stderr, "rtconv: resampling %g Hz to the model's %g Hz and the output back\n", audio.sample_rate,
                     model_rate);
    std::optional<Audio> resampled;
    if (resampling)
        resampled = resample(audio, model_rate,
                             static_cast<std::size_t>(std::llround(double(audio.frames()) * model_rate / audio.sample_rate)));
    const Audio& at_model_rate = resampled ? *resampled : audio;
    const std::vector<std::vector<T>> inputs = split_lanes<T>(at_model_rate, lanes);
    // Output frames = input frames x up / down, a partial last frame counted whole as Keras does
    // for strided layers.
    const std::size_t out_frames = (at_model_rate.frames() * up + down - 1) / down;

    std::vector<std::vector<T>> outputs;
    std::chrono::steady_clock::duration elapsed{};
    if (request.whole) {
        const auto start = std::chrono::steady_clock::now();
        outputs = render_whole(model, stream, inputs, out_frames, request.prewarm);
        elapsed = std::chrono::steady_clock::now() - start;
    } else {
        stream.prepare({.sample_rate = model_rate, .max_block_size = request.block, .channels = lanes.count});
        if (request.prewarm) stream.prewarm();
        ProgressBar progress;
        const auto start = std::chrono::steady_clock::now();
        outputs = render_streamed(stream, inputs, out_frames, request.block, progress);
        elapsed = std::chrono::steady_clock::now() - start;
    }
    const Audio rendered = join_lanes(outputs, stream.output_channels(), model_rate * double(up) / double(down));
    const Audio result = resampling ? resample(rendered, out_rate, (audio.frames() * up + down - 1) / down) : rendered;

    const std::ptrdiff_t clipped = holds_beyond_full_scale(out_format)
                             ? 0
                             : std::count_if(result.samples.begin(), result.samples.end(),
                                             [](float v) { return std::abs(v) > 1.f; });
    output.write(result);
    if (clipped > 0)
        std::fprintf(stderr, "rtconv: warning: %td output samples beyond full scale were clipped (--float keeps them)\n",
                     clipped);

    const double seconds = std::chrono::duration<double>(elapsed).count();
    const double audio_seconds = double(audio.frames()) / audio.sample_rate;
    const double samples_run = double(at_model_rate.frames() * lanes.count);
    std::printf("rendered %zu frames x %zu %s (%.3f s at %g Hz) -> %s in %.3f s: %.1fx real time, %.2f ns/sample\n",
                audio.frames(), audio.channels, audio.channels == 1 ? "channel" : "channels", audio_seconds,
                audio.sample_rate, request.out_path.c_str(), seconds, audio_seconds / seconds,
                seconds * 1e9 / samples_run);
    return 0;
}

} // namespace

int render_command(const std::vector<std::string>& args)
{
    const Arguments arguments(args, {"--block"}, {"--whole", "--prewarm", "--no-prewarm", "--float", "--help"});
    if (arguments.has("--help")) {
        std::cout << render_help;
        return 0;
    }
    if (arguments.has("--block") && arguments.has("--whole"))
        throw UsageError("--block sets the stream's block size; --whole does not stream");
    if (arguments.has("--prewarm") && arguments.has("--no-prewarm"))
        throw UsageError("give --prewarm or --no-prewarm, not both");
    if (arguments.positional().size() != 3)
        throw UsageError("render takes MODEL, IN and OUT (see 'rtconv render --help')");
    const std::string& model_path = arguments.positional()[0];
    RenderRequest request{.in_path = arguments.positional()[1],
                          .out_path = arguments.positional()[2],
                          .whole = arguments.has("--whole"),
                          .float_samples = arguments.has("--float")};
    if (const auto n = arguments.whole_number("--block", "frames", 1, 1 << 24)) request.block = static_cast<std::size_t>(*n);
    // OUT is created before the render and removed if it fails: that must never be IN.
    std::error_code not_found;
    if (std::filesystem::equivalent(request.in_path, request.out_path, not_found))
        throw UsageError("OUT is the same file as IN; render writes a new file");

    Sequential model = load_model(model_path);
    if (model.layers().empty()) throw Error(model_path + ": the model has no layers to run");
    request.prewarm = arguments.has("--prewarm") || (model.metadata().prewarm && !arguments.has("--no-prewarm"));
    return model.layers().front()->dtype() == DType::float32 ? render_as<float>(model, request)
                                                             : render_as<double>(model, request);
}

} // namespace rtconv::cli
