// The plug-in's Processor driven directly, the way no host wrapper allows, with every
// processBlock() call inside RealtimeSanitizer's realtime scope (the runtime ends the process on
// any allocation, free, lock or blocking call there; the sanitizer builds run without it).
// Checks:
// - blocks larger than the announced maximum give what announced-size blocks give;
// - a mono layout gives what the left channel of the stereo layout gives;
// - a model file loaded while audio runs (the editor's load button) takes over, with a crossfade;
// - a file that fails to load leaves the current model playing, unchanged, and says why;
// - processBlock before prepareToPlay outputs silence;
// - the editor shows the model, rates, latency and a failed load's error, takes dropped files,
//   and Tab reaches every control.
// Prints "processor test: ok" when every check passes.
//
//   rtconv_plugin_processor_test --swap-model FILE
//   rtconv_plugin_processor_test --expect-violation   allocates in the scope: the sanitizer is live
#include "checks.hpp"
#include "processor.hpp"

#include <juce_audio_processors/juce_audio_processors.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#if RTCONV_WITH_RTSAN
extern "C" void __rtsan_realtime_enter();
extern "C" void __rtsan_realtime_exit();
#endif

namespace {

/// RealtimeSanitizer watches the calls made while one of these exists.
struct RealtimeScope {
    RealtimeScope()
    {
#if RTCONV_WITH_RTSAN
        __rtsan_realtime_enter();
#endif
    }
    ~RealtimeScope()
    {
#if RTCONV_WITH_RTSAN
        __rtsan_realtime_exit();
#endif
    }
    RealtimeScope(const RealtimeScope&) = delete;
    RealtimeScope& operator=(const RealtimeScope&) = delete;
};

using Audio = juce::AudioBuffer<float>;
using rtconv_plugin::Processor;

constexpr double rate = 48000.0;
constexpr int announced_block = 64;

using rtconv_plugin_test::check;
using rtconv_plugin_test::failures;
using rtconv_plugin_test::format_value;

/// Noise, a different sequence on each channel.
Audio noise(int channels, double seconds)
{
    Audio audio(channels, static_cast<int>(rate * seconds));
    juce::Random random(7);
    for (int ch = 0; ch < channels; ++ch)
        for (int t = 0; t < audio.getNumSamples(); ++t) audio.setSample(ch, t, 0.2f * (random.nextFloat() * 2.f - 1.f));
    return audio;
}

float largest_difference(const Audio& a, int a_channel, const Audio& b, int b_channel, int from = 0)
{
    float largest = 0.f;
    for (int t = from; t < a.getNumSamples(); ++t)
        largest = std::max(largest, std::abs(a.getSample(a_channel, t) - b.getSample(b_channel, t)));
    return largest;
}

/// A Processor with `channels` in and out, prepared at 48 kHz for blocks of 64.
class Harness {
public:
    explicit Harness(int channels)
    {
        const juce::AudioChannelSet set = channels == 1 ? juce::AudioChannelSet::mono() : juce::AudioChannelSet::stereo();
        juce::AudioProcessor::BusesLayout layout;
        layout.inputBuses.add(set);
        layout.outputBuses.add(set);
        if (!processor.setBusesLayout(layout)) throw std::runtime_error("the processor refuses the layout");
    }

    void prepare() { processor.prepareToPlay(rate, announced_block); }

    /// Processes `audio` in place in blocks of `block`, each in the realtime scope. Between
    /// blocks, `between(frame)` runs outside it.
    template <class Between> void play(Audio& audio, int block, Between&& between)
    {
        juce::MidiBuffer midi;
        for (int t = 0; t < audio.getNumSamples(); t += block) {
            Audio view(audio.getArrayOfWritePointers(), audio.getNumChannels(), t,
                       std::min(block, audio.getNumSamples() - t));
            {
                const RealtimeScope realtime;
                processor.processBlock(view, midi);
            }
            between(t + view.getNumSamples());
        }
    }
    void play(Audio& audio, int block)
    {
        play(audio, block, [](int) {});
    }

