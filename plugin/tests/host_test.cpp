// The plug-in as a host sees it: loads the built VST3 and LV2 from the build tree and checks
// - output at the model's rate equals `rtconv render` of the same model (within 1e-5),
//   for any block sizes up to the announced one (1, odd sizes);
// - input gain, output gain, mix and bypass do what they say; bypass is host-visible;
// - state saved from one instance and restored into a new one gives identical output;
// - the latency reported equals the latency measured with an impulse, at 44.1 to 192 kHz (the
//   compiled-in model is trained at 48 kHz, so all but 48 kHz resample);
// - resampled output does not depend on the block sizes;
// - a model swapped in from another thread while audio runs (a state restore, as a host does it
//   on its message thread) crossfades without a click, and the audio thread makes no heap call
//   in any block, before, during or after the swap.
// Prints "plugin host test: ok" when every check passes. With --swap-only it runs only the model
// swap, the check where threads meet, for the ThreadSanitizer build (the rest takes minutes there).
#include "checks.hpp"
#include "heap_calls.hpp" // replaces the global allocation functions: counts the audio thread's calls

#include <juce_audio_processors/juce_audio_processors.h>

#include <sndfile.h>
#include <soxr.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr double model_rate = 48000.0; // the compiled-in NAM model's
constexpr int announced_block = 512;
constexpr int channels = 2;
/// Block sizes cycled through: one frame, odd sizes, the announced maximum. (VST3 and LV2 make the
/// announced maximum a hard limit: JUCE's wrappers copy into buffers of that size.)
const std::vector<int> varied_blocks = {1, 7, 512, 64, 13, 333};

using rtconv_plugin_test::check;
using rtconv_plugin_test::failures;
using rtconv_plugin_test::format_value;

using Audio = juce::AudioBuffer<float>;

/// Two different signals, guitar-like in level: a decaying chord on the left, noise on the right.
Audio test_signal(double rate, double seconds)
{
    const int frames = static_cast<int>(rate * seconds);
    Audio audio(channels, frames);
    juce::Random random(5);
    for (int t = 0; t < frames; ++t) {
        const double time = t / rate;
        audio.setSample(0, t, static_cast<float>(0.3 * std::exp(-2.0 * time) *
                                                (std::sin(2 * M_PI * 110 * time) + std::sin(2 * M_PI * 164.8 * time))));
        audio.setSample(1, t, 0.2f * (random.nextFloat() * 2.f - 1.f));
    }
    return audio;
}

float largest_difference(const Audio& a, const Audio& b)
{
    float largest = 0.f;
    for (int ch = 0; ch < a.getNumChannels(); ++ch)
        for (int t = 0; t < a.getNumSamples(); ++t)
            largest = std::max(largest, std::abs(a.getSample(ch, t) - b.getSample(ch, t)));
    return largest;
}

/// Without this the swap test could pass because the counting allocator was never linked in.
bool counters_see_allocations()
{
    arm();
    int* volatile object = new int(1); // volatile: the compiler may not elide the pair
    delete object;
    const std::size_t calls = total(disarm());
    check(calls == 2, "the heap-call counters see a new and a delete (" + std::to_string(calls) + " counted)");
    return calls == 2;
}

/// A float WAV file at `rate`.
void write_wav(const juce::File& file, const Audio& audio, double rate)
{
    SF_INFO info{};
    info.samplerate = static_cast<int>(rate);
    info.channels = audio.getNumChannels();
    info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
    SNDFILE* handle = sf_open(file.getFullPathName().toRawUTF8(), SFM_WRITE, &info);
    if (!handle) throw std::runtime_error("cannot write " + file.getFullPathName().toStdString());
    std::vector<float> interleaved(static_cast<std::size_t>(audio.getNumSamples() * audio.getNumChannels()));
    for (int t = 0; t < audio.getNumSamples(); ++t)
        for (int ch = 0; ch < audio.getNumChannels(); ++ch)
            interleaved[static_cast<std::size_t>(t * audio.getNumChannels() + ch)] = audio.getSample(ch, t);
    sf_writef_float(handle, interleaved.data(), audio.getNumSamples());
    sf_close(handle);
}

