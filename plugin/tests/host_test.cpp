// The plug-in as a host sees it: loads the built VST3 and LV2 from the build tree and checks
// - output at the model's rate equals rtconv's own stream of the same model (within 1e-5),
//   for any block sizes (1, odd sizes, more than announced);
// - input gain, output gain, mix and bypass do what they say; bypass is host-visible;
// - state saved from one instance and restored into a new one gives identical output;
// - the latency reported equals the latency measured with an impulse, also when resampling;
// - resampled output does not depend on the block sizes.
// Prints "plugin host test: ok" when every check passes.
#include <rtconv/model_file.hpp>
#include <rtconv/stream.hpp>

#include <juce_audio_processors/juce_audio_processors.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

constexpr double model_rate = 48000.0; // the compiled-in NAM model's
constexpr int announced_block = 512;
constexpr int channels = 2;
/// Block sizes cycled through: one frame, odd sizes, and more than the announced maximum.
const std::vector<int> varied_blocks = {1, 7, 512, 64, 2000, 13, 333};

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
    /// mix, 0 or 1 for bypass.
    void set(const juce::String& name, float value)
    {
        const float normalised = name.endsWith("gain") ? (value + 24.f) / 48.f : name == "Mix" ? value / 100.f : value;
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

    /// One block of silence: JUCE 7.0.5's LV2 host applies parameter changes at the next block.
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

/// `input` delayed by `frames`, scaled.
Audio delayed(const Audio& input, int frames, float scale = 1.f)
{
    Audio output(channels, input.getNumSamples());
    output.clear();
    for (int ch = 0; ch < channels; ++ch)
        output.addFrom(ch, frames, input, ch, 0, input.getNumSamples() - frames, scale);
    return output;
}

/// A test model that passes its input through one model frame late: one Conv1D with kernel
/// [0, 1, 0] and `same` padding (latency from a non-causal layer), stating a rate of 48 kHz.
const char* const pass_through_model = R"({
  "class_name": "Sequential",
  "config": {"name": "pass_through", "layers": [
    {"class_name": "InputLayer", "config": {"batch_input_shape": [null, null, 1]}},
    {"class_name": "Conv1D", "config": {"name": "conv", "filters": 1, "kernel_size": [3], "padding": "same",
                                        "use_bias": false}}]},
  "weights": {"conv": [[[[0.0]], [[1.0]], [[0.0]]]]},
  "metadata": {"sample_rate": 48000}
})";

/// The plug-in's state with its model replaced: the state is a JUCE ValueTree holding the
/// model file's bytes.
juce::MemoryBlock with_model(const juce::MemoryBlock& state, const std::string& name, const std::string& bytes)
{
    juce::ValueTree tree = juce::ValueTree::readFromData(state.getData(), state.getSize());
    juce::ValueTree model = tree.getChildWithName("model");
    model.setProperty("name", juce::String(name), nullptr);
    model.setProperty("bytes", juce::MemoryBlock(bytes.data(), bytes.size()), nullptr);
    juce::MemoryBlock result;
    juce::MemoryOutputStream stream(result, false);
    tree.writeToStream(stream);
    stream.flush();
    return result;
}

int impulse_response_peak(Hosted& hosted, double rate, int impulse_at)
{
    Audio impulse(channels, impulse_at + 8192);
    impulse.clear();
    for (int ch = 0; ch < channels; ++ch) impulse.setSample(ch, impulse_at, 1.f);
    const Audio response = hosted.render(impulse, rate, varied_blocks);
    int peak = 0;
    for (int t = 0; t < response.getNumSamples(); ++t)
        if (std::abs(response.getSample(0, t)) > std::abs(response.getSample(0, peak))) peak = t;
    return peak - impulse_at;
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
    check(largest_difference(varied, reference) <= 1e-5f, "the same with blocks of 1, 7, 13, 333 and 2000 frames");
    check(hosted.plugin().getLatencySamples() == 0, "a causal model at its own rate reports no latency");

    hosted.set("Output gain", 6.f);
    const Audio louder = hosted.render(input, model_rate, varied_blocks);
    const float six_db = std::pow(10.f, 6.f / 20.f);
    check(largest_difference(louder, delayed(reference, 0, six_db)) <= 1e-5f, "output gain +6 dB scales the output");
    hosted.set("Output gain", 0.f);

    hosted.set("Input gain", 6.f);
    const Audio driven = hosted.render(input, model_rate, varied_blocks);
    Audio louder_input(input);
    louder_input.applyGain(six_db);
    check(largest_difference(driven, reference_output(model_path, louder_input)) <= 1e-5f,
          "input gain +6 dB drives the model as a 6 dB louder input does");
    hosted.set("Input gain", 0.f);

    hosted.set("Mix", 25.f);
    const Audio mixed = hosted.render(input, model_rate, varied_blocks);
    Audio expected_mix = delayed(reference, 0, 0.25f);
    for (int ch = 0; ch < channels; ++ch) expected_mix.addFrom(ch, 0, input, ch, 0, input.getNumSamples(), 0.75f);
    check(largest_difference(mixed, expected_mix) <= 1e-5f, "mix 25 % is a quarter wet, three quarters dry");
    hosted.set("Mix", 100.f);

    hosted.set("Bypass", 1.f);
    const Audio bypassed = hosted.render(input, model_rate, varied_blocks);
    check(largest_difference(bypassed, input) == 0.f, "bypass passes the input through unchanged");
    hosted.set("Bypass", 0.f);

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

    // Latency and resampling, with a model that passes its input through one model frame late.
    Hosted pass_through(format, identifier);
    pass_through.plugin().prepareToPlay(model_rate, announced_block);
    pass_through.settle();
    juce::MemoryBlock default_state;
    pass_through.plugin().getStateInformation(default_state);
    const juce::MemoryBlock pass_state = with_model(default_state, "pass_through.json", pass_through_model);
    pass_through.plugin().setStateInformation(pass_state.getData(), static_cast<int>(pass_state.getSize()));
    pass_through.settle();
    for (const double rate : {44100.0, 48000.0, 88200.0, 96000.0, 192000.0}) {
        const int measured = impulse_response_peak(pass_through, rate, 3000);
        const int reported = pass_through.plugin().getLatencySamples();
        check(measured == reported, "at " + format_value(rate) + " Hz the latency reported (" + std::to_string(reported) +
                                        ") is the latency measured (" + std::to_string(measured) + ")");
    }
    const Audio input_44k = test_signal(44100.0, 1.0);
    const Audio fixed_blocks = pass_through.render(input_44k, 44100.0, {announced_block});
    const Audio varied_44k = pass_through.render(input_44k, 44100.0, varied_blocks);
    check(largest_difference(fixed_blocks, varied_44k) == 0.f, "resampled output does not depend on the block sizes");
    const int latency = pass_through.plugin().getLatencySamples();
    check(largest_difference(delayed(input_44k, latency), fixed_blocks) < 2e-3f,
          "resampled to 48 kHz and back, the input comes out as it went in, delayed by the latency (largest "
          "difference " + format_value(largest_difference(delayed(input_44k, latency), fixed_blocks)) + ")");
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
        test_format(vst3, arguments.at("--vst3"), arguments.at("--model"));
        juce::LV2PluginFormat lv2;
        const juce::StringArray found = lv2.searchPathsForPlugins(juce::FileSearchPath(arguments.at("--lv2-dir")), false);
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