    Processor processor;
};

/// Waits until `done()` or a few seconds have passed.
template <class Done> bool wait_for(Done&& done)
{
    for (int i = 0; i < 1000 && !done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return done();
}

void test_unprepared()
{
    Harness harness(2);
    Audio audio = noise(2, 0.01);
    harness.play(audio, announced_block);
    check(audio.getMagnitude(0, audio.getNumSamples()) == 0.f, "before prepareToPlay the output is silence");
}

void test_blocks_and_layouts()
{
    const Audio input = noise(2, 0.5);
    Harness stereo(2);
    stereo.prepare();
    Audio announced(input);
    stereo.play(announced, announced_block);

    stereo.prepare();
    Audio larger(input);
    stereo.play(larger, 1000);
    const float difference = std::max(largest_difference(larger, 0, announced, 0), largest_difference(larger, 1, announced, 1));
    check(difference <= 1e-5f, "blocks of 1000 frames, announced 64, give what blocks of 64 give (largest difference " +
                                   format_value(difference) + ")");

    Harness mono(1);
    mono.prepare();
    Audio left(1, input.getNumSamples());
    left.copyFrom(0, 0, input, 0, 0, input.getNumSamples());
    mono.play(left, 37);
    check(largest_difference(left, 0, announced, 0) <= 1e-5f,
          "the mono layout gives the stereo layout's left channel (largest difference " +
              format_value(largest_difference(left, 0, announced, 0)) + ")");
}

void test_load_while_playing(const std::string& other_model)
{
    const Audio input = noise(2, 2.0);
    Harness reference(2);
    reference.prepare();
    Audio unchanged(input);
    reference.play(unchanged, announced_block);

    // A truncated copy of a model file: the load fails and nothing changes.
    const juce::TemporaryFile truncated(".nam");
    juce::MemoryBlock bytes;
    juce::File(other_model).loadFileAsData(bytes);
    truncated.getFile().replaceWithData(bytes.getData(), bytes.getSize() / 2);

    Harness harness(2);
    harness.prepare();
    const std::string name_before = harness.processor.status().model.name;
    Audio failed(input);
    bool requested = false;
    harness.play(failed, announced_block, [&](int played) {
        if (!requested && played >= input.getNumSamples() / 4) {
            harness.processor.load_model_file(truncated.getFile());
            requested = wait_for([&] { return !harness.processor.status().load_error.empty(); });
        }
    });
    const Processor::Status status = harness.processor.status();
    check(requested && status.model.name == name_before &&
              status.load_error.find(truncated.getFile().getFileName().toStdString()) != std::string::npos,
          "a truncated file does not load, and the error names it: " + status.load_error);
    check(largest_difference(failed, 0, unchanged, 0) == 0.f && largest_difference(failed, 1, unchanged, 1) == 0.f,
          "the current model plays on through a failed load, unchanged");

    harness.prepare();
    Audio swapped(input);
    const int latency_before = harness.processor.getLatencySamples();
    requested = false;
    harness.play(swapped, announced_block, [&](int played) {
        if (!requested && played >= input.getNumSamples() / 4) {
            harness.processor.load_model_file(juce::File(other_model));
            requested = true;
        }
        if (requested) std::this_thread::sleep_for(std::chrono::milliseconds(1)); // the loader thread's turn
    });
    const std::string loaded = juce::File(other_model).getFileName().toStdString();
    check(harness.processor.status().model.name == loaded && harness.processor.status().load_error.empty() &&
              harness.processor.getLatencySamples() != latency_before,
          "a model file loaded while playing takes over (" + loaded + ", latency " +
              std::to_string(latency_before) + " -> " + std::to_string(harness.processor.getLatencySamples()) + ")");
    // From the swap on, the output leaves the first model's; before it, it is the first model's.
    const int quarter = input.getNumSamples() / 4;
    float before = 0.f;
    for (int t = 0; t < quarter; ++t) before = std::max(before, std::abs(swapped.getSample(0, t) - unchanged.getSample(0, t)));
    check(before == 0.f && largest_difference(swapped, 0, unchanged, 0, input.getNumSamples() - quarter) > 1e-3f,
          "the first model plays until the load and the new one after it");
}

/// The texts of every label in `root`'s tree.
juce::StringArray label_texts(juce::Component& root)
{
    juce::StringArray texts;
    if (auto* label = dynamic_cast<juce::Label*>(&root)) texts.add(label->getText());
    for (juce::Component* child : root.getChildren()) texts.addArray(label_texts(*child));
    return texts;
}

bool any_contains(const juce::StringArray& texts, const juce::String& part)
{
    for (const juce::String& text : texts)
        if (text.contains(part)) return true;
    return false;
}

void test_editor()
{
    Harness harness(2);
    harness.prepare();
    const juce::TemporaryFile broken(".json");
    broken.getFile().replaceWithText("{\"class_name\": \"Sequential\"");
    std::unique_ptr<juce::AudioProcessorEditor> editor(harness.processor.createEditor());
    auto* drop_target = dynamic_cast<juce::FileDragAndDropTarget*>(editor.get());
    const juce::StringArray dropped{broken.getFile().getFullPathName()};
    check(drop_target != nullptr && drop_target->isInterestedInFileDrag(dropped), "the editor takes a dropped file");
    drop_target->filesDropped(dropped, 10, 10);
    wait_for([&] { return !harness.processor.status().load_error.empty(); });

    // A new editor shows the status at once (the open one polls it on the message loop).
    editor.reset(harness.processor.createEditor());
    const juce::StringArray texts = label_texts(*editor);
    check(any_contains(texts, "wavenet_a1_standard.nam") && any_contains(texts, "Host 48 kHz, the model's own rate") &&
              any_contains(texts, "Latency 0 samples") && any_contains(texts, "receptive field"),
          "the editor shows the model, its architecture, the rates and the latency");
    check(any_contains(texts, broken.getFile().getFileName() + ": not valid JSON"),
          "the editor shows why the dropped file did not load");

    // A 2 GB file (sparse: no disk, no time) is refused by its size, before it is read.
    const juce::TemporaryFile huge(".nam");
    huge.getFile().create();
    std::filesystem::resize_file(huge.getFile().getFullPathName().toStdString(), std::uintmax_t(2) << 30);
    harness.processor.load_model_file(huge.getFile());
    wait_for([&] { return harness.processor.status().load_error.find(huge.getFile().getFileName().toStdString()) !=
                          std::string::npos; });
    check(harness.processor.status().load_error.find("more than a model file may have") != std::string::npos,
          "a 2 GB file is refused by its size: " + harness.processor.status().load_error);

    const auto traverser = editor->createKeyboardFocusTraverser();
    std::vector<juce::Slider*> sliders;
    int buttons = 0;
    for (juce::Component* component : traverser->getAllComponents(editor.get())) {
        if (auto* slider = dynamic_cast<juce::Slider*>(component)) sliders.push_back(slider);
        buttons += dynamic_cast<juce::Button*>(component) != nullptr;
    }
    check(sliders.size() == 3 && buttons == 2, "Tab reaches the three knobs, the load button and bypass (" +
                                                   std::to_string(sliders.size()) + " knobs, " +
                                                   std::to_string(buttons) + " buttons)");
    if (sliders.empty()) return;
    const std::atomic<float>& input_gain = *harness.processor.parameters().getRawParameterValue("input_gain");
    const float before = input_gain.load();
    sliders.front()->keyPressed(juce::KeyPress(juce::KeyPress::upKey));
    check(std::abs(input_gain.load() - before - 0.1f) < 1e-4f,
          "the up arrow on the first knob raises the input gain by one step of 0.1 dB");
}

/// An allocation from libstdc++'s operator new in the realtime scope.
int allocate_in_realtime_scope()
{
    {
        const RealtimeScope realtime;
        int* volatile object = new int(1); // volatile: the compiler may not elide the pair
        delete object;
    }
    std::printf("FAIL: RealtimeSanitizer let an allocation in the realtime scope pass unreported\n");
    return 1;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc > 1 && std::strcmp(argv[1], "--expect-violation") == 0) return allocate_in_realtime_scope();
    if (argc != 3 || std::strcmp(argv[1], "--swap-model") != 0) {
        std::printf("usage: rtconv_plugin_processor_test --swap-model FILE | --expect-violation\n");
        return 2;
    }
    // The processor's timer and its editor need JUCE's message manager on this thread.
    const juce::ScopedJuceInitialiser_GUI juce_runtime;
    try {
        test_unprepared();
        test_blocks_and_layouts();
        test_load_while_playing(argv[2]);
        test_editor();
    } catch (const std::exception& e) {
        std::printf("error: %s\n", e.what());
        return 1;
    }
    if (failures > 0) {
        std::printf("processor test: %d checks failed\n", failures);
        return 1;
    }
    std::printf("processor test: ok\n");
    return 0;
}