Audio read_wav(const juce::File& file)
{
    SF_INFO info{};
    SNDFILE* handle = sf_open(file.getFullPathName().toRawUTF8(), SFM_READ, &info);
    if (!handle) throw std::runtime_error("cannot read " + file.getFullPathName().toStdString());
    std::vector<float> interleaved(static_cast<std::size_t>(info.frames * info.channels));
    sf_readf_float(handle, interleaved.data(), info.frames);
    sf_close(handle);
    Audio audio(info.channels, static_cast<int>(info.frames));
    for (int t = 0; t < audio.getNumSamples(); ++t)
        for (int ch = 0; ch < info.channels; ++ch)
            audio.setSample(ch, t, interleaved[static_cast<std::size_t>(t * info.channels + ch)]);
    return audio;
}

/// What `rtconv render` makes of a model: the reference for the plug-in's output.
class Renderer {
public:
    Renderer(std::string cli, std::string model) : cli_(std::move(cli)), model_(std::move(model)) {}

    const std::string& model() const { return model_; }

    /// `rtconv render MODEL in.wav out.wav --float` at the model's rate.
    Audio operator()(const Audio& input) const
    {
        const juce::TemporaryFile in(".wav"), out(".wav");
        write_wav(in.getFile(), input, model_rate);
        juce::ChildProcess render;
        const juce::StringArray command{cli_, "render", model_, in.getFile().getFullPathName(),
                                        out.getFile().getFullPathName(), "--float"};
        if (!render.start(command, juce::ChildProcess::wantStdErr))
            throw std::runtime_error("cannot start " + cli_);
        const juce::String messages = render.readAllProcessOutput();
        if (!render.waitForProcessToFinish(60000) || render.getExitCode() != 0)
            throw std::runtime_error("rtconv render failed: " + messages.toStdString());
        return read_wav(out.getFile());
    }

private:
    std::string cli_, model_;
};

/// A hosted plug-in instance with its parameters by name.
class Hosted {
public:
    Hosted(juce::AudioPluginFormat& format, const juce::String& identifier)
    {
        juce::OwnedArray<juce::PluginDescription> types;
        format.findAllTypesForFile(types, identifier);
        if (types.isEmpty()) throw std::runtime_error("no plug-in found at " + identifier.toStdString());
        juce::String error;
        plugin_ = format.createInstanceFromDescription(*types[0], model_rate, announced_block, error);
        if (!plugin_) throw std::runtime_error("cannot instantiate " + identifier.toStdString() + ": " + error.toStdString());
        const juce::AudioChannelSet stereo = juce::AudioChannelSet::stereo();
        juce::AudioProcessor::BusesLayout layout;
        layout.inputBuses.add(stereo);
        layout.outputBuses.add(stereo);
        if (!plugin_->setBusesLayout(layout)) throw std::runtime_error("the plug-in refuses stereo in and out");
    }

    juce::AudioPluginInstance& plugin() { return *plugin_; }

    /// Sets a parameter by its name, in its own units: dB for the gains (-24 to 24), % for the
    /// mix.
    void set(const juce::String& name, float value)
    {
        const float normalised = name == "Mix" ? value / 100.f : (value + 24.f) / 48.f;
        for (juce::AudioProcessorParameter* parameter : plugin_->getParameters())
            if (parameter->getName(64) == name) {
                parameter->setValueNotifyingHost(normalised);
                return;
            }
        throw std::runtime_error("the plug-in has no parameter named " + name.toStdString());
    }

