#pragma once
// One loaded model, prepared to run at the host's rate: the model's stream (one state per audio
// channel, so a mono model runs dual-mono), resampled through a RateBridge when the model
// states a rate other than the host's. Built, prepared and prewarmed off the audio thread;
// process() never locks, throws or allocates (plugin/tests/processor_test.cpp runs it under
// RealtimeSanitizer).
#include "model_source.hpp"
#include "rate_bridge.hpp"

#include <rtconv/stream.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace rtconv_plugin {

struct HostSpec {
    double sample_rate = 48000.0;
    std::size_t max_block_size = 512;
    std::size_t channels = 2;
};

/// What the editor shows about a model.
struct ModelDescription {
    std::string name;
    std::string architecture;        ///< format, layers, parameters, receptive field
    std::optional<double> model_rate; ///< the rate the file states
};

class ModelEngine {
public:
    /// The plug-in's largest latency, in host frames: the dry path of the mix is delayed by up to this.
    static constexpr std::size_t max_latency = 1 << 15;

    /// Parses, builds, prepares and prewarms. Throws rtconv::Error with the loader's message, or
    /// naming what the plug-in cannot run (models that are not one channel in and one out at a
    /// single rate, latencies beyond max_latency).
    ModelEngine(const ModelSource& source, const HostSpec& spec);

    /// io[ch]: n <= max_block_size frames of each of the spec's channels, processed in place.
    void process(float* const* io, std::size_t n) noexcept;

    /// Host frames by which the output trails the input: resampling plus the model's own latency.
    std::size_t latency() const { return latency_; }
    const ModelDescription& description() const { return description_; }

private:
    /// The public constructor's work, on the model parsed from `source`.
    ModelEngine(const ModelSource& source, const rtconv::Sequential& model, const HostSpec& spec);
    void run_model(const float* const* in, float* const* out, std::size_t n) noexcept;
    /// libsoxr grows its buffers in its first calls (a realloc RealtimeSanitizer caught), so a
    /// resampling engine plays a second of silence here, off the audio thread, in the host's
    /// largest blocks. It then stands where it would had the host played that silence first:
    /// for a model that starts in the steady state of silence (prewarmed, as NAM's are), exactly
    /// as fresh; a model that starts from zero history has seen a second of silence instead.
    void warm_up(const HostSpec& spec, double model_rate);

    ModelDescription description_;
    rtconv::ModelStream stream_;
    std::optional<RateBridge> bridge_;
    std::size_t latency_ = 0;
    std::vector<std::vector<float>> model_out_; ///< the stream writes here, never into its input
    std::vector<float*> model_out_pointers_;
};

} // namespace rtconv_plugin
