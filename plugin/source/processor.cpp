#include "processor.hpp"

#include "editor.hpp"

#include <rtconv/model_file.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <exception>

namespace rtconv_plugin {

namespace {

constexpr double gain_ramp_seconds = 0.02;
constexpr double crossfade_seconds = 0.02;
constexpr std::size_t max_channels = 2;

namespace state_ids {
const juce::Identifier model{"model"};
const juce::Identifier name{"name"};
const juce::Identifier bytes{"bytes"};
} // namespace state_ids

juce::AudioProcessorValueTreeState::ParameterLayout parameter_layout()
{
    const auto decibels = juce::AudioParameterFloatAttributes().withLabel("dB");
    const juce::NormalisableRange<float> gain_range(-24.f, 24.f, 0.1f);
    juce::AudioProcessorValueTreeState::ParameterLayout layout;
    layout.add(std::make_unique<juce::AudioParameterFloat>(juce::ParameterID{parameter_ids::input_gain, 1},
                                                           "Input gain", gain_range, 0.f, decibels));
    layout.add(std::make_unique<juce::AudioParameterFloat>(juce::ParameterID{parameter_ids::output_gain, 1},
                                                           "Output gain", gain_range, 0.f, decibels));
    layout.add(std::make_unique<juce::AudioParameterFloat>(juce::ParameterID{parameter_ids::mix, 1}, "Mix",
                                                           juce::NormalisableRange<float>(0.f, 100.f, 0.1f), 100.f,
                                                           juce::AudioParameterFloatAttributes().withLabel("%")));
    layout.add(std::make_unique<juce::AudioParameterBool>(juce::ParameterID{parameter_ids::bypass, 1}, "Bypass", false));
    return layout;
}

/// Runs `engine` in place on `block` (at most max_channels channels).
void run(ModelEngine& engine, const juce::dsp::AudioBlock<float>& block) noexcept
{
    std::array<float*, max_channels> io{};
    for (std::size_t ch = 0; ch < block.getNumChannels(); ++ch) io[ch] = block.getChannelPointer(ch);
    engine.process(io.data(), block.getNumSamples());
}

} // namespace

Processor::Processor()
    : juce::AudioProcessor(BusesProperties()
                               .withInput("Input", juce::AudioChannelSet::stereo(), true)
                               .withOutput("Output", juce::AudioChannelSet::stereo(), true)),
      parameters_(*this, nullptr, "rtconv", parameter_layout()),
      input_gain_db_(parameters_.getRawParameterValue(parameter_ids::input_gain)),
      output_gain_db_(parameters_.getRawParameterValue(parameter_ids::output_gain)),
      mix_percent_(parameters_.getRawParameterValue(parameter_ids::mix)),
      bypass_(dynamic_cast<juce::AudioParameterBool*>(parameters_.getParameter(parameter_ids::bypass)))
{
    {
        const std::scoped_lock lock(build_mutex_);
        install_locked(default_model_source());
    }
    startTimerHz(4);
}

Processor::~Processor() = default;

bool Processor::isBusesLayoutSupported(const BusesLayout& layouts) const
{
    const juce::AudioChannelSet& out = layouts.getMainOutputChannelSet();
    return out == layouts.getMainInputChannelSet() &&
           (out == juce::AudioChannelSet::mono() || out == juce::AudioChannelSet::stereo());
}

void Processor::prepareToPlay(double sample_rate, int max_block_size)
{
    const HostSpec spec{sample_rate, static_cast<std::size_t>(max_block_size),
                        static_cast<std::size_t>(getTotalNumOutputChannels())};
    max_block_size_ = spec.max_block_size;
    const juce::dsp::ProcessSpec process_spec{sample_rate, static_cast<juce::uint32>(max_block_size),
                                              static_cast<juce::uint32>(spec.channels)};
    for (juce::dsp::Gain<float>* gain : {&input_gain_, &output_gain_}) {
        gain->prepare(process_spec);
        gain->setRampDurationSeconds(gain_ramp_seconds);
    }
    mixer_.prepare(process_spec);
    load_measurer_.reset(sample_rate, max_block_size);
    mixer_latency_ = 0;
    mixer_.setWetLatency(0.f);
    outgoing_audio_.setSize(static_cast<int>(spec.channels), max_block_size);
    crossfade_frames_ = static_cast<std::ptrdiff_t>(std::max(1.0, crossfade_seconds * sample_rate));
    {
        const std::scoped_lock lock(build_mutex_);
        host_spec_ = spec;
        // The engine running now was built for the old spec and must not meet the new one's blocks:
        // a model that cannot run at the new rate (its latency grows with it) gives way to the default.
        if (!install_locked(model_source_)) {
            const std::string error = load_error_;
            install_locked(default_model_source());
            load_error_ = error + " (the compiled-in model plays instead)";
        }
        slot_.switch_now();
    }
    snap_to_parameters_ = true;
}

void Processor::releaseResources() {}

bool Processor::install_locked(ModelSource source)
{
    try {
        auto engine = std::make_unique<ModelEngine>(source, host_spec_.value_or(HostSpec{}));
        setLatencySamples(static_cast<int>(engine->latency()));
        model_description_ = engine->description();
        slot_.offer(std::move(engine));
        model_source_ = std::move(source);
        load_error_.clear();
        return true;
    } catch (const std::exception& e) {
        load_error_ = e.what();
        return false;
    }
}

void Processor::load_model_file(const juce::File& file)
{
    loader_.addJob([this, file] {
        juce::MemoryBlock bytes;
        const std::scoped_lock lock(build_mutex_);
        if (file.getSize() > static_cast<juce::int64>(rtconv::max_model_file_bytes)) {
            load_error_ = file.getFullPathName().toStdString() + ": " + std::to_string(file.getSize()) +
                          " bytes, more than a model file may have (" + std::to_string(rtconv::max_model_file_bytes) + ")";
            return;
        }
        if (!file.loadFileAsData(bytes)) {
            load_error_ = file.getFullPathName().toStdString() + ": cannot read the file";
            return;
        }
        install_locked({file.getFileName().toStdString(),
                        std::string(static_cast<const char*>(bytes.getData()), bytes.getSize())});
    });
}

Processor::Status Processor::status() const
{
    const std::scoped_lock lock(build_mutex_);
    return {model_description_, host_spec_, load_error_};
}

void Processor::timerCallback()
{
    slot_.collect();
}

void Processor::update_smoothed_targets() noexcept
{
    input_gain_.setGainDecibels(input_gain_db_->load());
    output_gain_.setGainDecibels(output_gain_db_->load());
    // Bypass fades to the dry signal, delayed like the wet one, so the host's latency
    // compensation stays right and the model keeps its state for a click-free return.
    mixer_.setWetMixProportion(bypass_->get() ? 0.f : mix_percent_->load() / 100.f);
}

void Processor::processBlock(juce::AudioBuffer<float>& buffer, juce::MidiBuffer&)
{
    const juce::ScopedNoDenormals no_denormals;
    const juce::AudioProcessLoadMeasurer::ScopedTimer load_timer(load_measurer_, buffer.getNumSamples());
    const auto channels = static_cast<std::size_t>(getTotalNumOutputChannels());
    if (slot_.pick_up())
        // The new model's output carries the input only after its latency: the fade starts then.
        crossfade_position_ = -static_cast<std::ptrdiff_t>(slot_.current()->latency());
    ModelEngine* const engine = slot_.current();
    // Silence before prepareToPlay, with fewer channels than the layout, or when even the
    // compiled-in model failed to build.
    if (max_block_size_ == 0 || static_cast<std::size_t>(buffer.getNumChannels()) < channels || engine == nullptr) {
        buffer.clear();
        return;
    }
    if (engine->latency() != mixer_latency_) {
        mixer_latency_ = engine->latency();
        mixer_.setWetLatency(static_cast<float>(mixer_latency_));
    }
    update_smoothed_targets();
    if (snap_to_parameters_.exchange(false)) {
        input_gain_.reset();
        output_gain_.reset();
        mixer_.reset();
    }
    const juce::dsp::AudioBlock<float> whole = juce::dsp::AudioBlock<float>(buffer).getSubsetChannelBlock(0, channels);
    // Hosts may send more frames than they announced: run them in announced-size pieces.
    for (std::size_t start = 0; start < whole.getNumSamples(); start += max_block_size_)
        process_chunk(whole.getSubBlock(start, std::min(max_block_size_, whole.getNumSamples() - start)));
}

void Processor::process_chunk(juce::dsp::AudioBlock<float> block) noexcept
{
    mixer_.pushDrySamples(block);
    const juce::dsp::ProcessContextReplacing<float> context(block);
    input_gain_.process(context);
    if (ModelEngine* const outgoing = slot_.outgoing()) {
        const auto outgoing_block = juce::dsp::AudioBlock<float>(outgoing_audio_).getSubBlock(0, block.getNumSamples());
        outgoing_block.copyFrom(block);
        run(*outgoing, outgoing_block);
        run(*slot_.current(), block);
        crossfade(outgoing_block, block);
    } else {
        run(*slot_.current(), block);
    }
    output_gain_.process(context);
    mixer_.mixWetSamples(block);
}

void Processor::crossfade(const juce::dsp::AudioBlock<float>& from, juce::dsp::AudioBlock<float> to) noexcept
{
    // A raised-cosine fade: no step in level or slope at either end.
    for (std::size_t t = 0; t < to.getNumSamples(); ++t) {
        const double progress =
            std::clamp(double(crossfade_position_ + std::ptrdiff_t(t)) / double(crossfade_frames_), 0.0, 1.0);
        const auto weight = static_cast<float>(0.5 - 0.5 * std::cos(juce::MathConstants<double>::pi * progress));
        for (std::size_t ch = 0; ch < to.getNumChannels(); ++ch) {
            const float old_sample = from.getChannelPointer(ch)[t];
            float& sample = to.getChannelPointer(ch)[t];
            sample = old_sample + weight * (sample - old_sample);
        }
    }
    crossfade_position_ += static_cast<std::ptrdiff_t>(to.getNumSamples());
    if (crossfade_position_ >= crossfade_frames_) slot_.let_go_of_outgoing();
}

void Processor::getStateInformation(juce::MemoryBlock& destination)
{
    juce::ValueTree state = parameters_.copyState();
    juce::ValueTree model(state_ids::model);
    {
        const std::scoped_lock lock(build_mutex_);
        model.setProperty(state_ids::name, juce::String(model_source_.name), nullptr);
        model.setProperty(state_ids::bytes, juce::MemoryBlock(model_source_.bytes.data(), model_source_.bytes.size()),
                          nullptr);
    }
    state.appendChild(model, nullptr);
    juce::MemoryOutputStream stream(destination, false);
    state.writeToStream(stream);
}

void Processor::setStateInformation(const void* data, int size)
{
    juce::ValueTree state = juce::ValueTree::readFromData(data, static_cast<std::size_t>(size));
    if (!state.hasType(parameters_.state.getType())) return;
    const juce::ValueTree model = state.getChildWithName(state_ids::model);
    state.removeChild(model, nullptr);
    parameters_.replaceState(state);
    snap_to_parameters_ = true;
    if (const juce::MemoryBlock* bytes = model[state_ids::bytes].getBinaryData()) {
        const std::scoped_lock lock(build_mutex_);
        install_locked({model[state_ids::name].toString().toStdString(),
                        std::string(static_cast<const char*>(bytes->getData()), bytes->getSize())});
    }
}

juce::AudioProcessorEditor* Processor::createEditor()
{
    return new Editor(*this);
}

} // namespace rtconv_plugin

juce::AudioProcessor* JUCE_CALLTYPE createPluginFilter()
{
    return new rtconv_plugin::Processor();
}