    /// Prepares afresh at `rate` and runs `input` through in blocks cycling through `blocks`.
    Audio render(const Audio& input, double rate, const std::vector<int>& blocks)
    {
        plugin_->releaseResources();
        plugin_->prepareToPlay(rate, announced_block);
        Audio output(input);
        juce::MidiBuffer midi;
        for (int start = 0, i = 0; start < output.getNumSamples(); ++i) {
            const int n = std::min(blocks[static_cast<std::size_t>(i) % blocks.size()], output.getNumSamples() - start);
            Audio block(output.getArrayOfWritePointers(), channels, start, n);
            plugin_->processBlock(block, midi);
            start += n;
        }
        return output;
    }

    /// The latency the plug-in reports, after JUCE's hosts have received it: VST3 passes a change
    /// on through the message thread.
    int latency_samples()
    {
        juce::MessageManager::getInstance()->runDispatchLoopUntil(20);
        return plugin_->getLatencySamples();
    }

    /// The host's own bypass switch (LV2: the lv2:enabled port, which JUCE maps onto the plug-in's
    /// bypass parameter).
    void set_bypass(bool bypassed) { plugin_->getBypassParameter()->setValueNotifyingHost(bypassed ? 1.f : 0.f); }

    /// One block of silence: JUCE 7.0.5's LV2 host applies parameter changes (and writes the
    /// lv2:enabled port behind the host's bypass) one block late.
    void settle()
    {
        Audio silence(channels, announced_block);
        silence.clear();
        juce::MidiBuffer midi;
        plugin_->processBlock(silence, midi);
    }

private:
    std::unique_ptr<juce::AudioPluginInstance> plugin_;
};

Audio scaled(const Audio& audio, float factor)
{
    Audio result(audio);
    result.applyGain(factor);
    return result;
}

/// `audio` at another rate (libsoxr, high quality, linear phase: aligned with the input), as long.
Audio resampled(const Audio& audio, double from, double to)
{
    const auto frames = static_cast<std::size_t>(std::llround(audio.getNumSamples() * to / from));
    Audio result(channels, static_cast<int>(frames));
    result.clear();
    const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_S, SOXR_FLOAT32_S);
    const soxr_quality_spec_t quality = soxr_quality_spec(SOXR_HQ, 0);
    float* out[channels] = {result.getWritePointer(0), result.getWritePointer(1)};
    std::size_t consumed = 0, written = 0;
    if (const soxr_error_t error = soxr_oneshot(from, to, channels, audio.getArrayOfReadPointers(),
                                                static_cast<std::size_t>(audio.getNumSamples()), &consumed, out, frames,
                                                &written, &io, &quality, nullptr))
        throw std::runtime_error(std::string("resampling failed: ") + error);
    return result;
}

/// The delay, in frames, at which `delayed_copy` best matches `original` (least squared error over
/// the frames around `at`), and that error's RMS.
std::pair<int, float> best_alignment(const Audio& original, const Audio& delayed_copy, int at, int max_delay)
{
    constexpr int window = 4096;
    std::pair<int, float> best{-1, std::numeric_limits<float>::max()};
    for (int delay = 0; delay <= max_delay; ++delay) {
        double error = 0.0;
        for (int t = at - window / 4; t < at + window * 3 / 4; ++t) {
            const float d = delayed_copy.getSample(0, t + delay) - original.getSample(0, t);
            error += double(d) * d;
        }
        const auto rms = static_cast<float>(std::sqrt(error / window));
        if (rms < best.second) best = {delay, rms};
    }
    return best;
}

