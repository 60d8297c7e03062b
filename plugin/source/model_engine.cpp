#include "model_engine.hpp"

#include <rtconv/error.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <numeric>

namespace rtconv_plugin {

namespace {

/// "nam 0.5.0 · WaveNet · 13801 parameters · receptive field 4093": the layers by kind, with
/// counts when a kind repeats.
std::string describe_architecture(const rtconv::Sequential& model, const rtconv::ModelStream& stream)
{
    std::string text = model.metadata().format;
    if (!model.metadata().version.empty()) text += " " + model.metadata().version;
    std::map<std::string, std::size_t> kinds;
    std::vector<std::string> order;
    for (const auto& layer : model.layers())
        if (kinds[layer->class_name()]++ == 0) order.push_back(layer->class_name());
    text += " ·";
    for (const auto& kind : order) {
        text += ' ';
        if (kinds[kind] > 1) text += std::to_string(kinds[kind]) + "× ";
        text += kind;
    }
    text += " · " + std::to_string(model.count_params()) + " parameters · receptive field " +
            std::to_string(stream.receptive_field());
    return text;
}

rtconv::ModelStream checked_stream(const rtconv::Sequential& model, const std::string& name)
{
    if (model.layers().empty()) throw rtconv::Error(name + ": the model has no layers to run");
    rtconv::ModelStream stream(model);
    if (stream.input_channels() != 1 || stream.output_channels() != 1)
        throw rtconv::Error(name + ": the plug-in runs models with one input and one output channel; this one has " +
                            std::to_string(stream.input_channels()) + " in and " +
                            std::to_string(stream.output_channels()) + " out");
    if (stream.rate_up() != stream.rate_down())
        throw rtconv::Error(name + ": the plug-in runs models that keep the sample rate; this one changes it by " +
                            std::to_string(stream.rate_up()) + "/" + std::to_string(stream.rate_down()));
    return stream;
}

} // namespace

ModelEngine::ModelEngine(const ModelSource& source, const HostSpec& spec)
    : ModelEngine(source, parse_model(source), spec)
{
}

ModelEngine::ModelEngine(const ModelSource& source, const rtconv::Sequential& model, const HostSpec& spec)
    : stream_(checked_stream(model, source.name))
{
    description_ = {source.name, describe_architecture(model, stream_), model.metadata().sample_rate};
    const double model_rate = description_.model_rate.value_or(spec.sample_rate);
    std::size_t model_block = spec.max_block_size;
    if (model_rate != spec.sample_rate) {
        bridge_.emplace(spec.sample_rate, model_rate, spec.channels, spec.max_block_size);
        model_block = bridge_->max_inner_frames();
    }
    stream_.prepare({.sample_rate = model_rate, .max_block_size = model_block, .channels = spec.channels});
    // Every file format the plug-in reads that asks for prewarming (NAM) gets it, as `rtconv render` does.
    if (model.metadata().prewarm) stream_.prewarm();
    latency_ = (bridge_ ? bridge_->latency() : 0) +
               static_cast<std::size_t>(std::llround(double(stream_.latency()) * spec.sample_rate / model_rate));
    if (latency_ > max_latency)
        throw rtconv::Error(source.name + ": the model's latency of " + std::to_string(latency_) +
                            " frames is more than the plug-in's " + std::to_string(max_latency));
    model_out_.assign(spec.channels, std::vector<float>(model_block));
    for (auto& channel : model_out_) model_out_pointers_.push_back(channel.data());
    if (bridge_) warm_up(spec, model_rate);
}

void ModelEngine::warm_up(const HostSpec& spec, double model_rate)
{
    // A whole number of the rates' common periods: libsoxr's polyphase filters then stand at the
    // phase they start at, so the output is the fresh engine's, only later.
    const auto host_rate = std::max(1LL, std::llround(spec.sample_rate));
    const auto inner_rate = std::max(1LL, std::llround(model_rate));
    const auto period = static_cast<std::size_t>(host_rate / std::gcd(host_rate, inner_rate));
    const auto second = static_cast<std::size_t>(host_rate);
    const std::size_t frames = (second + period - 1) / period * period;
    std::vector<std::vector<float>> audio(spec.channels, std::vector<float>(spec.max_block_size));
    std::vector<float*> io;
    for (auto& channel : audio) io.push_back(channel.data());
    for (std::size_t played = 0; played < frames; played += spec.max_block_size) {
        for (auto& channel : audio) std::fill(channel.begin(), channel.end(), 0.f);
        process(io.data(), std::min(spec.max_block_size, frames - played));
    }
}

void ModelEngine::run_model(const float* const* in, float* const* out, std::size_t n) noexcept
{
    stream_.process(in, model_out_pointers_.data(), n);
    for (std::size_t ch = 0; ch < model_out_.size(); ++ch) std::memcpy(out[ch], model_out_[ch].data(), n * sizeof(float));
}

void ModelEngine::process(float* const* io, std::size_t n) noexcept
{
    if (bridge_)
        bridge_->process(io, n, [this](const float* const* in, float* const* out, std::size_t frames) {
            run_model(in, out, frames);
        });
    else
        run_model(io, io, n);
}

} // namespace rtconv_plugin
