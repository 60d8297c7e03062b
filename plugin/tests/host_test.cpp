// The plug-in as a host sees it: loads the built VST3 and LV2 from the build tree and checks
// - output at the model's rate equals rtconv's own stream of the same model (within 1e-5),
//   for any block sizes up to the announced one (1, odd sizes);
// - input gain, output gain, mix and bypass do what they say; bypass is host-visible;
// - state saved from one instance and restored into a new one gives identical output;
// - the latency reported equals the latency measured with an impulse, at 44.1 to 192 kHz (the
//   compiled-in model is trained at 48 kHz, so all but 48 kHz resample);
// - resampled output does not depend on the block sizes.
// Prints "plugin host test: ok" when every check passes.
#include <rtconv/model_file.hpp>
#include <rtconv/stream.hpp>

#include <juce_audio_processors/juce_audio_processors.h>

#include <soxr.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

constexpr double model_rate = 48000.0; // the compiled-in NAM model's
constexpr int announced_block = 512;
constexpr int channels = 2;
/// Block sizes cycled through: one frame, odd sizes, the announced maximum. (VST3 and LV2 make the
/// announced maximum a hard limit: JUCE's wrappers copy into buffers of that size.)
const std::vector<int> varied_blocks = {1, 7, 512, 64, 13, 333};

int failures = 0;

void check(bool passed, const std::string& what)
{
    std::printf("  %s %s\n", passed ? "ok  " : "FAIL", what.c_str());
    if (!passed) ++failures;
}

std::string format_value(double value)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.3g", value);
    return text;
}

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

/// rtconv's own stream of the model, each channel with its own state, prewarmed as the file asks.
Audio reference_output(const std::string& model_path, const Audio& input)
{
    const rtconv::Sequential model = rtconv::load_model(model_path);
    rtconv::ModelStream stream(model);
    stream.prepare({.sample_rate = model_rate, .max_block_size = announced_block, .channels = channels});
    if (model.metadata().prewarm) stream.prewarm();
    Audio output(channels, input.getNumSamples());
    for (int start = 0; start < input.getNumSamples(); start += announced_block) {
        const int n = std::min(announced_block, input.getNumSamples() - start);
        const float* in[channels] = {input.getReadPointer(0, start), input.getReadPointer(1, start)};
        float* out[channels] = {output.getWritePointer(0, start), output.getWritePointer(1, start)};
        stream.process(in, out, static_cast<std::size_t>(n));
    }
    return output;
}

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

void test_format(juce::AudioPluginFormat& format, const juce::String& identifier, const std::string& model_path)
{
    std::printf("%s: %s\n", format.getName().toRawUTF8(), identifier.toRawUTF8());
    const Audio input = test_signal(model_rate, 1.0);
    const Audio reference = reference_output(model_path, input);

    Hosted hosted(format, identifier);
    check(hosted.plugin().getBypassParameter() != nullptr, "bypass is the host's bypass parameter");
    const Audio plain = hosted.render(input, model_rate, {announced_block});
    check(largest_difference(plain, reference) <= 1e-5f,
          "output equals rtconv's stream of the model (largest difference " +
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
    check(largest_difference(driven, reference_output(model_path, scaled(input, six_db))) <= 1e-5f,
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
        const Audio expected = rate == model_rate ? reference_output(model_path, impulse)
                                                  : resampled(reference_output(model_path, resampled(impulse, rate, model_rate)),
                                                              model_rate, rate);
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
}

/// JUCE takes absolute paths without "..".
juce::String canonical(const std::string& path)
{
    return std::filesystem::weakly_canonical(path).string();
}

std::map<std::string, std::string> parse_arguments(int argc, char** argv)
{
    std::map<std::string, std::string> arguments;
    for (int i = 1; i + 1 < argc; i += 2) arguments[argv[i]] = argv[i + 1];
    for (const char* required : {"--vst3", "--lv2-dir", "--lv2-uri", "--model"})
        if (!arguments.count(required))
            throw std::runtime_error(std::string("usage: rtconv_plugin_host_test --vst3 BUNDLE --lv2-dir DIR "
                                                 "--lv2-uri URI --model FILE (missing ") + required + ")");
    return arguments;
}

} // namespace

int main(int argc, char** argv)
{
    // VST3 and LV2 hosting need JUCE's message manager on this thread.
    const juce::ScopedJuceInitialiser_GUI juce_runtime;
    try {
        const auto arguments = parse_arguments(argc, argv);
        juce::VST3PluginFormat vst3;
        test_format(vst3, canonical(arguments.at("--vst3")), arguments.at("--model"));
        juce::LV2PluginFormat lv2;
        const juce::StringArray found = lv2.searchPathsForPlugins(juce::FileSearchPath(canonical(arguments.at("--lv2-dir"))), false);
        check(found.contains(arguments.at("--lv2-uri")), "LV2: the plug-in is found by its URI");
        if (found.contains(arguments.at("--lv2-uri"))) test_format(lv2, arguments.at("--lv2-uri"), arguments.at("--model"));
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