/// `plugin`'s state with the model file at `path` in place of its own: the plug-in keeps the
/// model's bytes in its state, so restoring this is how a host swaps the model. VST3 (in JUCE's
/// host XML) and LV2 (in a Turtle literal) both carry the plug-in's own state as the longest run
/// of JUCE's base64 text, so the run is decoded, changed and put back.
juce::MemoryBlock state_with_model(juce::AudioPluginInstance& plugin, const std::string& path)
{
    juce::MemoryBlock wrapped;
    plugin.getStateInformation(wrapped);
    const std::string text(static_cast<const char*>(wrapped.getData()), wrapped.getSize());
    auto is_base64 = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '.'; };
    std::size_t run_start = 0, run_length = 0;
    for (std::size_t i = 0; i < text.size();) {
        std::size_t j = i;
        while (j < text.size() && is_base64(text[j])) ++j;
        if (j - i > run_length) run_start = i, run_length = j - i;
        i = j + 1;
    }
    juce::MemoryBlock own;
    own.fromBase64Encoding(text.substr(run_start, run_length));
    juce::ValueTree tree = juce::ValueTree::readFromData(own.getData(), own.getSize());
    juce::ValueTree model = tree.getChildWithName("model");
    juce::MemoryBlock bytes;
    if (!model.isValid() || !juce::File(path).loadFileAsData(bytes))
        throw std::runtime_error("cannot put " + path + " into the plug-in's state");
    model.setProperty("name", juce::String(std::filesystem::path(path).filename().string()), nullptr);
    model.setProperty("bytes", bytes, nullptr);
    juce::MemoryBlock changed;
    juce::MemoryOutputStream stream(changed, false);
    tree.writeToStream(stream);
    stream.flush();
    const std::string swapped = text.substr(0, run_start) + changed.toBase64Encoding().toStdString() +
                                text.substr(run_start + run_length);
    return juce::MemoryBlock(swapped.data(), swapped.size());
}

/// The largest second difference |y[t] - 2 y[t-1] + y[t-2]| in [from, to) of every channel: small
/// on a smooth signal, as large as the step itself at a click.
float largest_bend(const Audio& audio, int from, int to)
{
    float largest = 0.f;
    for (int ch = 0; ch < audio.getNumChannels(); ++ch)
        for (int t = std::max(from, 2); t < to; ++t)
            largest = std::max(largest, std::abs(audio.getSample(ch, t) - 2.f * audio.getSample(ch, t - 1) +
                                                 audio.getSample(ch, t - 2)));
    return largest;
}

/// What play_model_swap() heard and counted.
struct SwapRun {
    Audio audio;
    int swap_requested_at = 0;
    EntryCounts heap_calls{};
    std::vector<std::size_t> heap_calls_per_block;
};

constexpr int swap_block = 64;

/// An audio thread plays a quiet sine through the plug-in in blocks of 64, paced at four times
/// real time, while this (the message) thread restores `swap_state`, a state holding another
/// model; heap calls on the audio thread are counted per block.
SwapRun play_model_swap(Hosted& hosted, const juce::MemoryBlock& swap_state)
{
    constexpr double seconds = 4.0, swap_at_seconds = 1.0, pace = 4.0;
    constexpr float amplitude = 0.02f; // quiet and low: both models' outputs are smooth
    const int frames = static_cast<int>(model_rate * seconds);
    SwapRun run;
    run.audio = Audio(channels, frames);
    for (int ch = 0; ch < channels; ++ch)
        for (int t = 0; t < frames; ++t)
            run.audio.setSample(ch, t, amplitude * static_cast<float>(std::sin(2 * M_PI * 110 * t / model_rate)));
    run.heap_calls_per_block.resize(static_cast<std::size_t>((frames + swap_block - 1) / swap_block));
    hosted.plugin().releaseResources();
    hosted.plugin().prepareToPlay(model_rate, announced_block);

    std::atomic<int> played{0};
    std::thread audio_thread([&] {
        juce::MidiBuffer midi;
        const auto start = std::chrono::steady_clock::now();
        for (int t = 0; t < frames; t += swap_block) {
            Audio view(run.audio.getArrayOfWritePointers(), channels, t, std::min(swap_block, frames - t));
            arm();
            hosted.plugin().processBlock(view, midi);
            const EntryCounts counts = disarm();
            for (std::size_t i = 0; i < counts.size(); ++i) run.heap_calls[i] += counts[i];
            run.heap_calls_per_block[static_cast<std::size_t>(t / swap_block)] = total(counts);
            played.store(t + view.getNumSamples());
            std::this_thread::sleep_until(start + std::chrono::duration<double>((t + swap_block) / model_rate / pace));
        }
    });
    run.swap_requested_at = static_cast<int>(swap_at_seconds * model_rate);
    // The message loop runs throughout, as a host's does: JUCE's LV2 host drains the messages its
    // audio thread queues there.
    while (played.load() < run.swap_requested_at) juce::MessageManager::getInstance()->runDispatchLoopUntil(1);
    hosted.plugin().setStateInformation(swap_state.getData(), static_cast<int>(swap_state.getSize()));
    while (played.load() < frames) juce::MessageManager::getInstance()->runDispatchLoopUntil(5);
    audio_thread.join();
    return run;
}

