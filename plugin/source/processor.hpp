#pragma once
// The rtconv plug-in: input gain -> model -> output gain, mixed with the dry input delayed by the
// model's latency, bypass as a smoothed fade to that delayed dry signal. Models are built off the
// audio thread and handed over through a ModelSlot; the audio thread crossfades from the old
// model to the new one.
#include "model_engine.hpp"
#include "model_slot.hpp"
#include "model_source.hpp"

#include <juce_audio_processors/juce_audio_processors.h>
#include <juce_dsp/juce_dsp.h>

#include <atomic>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>

namespace rtconv_plugin {

namespace parameter_ids {
inline constexpr const char* input_gain = "input_gain";
inline constexpr const char* output_gain = "output_gain";
inline constexpr const char* mix = "mix";
inline constexpr const char* bypass = "bypass";
} // namespace parameter_ids

class Processor : public juce::AudioProcessor, private juce::Timer {
public:
    Processor();
    ~Processor() override;

    void prepareToPlay(double sample_rate, int max_block_size) override;
    void releaseResources() override;
    bool isBusesLayoutSupported(const BusesLayout& layouts) const override;
    void processBlock(juce::AudioBuffer<float>& buffer, juce::MidiBuffer& midi) override;
    using juce::AudioProcessor::processBlock;

    juce::AudioProcessorEditor* createEditor() override;
    bool hasEditor() const override { return true; }

    const juce::String getName() const override { return JucePlugin_Name; }
    bool acceptsMidi() const override { return false; }
    bool producesMidi() const override { return false; }
    double getTailLengthSeconds() const override { return 0.0; }
    int getNumPrograms() override { return 1; }
    int getCurrentProgram() override { return 0; }
    void setCurrentProgram(int) override {}
    const juce::String getProgramName(int) override { return {}; }
    void changeProgramName(int, const juce::String&) override {}

    /// Parameters and the model file's bytes.
    void getStateInformation(juce::MemoryBlock& destination) override;
    void setStateInformation(const void* data, int size) override;

    juce::AudioProcessorParameter* getBypassParameter() const override { return bypass_; }

    /// What the editor shows: the model of record, the host's spec, the last load's error.
    struct Status {
        ModelDescription model;
        std::optional<HostSpec> host;
        std::string load_error; ///< empty when the last load succeeded
    };

    /// Reads and installs a model file on the loader thread; a file that fails to load leaves the
    /// current model playing and its message in status().load_error.
    void load_model_file(const juce::File& file);
    Status status() const;
    /// Processing time over the duration of the audio processed, smoothed (1 = all of it).
    double cpu_load() const { return load_measurer_.getLoadAsProportion(); }
    juce::AudioProcessorValueTreeState& parameters() { return parameters_; }

private:
    /// Builds an engine for `source` at the host's spec (a default one before prepareToPlay) and
    /// offers it to the audio thread; the model of record changes only when the build succeeds.
    /// The caller holds build_mutex_. False when the build failed (the message is in load_error_).
    bool install_locked(ModelSource source);
    void process_chunk(juce::dsp::AudioBlock<float> block) noexcept;
    /// Fades `to` (the current model's output) in from `from` (the outgoing model's), once the
    /// current model's latency has passed, and lets go of the outgoing model when the fade is
    /// complete.
    void crossfade(const juce::dsp::AudioBlock<float>& from, juce::dsp::AudioBlock<float> to) noexcept;
    void update_smoothed_targets() noexcept;
    /// Frees engines the audio thread let go of, on the message thread.
    void timerCallback() override;

    juce::AudioProcessorValueTreeState parameters_;
    std::atomic<float>* input_gain_db_;
    std::atomic<float>* output_gain_db_;
    std::atomic<float>* mix_percent_;
    juce::AudioParameterBool* bypass_;

    /// Serialises engine builds (loader thread, prepareToPlay, setStateInformation) and guards
    /// the model of record, the host's spec and the load error.
    mutable std::mutex build_mutex_;
    ModelSource model_source_;
    ModelDescription model_description_;
    std::optional<HostSpec> host_spec_;
    std::string load_error_;
    ModelSlot<ModelEngine> slot_;
    juce::ThreadPool loader_{1};

    juce::AudioProcessLoadMeasurer load_measurer_;

    // The audio thread's.
    juce::dsp::Gain<float> input_gain_, output_gain_;
    juce::dsp::DryWetMixer<float> mixer_{static_cast<int>(ModelEngine::max_latency)};
    std::size_t mixer_latency_ = 0;
    std::size_t max_block_size_ = 0; ///< 0 until prepareToPlay
    /// The outgoing model's input and output during a crossfade, and how far the fade has come
    /// (negative while it waits for the new model's latency to pass).
    juce::AudioBuffer<float> outgoing_audio_;
    std::ptrdiff_t crossfade_frames_ = 0;
    std::ptrdiff_t crossfade_position_ = 0;
    /// Set when the parameters jump (prepare, state restored): the next block starts at their
    /// values instead of gliding there.
    std::atomic<bool> snap_to_parameters_{true};

    JUCE_DECLARE_NON_COPYABLE_WITH_LEAK_DETECTOR(Processor)
};

} // namespace rtconv_plugin
