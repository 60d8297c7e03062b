#include "editor.hpp"

#include <cmath>

namespace rtconv_plugin {

namespace {

constexpr int default_width = 560, default_height = 360;
constexpr int refresh_hz = 10;

juce::String kilohertz(double rate)
{
    return juce::String(rate / 1000.0, 1).trimCharactersAtEnd("0").trimCharactersAtEnd(".") + " kHz";
}

/// The rates line: the host's, the model's, and what the plug-in does when they differ.
juce::String describe_rates(const Processor::Status& status)
{
    const auto& model_rate = status.model.model_rate;
    if (!status.host) return model_rate ? "Model trained at " + kilohertz(*model_rate) : "Model states no sample rate";
    const double host_rate = status.host->sample_rate;
    if (!model_rate) return "Host " + kilohertz(host_rate) + "; the model states no rate and runs at the host's";
    if (*model_rate == host_rate) return "Host " + kilohertz(host_rate) + ", the model's own rate";
    return "Host " + kilohertz(host_rate) + " differs from the model's " + kilohertz(*model_rate) +
           ": resampled inside the plug-in";
}

} // namespace

Editor::Knob::Knob(Editor& editor, const char* parameter_id, const juce::String& name, const juce::String& unit)
    : attachment(editor.processor_.parameters(), parameter_id, slider)
{
    slider.setTextValueSuffix(" " + unit);
    label.setText(name, juce::dontSendNotification);
    label.setJustificationType(juce::Justification::centred);
    label.attachToComponent(&slider, false);
    slider.setTitle(name);
    slider.setWantsKeyboardFocus(true); // JUCE's sliders take no focus by default; the arrow keys then turn them
    editor.addAndMakeVisible(slider);
}

Editor::Editor(Processor& processor)
    : juce::AudioProcessorEditor(processor), processor_(processor), input_gain_(*this, parameter_ids::input_gain, "Input", "dB"),
      output_gain_(*this, parameter_ids::output_gain, "Output", "dB"), mix_(*this, parameter_ids::mix, "Mix", "%"),
      bypass_attachment_(processor.parameters(), parameter_ids::bypass, bypass_)
{
    model_name_.setFont(juce::Font(20.f, juce::Font::bold));
    load_error_.setColour(juce::Label::textColourId, juce::Colours::orangered);
    for (juce::Component* component : std::initializer_list<juce::Component*>{
             &model_name_, &architecture_, &rates_, &latency_, &load_error_, &cpu_meter_, &load_button_, &bypass_})
        addAndMakeVisible(component);
    cpu_meter_.setTextToDisplay("CPU");
    load_button_.onClick = [this] { choose_model_file(); };
    setFocusContainerType(FocusContainerType::keyboardFocusContainer);
    setResizable(true, true);
    setResizeLimits(420, 300, 1600, 1000);
    setSize(default_width, default_height);
    timerCallback();
    startTimerHz(refresh_hz);
}

void Editor::paint(juce::Graphics& g)
{
    g.fillAll(getLookAndFeel().findColour(juce::ResizableWindow::backgroundColourId));
}

void Editor::resized()
{
    auto area = getLocalBounds().reduced(12);
    auto header = area.removeFromTop(28);
    load_button_.setBounds(header.removeFromRight(130));
    model_name_.setBounds(header);
    architecture_.setBounds(area.removeFromTop(22));
    rates_.setBounds(area.removeFromTop(22));
    auto status_row = area.removeFromTop(24);
    cpu_meter_.setBounds(status_row.removeFromRight(160).reduced(0, 2));
    latency_.setBounds(status_row);
    load_error_.setBounds(area.removeFromTop(22));
    area.removeFromTop(24); // the knobs' labels sit above them
    bypass_.setBounds(area.removeFromBottom(28).withSizeKeepingCentre(100, 28));
    const int knob_width = area.getWidth() / 3;
    for (Knob* knob : {&input_gain_, &output_gain_, &mix_}) knob->slider.setBounds(area.removeFromLeft(knob_width).reduced(8));
}

void Editor::timerCallback()
{
    const Processor::Status status = processor_.status();
    model_name_.setText(status.model.name, juce::dontSendNotification);
    architecture_.setText(status.model.architecture, juce::dontSendNotification);
    rates_.setText(describe_rates(status), juce::dontSendNotification);
    const int latency = processor_.getLatencySamples();
    juce::String latency_text = "Latency " + juce::String(latency) + " samples";
    if (status.host) latency_text << " (" << juce::String(1000.0 * latency / status.host->sample_rate, 1) << " ms)";
    latency_.setText(latency_text, juce::dontSendNotification);
    load_error_.setText(status.load_error, juce::dontSendNotification);
    cpu_load_ = processor_.cpu_load();
    cpu_meter_.setTextToDisplay("CPU " + juce::String(std::lround(100.0 * cpu_load_)) + " %");
}

void Editor::choose_model_file()
{
    chooser_ = std::make_unique<juce::FileChooser>("Load a model", juce::File(), "*.nam;*.json");
    chooser_->launchAsync(juce::FileBrowserComponent::openMode | juce::FileBrowserComponent::canSelectFiles,
                          [this](const juce::FileChooser& chooser) {
                              if (chooser.getResult() != juce::File()) processor_.load_model_file(chooser.getResult());
                          });
}

bool Editor::isInterestedInFileDrag(const juce::StringArray& files)
{
    return files.size() == 1;
}

void Editor::filesDropped(const juce::StringArray& files, int, int)
{
    processor_.load_model_file(juce::File(files[0]));
}

} // namespace rtconv_plugin