/// The model in `swap_state` swapped in while audio plays: no heap call from the plug-in on the
/// audio thread, the new model takes over (it runs at 44.1 kHz, so the swap also brings in a
/// resampler and a latency), and without a click.
/// `wrapper_heap_calls`: what the format's JUCE wrapper makes in every block, whatever the
/// plug-in does (JUCE 7.0.5's VST3 client copies a channel map, std::vector and all, per block).
void test_model_swap(Hosted& hosted, const juce::MemoryBlock& swap_state, std::size_t wrapper_heap_calls)
{
    const SwapRun run = play_model_swap(hosted, swap_state);
    const auto& per_block = run.heap_calls_per_block;
    const bool only_the_wrappers = std::all_of(per_block.begin(), per_block.end(),
                                               [&](std::size_t calls) { return calls == wrapper_heap_calls; });
    check(only_the_wrappers, "the plug-in made no heap call on the audio thread in " +
                                 std::to_string(per_block.size()) + " blocks around a model swap (" +
                                 std::to_string(total(run.heap_calls)) + " calls in all, " +
                                 std::to_string(wrapper_heap_calls) + " per block from JUCE's wrapper)");
    if (!only_the_wrappers) print_counts(run.heap_calls);
    const int frames = run.audio.getNumSamples();
    const int settled = static_cast<int>(0.1 * model_rate);
    const float before = largest_bend(run.audio, settled, run.swap_requested_at);
    const float after = largest_bend(run.audio, frames - static_cast<int>(model_rate), frames);
    const float around = largest_bend(run.audio, run.swap_requested_at, frames);
    check(hosted.latency_samples() > 0 && std::abs(after - before) > 1e-3f,
          "the other model took over: the reported latency became " + std::to_string(hosted.latency_samples()) +
              " frames and the sine's largest bend went from " + format_value(before) + " to " + format_value(after));
    check(around <= 1.05f * std::max(before, after),
          "no click: the largest bend from the swap on (" + format_value(around) +
              ") is no larger than either model's own");
}

/// The model swap alone, for the ThreadSanitizer build. JUCE's hosts (this side of the test) grow
/// buffers of their own on the audio thread in their first blocks (the VST3 host's channel lists)
/// and when the queue of messages for the message thread fills (the LV2 host, while the message
/// thread loads a model): a first swap, unchecked, brings them to the sizes the full run's earlier
/// checks bring them to. Then the plug-in's first state again, and the checked swap.
void test_model_swap_alone(Hosted& hosted, const std::string& other_model, std::size_t wrapper_heap_calls)
{
    juce::MemoryBlock first_state;
    hosted.plugin().getStateInformation(first_state);
    const juce::MemoryBlock swap_state = state_with_model(hosted.plugin(), other_model);
    play_model_swap(hosted, swap_state);
    hosted.plugin().setStateInformation(first_state.getData(), static_cast<int>(first_state.getSize()));
    test_model_swap(hosted, swap_state, wrapper_heap_calls);
}

