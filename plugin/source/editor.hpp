#pragma once
// The plug-in's window: what model runs and how (name, architecture, sample rates with a note
// when they differ, latency, CPU load), a load button and file drop for other models, and the
// parameters. Resizable; Tab moves between the controls, the arrow keys change them.
#include "processor.hpp"

#include <juce_audio_processors/juce_audio_processors.h>
#include <juce_gui_basics/juce_gui_basics.h>

#include <memory>

namespace rtconv_plugin {

class Editor : public juce::AudioProcessorEditor, public juce::FileDragAndDropTarget, private juce::Timer {
public:
    explicit Editor(Processor& processor);

    void paint(juce::Graphics& g) override;
    void resized() override;

    bool isInterestedInFileDrag(const juce::StringArray& files) override;
    void filesDropped(const juce::StringArray& files, int x, int y) override;

private:
    /// A rotary parameter control with its name above and its value and unit beneath.
    struct Knob {
        Knob(Editor& editor, const char* parameter_id, const juce::String& name, const juce::String& unit);
        juce::Slider slider{juce::Slider::RotaryHorizontalVerticalDrag, juce::Slider::TextBoxBelow};
        juce::Label label;
        juce::AudioProcessorValueTreeState::SliderAttachment attachment;
    };

    /// Shows the processor's status and CPU load; polled because the status changes on other threads.
    void timerCallback() override;
    void choose_model_file();

    Processor& processor_;
    juce::Label model_name_, architecture_, rates_, latency_, load_error_;
    double cpu_load_ = 0.0; ///< what cpu_meter_ shows
    juce::ProgressBar cpu_meter_{cpu_load_};
    juce::TextButton load_button_{"Load model..."};
    std::unique_ptr<juce::FileChooser> chooser_;
    Knob input_gain_, output_gain_, mix_;
    juce::ToggleButton bypass_{"Bypass"};
    juce::AudioProcessorValueTreeState::ButtonAttachment bypass_attachment_;
};

} // namespace rtconv_plugin
