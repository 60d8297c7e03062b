#include "layer_stream.hpp"

#include <algorithm>
#include <cmath>

namespace rtconv::detail {

std::size_t StreamLayer::history_span() const
{
    if (wavenet) return wavenet->history_span;
    const auto& g = phases.front().geometry;
    return (g.kernel_size - 1) * g.dilation;
}

std::size_t StreamLayer::state_values() const
{
    if (wavenet) return wavenet->state_values();
    std::size_t values = 0;
    for (const auto& plan : phases)
        values += (plan.geometry.kernel_size - 1) * plan.geometry.dilation * plan.geometry.in_channels;
    return values;
}

template <class T> void LayerStream<T>::prepare(const StreamLayer& layer, std::size_t max_frames)
{
    layer_ = &layer;
    if (layer.wavenet) wavenet_.prepare(*layer.wavenet, max_frames);
    phases_.resize(layer.phases.size());
    for (std::size_t p = 0; p < phases_.size(); ++p) phases_[p].prepare(layer.phases[p], max_frames);
    const std::size_t channels = layer.conv_channels();
    if (layer.up > 1 || layer.down > 1) conv_out_.resize(channels * layer.up, max_frames);
    if (!layer.frame_activation.is_elementwise()) resampled_.resize(channels, layer.max_output_frames(max_frames));
    frame_in_.assign(channels, T(0));
    negative_slopes_.assign(layer.negative_slopes.begin(), layer.negative_slopes.end());
    frame_out_.assign(channels, T(0));
    reset();
}

template <class T> double LayerStream<T>::footprint(const StreamLayer& layer, double max_frames)
{
    double bytes = layer.wavenet ? WaveNetStream<T>::footprint(*layer.wavenet, max_frames) : 0;
    for (const ConvPlan& phase : layer.phases) bytes += ConvStream<T>::footprint(phase, max_frames);
    const double channels = double(layer.conv_channels());
    if (layer.up > 1 || layer.down > 1) bytes += Planar<T>::bytes(channels * double(layer.up), max_frames);
    if (!layer.frame_activation.is_elementwise())
        bytes += Planar<T>::bytes(channels, std::ceil(max_frames * double(layer.up) / double(layer.down)));
    return bytes + (2 * channels + double(layer.negative_slopes.size())) * sizeof(T);
}

template <class T> void LayerStream<T>::reset()
{
    for (auto& phase : phases_) phase.reset();
    wavenet_.reset();
    clock_ = 0;
    produced_ = 0;
}

template <class T> std::size_t LayerStream<T>::allocated_history() const
{
    std::size_t values = wavenet_.allocated_history();
    for (const auto& phase : phases_) values += phase.allocated_history();
    return values;
}

template <class T> void LayerStream<T>::convolve(const Planar<T>& in, std::size_t n, Planar<T>& out)
{
    const std::size_t channels = layer_->conv_channels();
    if (layer_->wavenet) {
        wavenet_.process(in, n, out);
        return;
    }
    if (layer_->up == 1) {
        phases_[0].process(in.row(0), in.ld, out.row(0), out.ld, n);
        return;
    }
    // Phase p of a transpose writes rows [p * channels, (p + 1) * channels) of conv_out_,
    // then the phases interleave: output frame t * up + p.
    for (std::size_t p = 0; p < phases_.size(); ++p)
        phases_[p].process(in.row(0), in.ld, conv_out_.row(p * channels), conv_out_.ld, n);
    for (std::size_t c = 0; c < channels; ++c) {
        T* dst = out.row(c);
        for (std::size_t p = 0; p < layer_->up; ++p) {
            const T* src = conv_out_.row(p * channels + c);
            for (std::size_t t = 0; t < n; ++t) dst[t * layer_->up + p] = src[t];
        }
    }
}

template <class T> std::size_t LayerStream<T>::process(const Planar<T>& in, std::size_t n, Planar<T>& out)
{
    const StreamLayer& L = *layer_;
    const std::size_t channels = L.conv_channels();
    const bool frame_activation = !L.frame_activation.is_elementwise();
    Planar<T>& resampled = frame_activation ? resampled_ : out;

    std::size_t frames = n * L.up;
    if (L.down == 1) {
        convolve(in, n, resampled);
    } else {
        phases_[0].process(in.row(0), in.ld, conv_out_.row(0), conv_out_.ld, n);
        // Keep the frames whose input clock matches the decimation phase.
        std::size_t first = (L.decimation_phase + L.down - clock_) % L.down;
        frames = first < n ? (n - 1 - first) / L.down + 1 : 0;
        for (std::size_t c = 0; c < channels; ++c) {
            const T* src = conv_out_.row(c) + first;
            T* dst = resampled.row(c);
            for (std::size_t j = 0; j < frames; ++j) dst[j] = src[j * L.down];
        }
        clock_ = (clock_ + n) % L.down;
    }

    for (std::size_t c = 0; c < negative_slopes_.size(); ++c) {
        T* row = resampled.row(c);
        for (std::size_t t = 0; t < frames; ++t)
            if (row[t] < T(0)) row[t] *= negative_slopes_[c];
    }

    if (frame_activation) {
        const std::size_t out_channels = L.out_channels;
        for (std::size_t t = 0; t < frames; ++t) {
            for (std::size_t c = 0; c < channels; ++c) frame_in_[c] = resampled_.row(c)[t];
            L.frame_activation.apply_last_axis(frame_in_.data(), frame_out_.data(), 1, channels);
            for (std::size_t c = 0; c < out_channels; ++c) out.row(c)[t] = frame_out_[c];
        }
    }

    if (produced_ < L.delay) {
        const std::size_t zeros = std::min(frames, L.delay - produced_);
        for (std::size_t c = 0; c < L.out_channels; ++c) std::fill(out.row(c), out.row(c) + zeros, T(0));
        produced_ += zeros;
    }
    return frames;
}

template class LayerStream<float>;
template class LayerStream<double>;

} // namespace rtconv::detail