void test_format(juce::AudioPluginFormat& format, const juce::String& identifier, const Renderer& render,
                 const std::string& swap_model, std::size_t wrapper_heap_calls, bool swap_only)
{
    std::printf("%s: %s\n", format.getName().toRawUTF8(), identifier.toRawUTF8());
    Hosted hosted(format, identifier);
    if (swap_only) {
        test_model_swap_alone(hosted, swap_model, wrapper_heap_calls);
        return;
    }
    const Audio input = test_signal(model_rate, 1.0);
    const Audio reference = render(input);
    check(hosted.plugin().getBypassParameter() != nullptr, "bypass is the host's bypass parameter");
    const Audio plain = hosted.render(input, model_rate, {announced_block});
    check(largest_difference(plain, reference) <= 1e-5f,
          "output equals rtconv render's (largest difference " +
              format_value(largest_difference(plain, reference)) + ")");
    const Audio varied = hosted.render(input, model_rate, varied_blocks);
    check(largest_difference(varied, reference) <= 1e-5f, "the same with blocks of 1, 7, 13, 64 and 333 frames");
    check(hosted.latency_samples() == 0, "a causal model at its own rate reports no latency");

    hosted.set("Output gain", 6.f);
    const Audio louder = hosted.render(input, model_rate, varied_blocks);
    const float six_db = std::pow(10.f, 6.f / 20.f);
    check(largest_difference(louder, scaled(reference, six_db)) <= 1e-5f, "output gain +6 dB scales the output");
    hosted.set("Output gain", 0.f);

    hosted.set("Input gain", 6.f);
    const Audio driven = hosted.render(input, model_rate, varied_blocks);
    check(largest_difference(driven, render(scaled(input, six_db))) <= 1e-5f,
          "input gain +6 dB drives the model as a 6 dB louder input does");
    hosted.set("Input gain", 0.f);

    hosted.set("Mix", 25.f);
    const Audio mixed = hosted.render(input, model_rate, varied_blocks);
    Audio expected_mix = scaled(reference, 0.25f);
    for (int ch = 0; ch < channels; ++ch) expected_mix.addFrom(ch, 0, input, ch, 0, input.getNumSamples(), 0.75f);
    check(largest_difference(mixed, expected_mix) <= 1e-5f, "mix 25 % is a quarter wet, three quarters dry");
    hosted.set("Mix", 100.f);

    hosted.set_bypass(true);
    hosted.settle();
    const Audio bypassed = hosted.render(input, model_rate, varied_blocks);
    check(largest_difference(bypassed, input) == 0.f, "bypass passes the input through unchanged (largest difference " +
                                                          format_value(largest_difference(bypassed, input)) + ")");
    hosted.set_bypass(false);

    // State: parameters and the model travel to a new instance.
    hosted.set("Input gain", 3.f);
    hosted.set("Output gain", -2.f);
    hosted.set("Mix", 70.f);
    hosted.settle();
    juce::MemoryBlock state;
    hosted.plugin().getStateInformation(state);
    const Audio original = hosted.render(input, model_rate, varied_blocks);
    Hosted restored(format, identifier);
    restored.plugin().prepareToPlay(model_rate, announced_block);
    restored.settle();
    restored.plugin().setStateInformation(state.getData(), static_cast<int>(state.getSize()));
    restored.settle();
    check(largest_difference(restored.render(input, model_rate, varied_blocks), original) == 0.f,
          "state saved and restored into a new instance gives identical output");

    hosted.set("Input gain", 0.f);
    hosted.set("Output gain", 0.f);
    hosted.set("Mix", 100.f);

    // Latency: an impulse through the plug-in at the host's rate against the same impulse run offline
    // (resampled to the model's rate, through rtconv's stream, resampled back: no delay anywhere).
    constexpr int impulse_at = 4000, max_latency = 16384;
    for (const double rate : {44100.0, 48000.0, 88200.0, 96000.0, 192000.0}) {
        Audio impulse(channels, impulse_at + 2 * max_latency);
        impulse.clear();
        for (int ch = 0; ch < channels; ++ch) impulse.setSample(ch, impulse_at, 0.5f);
        const Audio expected = rate == model_rate
                                   ? render(impulse)
                                   : resampled(render(resampled(impulse, rate, model_rate)), model_rate, rate);
        const Audio response = hosted.render(impulse, rate, varied_blocks);
        const int reported = hosted.latency_samples();
        const auto [measured, rms_error] = best_alignment(expected, response, impulse_at, max_latency);
        check(measured == reported && rms_error < 1e-4f,
              "at " + format_value(rate) + " Hz the latency reported (" + std::to_string(reported) +
                  ") is the latency measured with an impulse (" + std::to_string(measured) +
                  "; RMS difference from the offline run there " + format_value(rms_error) + ")");
    }
    const Audio input_44k = test_signal(44100.0, 1.0);
    check(largest_difference(hosted.render(input_44k, 44100.0, {announced_block}),
                             hosted.render(input_44k, 44100.0, varied_blocks)) == 0.f,
          "resampled output does not depend on the block sizes");

    test_model_swap(hosted, state_with_model(hosted.plugin(), swap_model), wrapper_heap_calls);
}

/// JUCE takes absolute paths without "..".
juce::String canonical(const std::string& path)
{
    return std::filesystem::weakly_canonical(path).string();
}

std::map<std::string, std::string> parse_arguments(int argc, char** argv)
{
    std::map<std::string, std::string> arguments;
    for (int i = 1; i < argc; ++i) {
        const std::string name = argv[i];
        if (name == "--swap-only") arguments[name] = "";
        else if (i + 1 < argc) arguments[name] = argv[++i];
    }
    for (const char* required : {"--vst3", "--lv2-dir", "--lv2-uri", "--rtconv", "--model", "--swap-model"})
        if (!arguments.count(required))
            throw std::runtime_error(std::string("usage: rtconv_plugin_host_test --vst3 BUNDLE --lv2-dir DIR "
                                                 "--lv2-uri URI --rtconv CLI --model FILE --swap-model FILE [--swap-only] "
                                                 "(missing ") + required + ")");
    return arguments;
}

} // namespace

int main(int argc, char** argv)
{
    // VST3 and LV2 hosting need JUCE's message manager on this thread.
    const juce::ScopedJuceInitialiser_GUI juce_runtime;
    if (!counters_see_allocations()) return 1;
    try {
        const auto arguments = parse_arguments(argc, argv);
        const Renderer render(arguments.at("--rtconv"), arguments.at("--model"));
        const std::string& swap_model = arguments.at("--swap-model");
        const bool swap_only = arguments.count("--swap-only") != 0;
        // The VST3 wrapper's calls per block: an operator new, an operator delete and two C free()
        // calls with no malloc before them (gdb). Under a sanitizer the counters see only operator
        // new and delete (heap_calls.hpp).
        const std::size_t vst3_wrapper_heap_calls = rtconv_test::sanitized ? 2 : 4;
        juce::VST3PluginFormat vst3;
        test_format(vst3, canonical(arguments.at("--vst3")), render, swap_model, vst3_wrapper_heap_calls, swap_only);
        juce::LV2PluginFormat lv2;
        const juce::StringArray found = lv2.searchPathsForPlugins(juce::FileSearchPath(canonical(arguments.at("--lv2-dir"))), false);
        check(found.contains(arguments.at("--lv2-uri")), "LV2: the plug-in is found by its URI");
        if (found.contains(arguments.at("--lv2-uri"))) test_format(lv2, arguments.at("--lv2-uri"), render, swap_model, 0, swap_only);
    } catch (const std::exception& e) {
        std::printf("error: %s\n", e.what());
        return 1;
    }
    if (failures > 0) {
        std::printf("plugin host test: %d checks failed\n", failures);
        return 1;
    }
    std::printf("plugin host test: ok\n");
    return 0;
}
